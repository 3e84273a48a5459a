"""E-mail headers to interactions: mbox, maildir and single .eml files.

Only the headers are read (From, To, Cc, Bcc, Date, Message-ID, In-Reply-To, Subject
and the bulk markers); bodies are skipped byte by byte and never decoded or kept. The
mbox reader is a streaming "From " line splitter: memory stays at one header block,
however large the mailbox.

Bulk mail creates no ties: a message with List-Id, List-Unsubscribe, Precedence
bulk/list/junk, Auto-Submitted, a no-reply sender or more recipients than
``bulk_recipient_threshold`` is still yielded, with ``is_bulk=True`` and the reason, so
the loader can count it without building relationships from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import IO

from ._io import PathOrFile, open_binary
from .records import InteractionRecord, ParseProblem, Participant, ProgressCallback

__all__ = ["parse_email_headers", "parse_eml", "parse_maildir", "parse_mbox"]

DEFAULT_BULK_RECIPIENTS = 20
MAX_HEADER_BYTES = 256 * 1024
PROGRESS_EVERY = 1000

_WANTED = {
    b"from",
    b"to",
    b"cc",
    b"bcc",
    b"date",
    b"message-id",
    b"in-reply-to",
    b"subject",
    b"list-id",
    b"list-unsubscribe",
    b"precedence",
    b"auto-submitted",
    b"x-mailing-list",
}
_NOREPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|bounces?|"
    r"notifications?|newsletter)([-+._].*)?$",
    re.IGNORECASE,
)
_MSGID = re.compile(r"<[^<>\s]+>")


def _as_set(me: Iterable[str] | str) -> frozenset[str]:
    if isinstance(me, str):
        me = (me,)
    return frozenset(m.strip().lower() for m in me if m and m.strip())


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")
    if "=?" in text:
        # A malformed encoded word leaves the text as it is.
        with contextlib.suppress(ValueError, LookupError, UnicodeError, AssertionError):
            text = str(make_header(decode_header(text)))
    return text


def _split_headers(block: bytes) -> dict[bytes, list[bytes]]:
    """Unfold a raw header block and keep the fields we use (names lower-cased)."""
    out: dict[bytes, list[bytes]] = {}
    current: bytes | None = None
    parts: list[bytes] = []
    for line in block.split(b"\n"):
        line = line.rstrip(b"\r")
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                parts.append(b" " + line.strip())
            continue
        if current is not None:
            out.setdefault(current, []).append(b"".join(parts).strip())
        colon = line.find(b":")
        if colon <= 0:
            current = None
            continue
        name = line[:colon].strip().lower()
        if name in _WANTED:
            current = name
            parts = [line[colon + 1 :]]
        else:
            current = None
    if current is not None:
        out.setdefault(current, []).append(b"".join(parts).strip())
    return out


# One address list item: a quoted string, <...>, a (comment) or any other run without
# commas. The stdlib parser (getaddresses) is exact but slow; these two patterns cover
# nearly every real header and anything else falls back to it.
_ITEM = re.compile(r'(?:"(?:[^"\\]|\\.)*"|<[^>]*>|\([^)]*\)|[^,"<(])+')
_NAMED = re.compile(
    r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^<>"()@,;:]*?))\s*<\s*([^<>\s@]+@[^<>\s@]+)\s*>\s*$'
)
_BARE = re.compile(r"^\s*<?([^<>\s@\"(),;:]+@[^<>\s@\"(),;:]+)>?\s*$")


def _addresses(values: list[bytes] | None) -> list[tuple[str, str]]:
    if not values:
        return []
    out = []
    for value in values:
        text = value.decode("utf-8", "replace") if b"=?" not in value else value.decode("latin-1")
        for item in _ITEM.findall(text):
            m = _BARE.match(item)
            if m:
                pairs = [("", m.group(1))]
            else:
                m = _NAMED.match(item)
                if m:
                    name = m.group(1) if m.group(1) is not None else m.group(2)
                    if m.group(1) is not None and "\\" in name:
                        name = re.sub(r"\\(.)", r"\1", name)
                    pairs = [(name, m.group(3))]
                else:
                    pairs = getaddresses([item])
            for name, addr in pairs:
                addr = addr.strip().strip("'\"").lower()
                if "@" not in addr or " " in addr:
                    continue
                if "=?" in name:
                    name = _decode(name.encode("latin-1", "replace"))
                out.append((addr, name.strip().strip("'\"")))
    return out


def parse_email_headers(
    block: bytes,
    *,
    source_format: str,
    file: str,
    entry_no: int,
    line_no: int | None = None,
    me: frozenset[str] = frozenset(),
    bulk_recipient_threshold: int = DEFAULT_BULK_RECIPIENTS,
    keep_subject: bool = True,
) -> InteractionRecord | ParseProblem:
    """Turn one raw header block into an e-mail :class:`InteractionRecord`."""
    h = _split_headers(block)
    senders = _addresses(h.get(b"from"))
    if not senders:
        return ParseProblem(file, entry_no, line_no, "no sender address in From header")
    date_raw = h.get(b"date")
    if not date_raw:
        return ParseProblem(file, entry_no, line_no, "missing Date header")
    date_text = _decode(date_raw[0])
    try:
        start = parsedate_to_datetime(date_text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return ParseProblem(file, entry_no, line_no, f"invalid Date header {date_text[:80]!r}")
    if start is None:
        return ParseProblem(file, entry_no, line_no, f"invalid Date header {date_text[:80]!r}")
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)  # "-0000": time zone unknown, RFC 5322 says UTC
    try:
        start = start.astimezone(UTC)
    except (OverflowError, ValueError):
        return ParseProblem(file, entry_no, line_no, f"invalid Date header {date_text[:80]!r}")

    participants: list[Participant] = []
    seen: set[str] = set()
    for addrs, role in (
        (senders[:1], "sender"),
        (_addresses(h.get(b"to")), "recipient"),
        (_addresses(h.get(b"cc")), "cc"),
        (_addresses(h.get(b"bcc")), "cc"),
    ):
        for addr, name in addrs:
            if addr in seen:
                continue
            seen.add(addr)
            participants.append(Participant(addr, name, role))
    n_recipients = len(participants) - 1

    message_id = ""
    if h.get(b"message-id"):
        m = _MSGID.search(_decode(h[b"message-id"][0]))
        message_id = m.group(0) if m else _decode(h[b"message-id"][0]).strip()
    subject = _decode(h[b"subject"][0]).strip() if keep_subject and h.get(b"subject") else ""
    if not message_id:
        digest = hashlib.sha1(
            f"{senders[0][0]}|{start.isoformat()}|{subject}".encode(), usedforsecurity=False
        ).hexdigest()
        message_id = f"sha1:{digest}"
    in_reply_to = ""
    if h.get(b"in-reply-to"):
        m = _MSGID.search(_decode(h[b"in-reply-to"][0]))
        in_reply_to = m.group(0) if m else ""

    bulk_reason = ""
    if h.get(b"list-id") or h.get(b"x-mailing-list"):
        bulk_reason = "list-id"
    elif h.get(b"precedence") and h[b"precedence"][0].strip().lower() in (
        b"bulk",
        b"list",
        b"junk",
    ):
        bulk_reason = "precedence"
    elif h.get(b"auto-submitted") and h[b"auto-submitted"][0].strip().lower() != b"no":
        bulk_reason = "auto-submitted"
    elif h.get(b"list-unsubscribe"):
        bulk_reason = "list-unsubscribe"
    elif _NOREPLY.match(senders[0][0].partition("@")[0]):
        bulk_reason = "no-reply sender"
    elif n_recipients > bulk_recipient_threshold:
        bulk_reason = "many recipients"

    return InteractionRecord(
        source_format=source_format,
        entry_no=entry_no,
        external_id=message_id,
        kind="email",
        start=start,
        subject=subject[:998],
        participants=tuple(participants),
        in_reply_to=in_reply_to,
        is_bulk=bool(bulk_reason),
        bulk_reason=bulk_reason,
        line_no=line_no,
        source_file=file,
        my_role=next((p.role for p in participants if p.email in me), ""),
    )


def _is_from_line(line: bytes) -> bool:
    # "From sender date": at least a sender and something after it.
    return line.startswith(b"From ") and len(line.split(None, 2)) >= 3


def parse_mbox(
    source: PathOrFile,
    *,
    me: Iterable[str] | str = (),
    bulk_recipient_threshold: int = DEFAULT_BULK_RECIPIENTS,
    keep_subject: bool = True,
    on_progress: ProgressCallback | None = None,
) -> Iterator[InteractionRecord | ParseProblem]:
    """Yield one e-mail :class:`InteractionRecord` (or :class:`ParseProblem`) per message.

    A message starts at a "From " line that opens the file or follows an empty line.
    ``me`` holds the importing user's own addresses; they set ``my_role``.
    """
    me_set = _as_set(me)
    with open_binary(source) as (fh, name, size):
        entry_no = 0
        bytes_done = 0
        line_no = 0
        prev_blank = True
        in_headers = False
        header: list[bytes] = []
        header_bytes = 0
        start_line = 0
        too_long = False

        def finish(at_eof: bool = False) -> InteractionRecord | ParseProblem:
            if too_long:
                return ParseProblem(
                    name, entry_no, start_line, f"header longer than {MAX_HEADER_BYTES} bytes"
                )
            if in_headers and at_eof:
                # The file ended inside the header block: a To: list may be cut short.
                return ParseProblem(
                    name, entry_no, start_line, "truncated: file ends inside the headers"
                )
            return _safe_parse(
                b"".join(header),
                source_format="mbox",
                file=name,
                entry_no=entry_no,
                line_no=start_line,
                me=me_set,
                bulk_recipient_threshold=bulk_recipient_threshold,
                keep_subject=keep_subject,
            )

        try:
            for line in fh:
                line_no += 1
                bytes_done += len(line)
                if prev_blank and line.startswith(b"From ") and _is_from_line(line):
                    if entry_no:
                        yield finish()
                        if on_progress is not None and entry_no % PROGRESS_EVERY == 0:
                            on_progress(entry_no, bytes_done, size)
                    entry_no += 1
                    in_headers = True
                    header = []
                    header_bytes = 0
                    too_long = False
                    start_line = line_no
                    prev_blank = False
                    continue
                blank = line in (b"\n", b"\r\n")
                if in_headers:
                    if blank:
                        in_headers = False
                    elif header_bytes < MAX_HEADER_BYTES:
                        header.append(line)
                        header_bytes += len(line)
                    else:
                        too_long = True
                elif entry_no == 0 and not blank and line_no == 1:
                    yield ParseProblem(name, None, 1, "not an mbox file: no 'From ' line first")
                    return
                prev_blank = blank
        except OSError as exc:
            yield ParseProblem(name, entry_no or None, line_no, f"read error: {exc}")
        if entry_no:
            yield finish(at_eof=True)
        if on_progress is not None:
            on_progress(entry_no, bytes_done, size)


def _safe_parse(block: bytes, **kwargs) -> InteractionRecord | ParseProblem:
    try:
        return parse_email_headers(block, **kwargs)
    except Exception as exc:  # one bad message must never end the import
        return ParseProblem(
            kwargs["file"], kwargs["entry_no"], kwargs.get("line_no"), f"unreadable: {exc!r}"
        )


def _read_header_block(fh: IO[bytes]) -> bytes:
    """Read up to the first empty line, and not a byte of the body beyond one chunk."""
    lines: list[bytes] = []
    total = 0
    for line in fh:
        if line in (b"\n", b"\r\n"):
            break
        lines.append(line)
        total += len(line)
        if total > MAX_HEADER_BYTES:
            break
    return b"".join(lines)


def parse_eml(
    source: PathOrFile,
    *,
    me: Iterable[str] | str = (),
    bulk_recipient_threshold: int = DEFAULT_BULK_RECIPIENTS,
    keep_subject: bool = True,
    entry_no: int = 1,
    source_format: str = "eml",
) -> Iterator[InteractionRecord | ParseProblem]:
    """Yield the one message of an .eml file (RFC 5322), or a problem."""
    with open_binary(source) as (fh, name, _size):
        try:
            block = _read_header_block(fh)
        except OSError as exc:
            yield ParseProblem(name, entry_no, None, f"read error: {exc}")
            return
    if block.startswith(b"From ") and _is_from_line(block.split(b"\n", 1)[0]):
        block = block.split(b"\n", 1)[1] if b"\n" in block else b""
    yield _safe_parse(
        block,
        source_format=source_format,
        file=name,
        entry_no=entry_no,
        line_no=1,
        me=_as_set(me),
        bulk_recipient_threshold=bulk_recipient_threshold,
        keep_subject=keep_subject,
    )


def parse_maildir(
    directory: str | os.PathLike[str],
    *,
    me: Iterable[str] | str = (),
    bulk_recipient_threshold: int = DEFAULT_BULK_RECIPIENTS,
    keep_subject: bool = True,
    on_progress: ProgressCallback | None = None,
) -> Iterator[InteractionRecord | ParseProblem]:
    """Yield one record per message file of a maildir (``cur/`` and ``new/``, also in
    Maildir++ sub-folders). A directory without ``cur``/``new`` is read as a folder of
    message files (as the Enron maildir is). Files are visited in sorted order.
    """
    root = Path(directory)
    if not root.is_dir():
        yield ParseProblem(str(root), None, None, "not a directory")
        return
    me_set = _as_set(me)
    files = sorted(_maildir_files(root))
    total = len(files)
    for entry_no, path in enumerate(files, start=1):
        yield from parse_eml(
            path,
            me=me_set,
            bulk_recipient_threshold=bulk_recipient_threshold,
            keep_subject=keep_subject,
            entry_no=entry_no,
            source_format="maildir",
        )
        if on_progress is not None and entry_no % PROGRESS_EVERY == 0:
            on_progress(entry_no, entry_no, total)
    if on_progress is not None:
        on_progress(total, total, total)


def _maildir_files(root: Path) -> Iterator[Path]:
    has_maildir = False
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "tmp")
        base = os.path.basename(dirpath)
        if base in ("cur", "new"):
            has_maildir = True
            for f in filenames:
                if not f.startswith("."):
                    yield Path(dirpath, f)
    if not has_maildir:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in filenames:
                if not f.startswith("."):
                    yield Path(dirpath, f)
