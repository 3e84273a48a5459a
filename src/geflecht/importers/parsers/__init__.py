"""Pure parsers: files in, frozen records out. No Django, no database.

Every parser is a generator that streams :class:`ContactRecord` or
:class:`InteractionRecord` items mixed with :class:`ParseProblem` items (a problem means
that entry was skipped; the rest of the file still comes through). No input makes a
parser raise, except wrong arguments from the caller.

>>> from geflecht.importers.parsers import parse_file
>>> for item in parse_file("contacts.vcf"):  # doctest: +SKIP
...     print(item)
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._io import sniff_utf16
from .ics import parse_ics
from .mail import parse_eml, parse_maildir, parse_mbox
from .records import (
    Address,
    ContactRecord,
    InteractionRecord,
    Labelled,
    ParseProblem,
    Participant,
    Photo,
    ProgressCallback,
    Skipped,
)
from .tabular import detect_flavour, parse_contacts_csv, parse_xlsx
from .vcard import parse_vcards
from .vcard_write import write_vcard4

__all__ = [
    "FORMATS",
    "Address",
    "ContactRecord",
    "InteractionRecord",
    "Labelled",
    "ParseProblem",
    "Participant",
    "Photo",
    "ProgressCallback",
    "Skipped",
    "detect_flavour",
    "detect_format",
    "parse_contacts_csv",
    "parse_eml",
    "parse_file",
    "parse_ics",
    "parse_maildir",
    "parse_mbox",
    "parse_vcards",
    "parse_xlsx",
    "write_vcard4",
]

PARSERS: dict[str, Callable[..., Iterator[Any]]] = {
    "vcard": parse_vcards,
    "csv": parse_contacts_csv,
    "xlsx": parse_xlsx,
    "ics": parse_ics,
    "mbox": parse_mbox,
    "maildir": parse_maildir,
    "eml": parse_eml,
}
FORMATS = tuple(PARSERS)

_EXTENSIONS = {
    ".vcf": "vcard",
    ".vcard": "vcard",
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".ics": "ics",
    ".ical": "ics",
    ".ifb": "ics",
    ".mbox": "mbox",
    ".mbx": "mbox",
    ".eml": "eml",
    ".msg822": "eml",
}
_MAIL_HEADERS = (b"from:", b"date:", b"message-id:", b"to:", b"subject:", b"received:")


def detect_format(path: str | os.PathLike[str]) -> str | None:
    """Name the format of a file or directory (one of :data:`FORMATS`), or None.

    The content decides (``BEGIN:VCARD``, ``BEGIN:VCALENDAR``, an mbox ``From `` line,
    mail headers, a zip workbook); the file extension only breaks ties.
    """
    p = Path(path)
    if p.is_dir():
        return "maildir"
    try:
        with p.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return None
    ext = _EXTENSIONS.get(p.suffix.lower())
    if head.startswith(b"PK\x03\x04"):
        return "xlsx" if ext in (None, "xlsx") else None
    utf16 = sniff_utf16(head)
    text = head.decode(utf16, "replace").encode() if utf16 else head
    text = text.removeprefix(b"\xef\xbb\xbf")
    stripped = text.lstrip().upper()
    if stripped.startswith(b"BEGIN:VCARD"):
        return "vcard"
    if stripped.startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    if text.startswith(b"From "):
        return "mbox"
    first = text.split(b"\n", 1)[0].lower()
    if any(first.startswith(h) for h in _MAIL_HEADERS) or (
        first.startswith(b"return-path:") or first.startswith(b"delivered-to:")
    ):
        return "eml"
    if b"BEGIN:VCARD" in text.upper():
        return "vcard"
    if b"BEGIN:VCALENDAR" in text.upper():
        return "ics"
    if ext == "csv":
        return "csv"
    head_lines = text.split(b"\n", 12)[:12]
    looks_tabular = any(b"," in ln or b";" in ln or b"\t" in ln for ln in head_lines)
    if looks_tabular and p.suffix.lower() in ("", ".txt"):
        return "csv"
    return ext


def parse_file(
    path: str | os.PathLike[str], *, format: str | None = None, **options: Any
) -> Iterator[Any]:
    """Detect the format (unless ``format`` names it) and run its parser.

    ``options`` go to the parser; options a parser does not take are ignored, so a
    caller may pass ``me=`` and ``on_progress=`` whatever the file turns out to be.
    ``parse_ics`` needs ``window_start``/``window_end``. An unknown format yields one
    :class:`ParseProblem`.
    """
    fmt = format or detect_format(path)
    if fmt not in PARSERS:
        yield ParseProblem(str(path), None, None, "unknown or unsupported file format")
        return
    parser = PARSERS[fmt]
    accepted = inspect.signature(parser).parameters
    kwargs = {k: v for k, v in options.items() if k in accepted}
    yield from parser(path, **kwargs)
