"""Streaming vCard 2.1 / 3.0 / 4.0 parser.

Why hand-written: real exports break the libraries (vobject 0.9.9 raised on 20 of the
101 real files in ../shared/data/vcards and lost each whole file). Android and Outlook
write vCard 2.1 with quoted-printable soft line breaks that do not start with a space,
SAP and Outlook write Latin-1 or Windows-1252 without saying so, Roundcube ships UTF-16
without a BOM, KDE writes mojibake, SOGo writes cards without a name and some files end
mid-card. This tokenizer works on bytes, decodes every value on its own (declared
CHARSET, else UTF-8, else Windows-1252) and turns each broken card into a
:class:`ParseProblem` while keeping the rest. It reads one line at a time, so memory
does not grow with the file.
"""

from __future__ import annotations

import base64
import binascii
import io
import quopri
import re
from collections.abc import Callable, Iterator
from datetime import date

from ._io import (
    SNIFF_BYTES,
    PathOrFile,
    Prefixed,
    Utf16ToUtf8,
    decode_bytes,
    open_binary,
    sniff_utf16,
)
from .records import Address, ContactRecord, Labelled, ParseProblem, Photo, ProgressCallback

__all__ = ["parse_vcards"]

PROGRESS_EVERY = 500
MAX_CARD_LINES = 100_000  # a runaway "card" (missing END) should not eat the memory
MAX_LOGICAL_LINE = 20 * 1024 * 1024

_BASE64_LINE = re.compile(rb"^[A-Za-z0-9+/=]+$")
_IMAGE_TYPES = {
    "JPEG": "image/jpeg",
    "JPG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
    "WEBP": "image/webp",
}
_ENCODING_WORDS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
_DROPPED_TYPES = {"pref", "internet", "x400"}
_SKIP_PROPS = {"BEGIN", "END", "VERSION"}
_NO_PARAMS: dict[str, list[str]] = {}  # shared, never mutated
_DATE_RE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?$")


class _Prop:
    __slots__ = ("group", "line_no", "name", "params", "raw")

    def __init__(
        self, group: str, name: str, params: dict[str, list[str]], raw: bytes, line_no: int
    ):
        self.group = group
        self.name = name
        self.params = params
        self.raw = raw
        self.line_no = line_no


def parse_vcards(
    source: PathOrFile,
    *,
    on_progress: ProgressCallback | None = None,
    require_name: bool = True,
) -> Iterator[ContactRecord | ParseProblem]:
    """Yield one :class:`ContactRecord` per card, or a :class:`ParseProblem` per bad card.

    ``source`` is a path or a binary file object; one file may hold many cards in any
    mix of versions. A card without FN, N, NICKNAME or ORG is reported as "missing name"
    unless ``require_name=False`` (then e-mail-only cards, as Android writes them, are
    kept). Entry numbers count cards from 1; line numbers are physical lines from 1.
    """
    with open_binary(source) as (fh, name, size):
        try:
            head = fh.read(SNIFF_BYTES)
        except OSError as exc:
            yield ParseProblem(name, None, None, f"cannot read file: {exc}")
            return
        prefixed = Prefixed(head, fh)
        raw: io.RawIOBase = prefixed
        utf16 = sniff_utf16(head)
        if utf16:
            raw = Utf16ToUtf8(raw, utf16)  # type: ignore[arg-type]
        reader = io.BufferedReader(raw, 1 << 16)
        stats = [0, 0]
        yield from _parse_lines(
            reader, name, size, on_progress, require_name, stats, lambda: prefixed.bytes_read
        )
        if on_progress is not None:
            on_progress(stats[0], stats[1], size)


def _parse_lines(
    reader: io.BufferedReader[io.RawIOBase],
    name: str,
    size: int | None,
    on_progress: ProgressCallback | None,
    require_name: bool,
    stats: list[int],
    bytes_read: Callable[[], int],
) -> Iterator[ContactRecord | ParseProblem]:
    entry_no = 0
    depth = 0  # > 0 inside a card; > 1 inside an embedded AGENT card
    props: list[_Prop] = []
    card_line = 0
    card_broken = ""
    outside_reported = False

    for lno, logical in _logical_lines(reader):
        prop = _split_property(logical, lno)
        if prop is None:
            if depth:
                card_broken = card_broken or f"line {lno}: no ':' in property line"
            elif not outside_reported:
                outside_reported = True
                yield ParseProblem(name, None, lno, "text outside BEGIN:VCARD/END:VCARD ignored")
            continue
        pname = prop.name
        if pname == "BEGIN" and prop.raw.strip().upper() == b"VCARD":
            if depth == 0:
                entry_no += 1
                depth = 1
                props = []
                card_line = lno
                card_broken = ""
                continue
            if depth == 1:
                # A new card starts before the previous one ended: the previous one is cut.
                yield ParseProblem(
                    name, entry_no, card_line, "truncated card: BEGIN:VCARD before END:VCARD"
                )
                entry_no += 1
                props = []
                card_line = lno
                card_broken = ""
                continue
            depth += 1
            continue
        if pname == "END" and prop.raw.strip().upper() == b"VCARD":
            if depth == 0:
                continue
            depth -= 1
            if depth:
                continue
            if card_broken:
                yield ParseProblem(name, entry_no, card_line, card_broken)
            else:
                try:
                    yield _build(props, name, entry_no, card_line, require_name)
                except Exception as exc:  # one bad card must never end the import
                    yield ParseProblem(name, entry_no, card_line, f"unreadable card: {exc!r}")
            props = []
            if on_progress is not None and entry_no % PROGRESS_EVERY == 0:
                on_progress(entry_no, bytes_read(), size)
            continue
        if depth == 0:
            if not outside_reported:
                outside_reported = True
                yield ParseProblem(name, None, lno, "text outside BEGIN:VCARD/END:VCARD ignored")
            continue
        if depth > 1:
            continue  # inside an embedded AGENT card
        if pname == "AGENT" and prop.raw.strip().upper().startswith(b"BEGIN:VCARD"):
            depth += 1
            continue
        if len(props) < MAX_CARD_LINES:
            props.append(prop)
        else:
            card_broken = card_broken or f"more than {MAX_CARD_LINES} properties"
    if depth:
        yield ParseProblem(name, entry_no, card_line, "truncated card: file ends before END:VCARD")
    stats[0], stats[1] = entry_no, bytes_read()


def _logical_lines(reader: io.BufferedReader[io.RawIOBase]) -> Iterator[tuple[int, bytes]]:
    """Unfold physical lines into content lines: ``(first_line_no, bytes)``.

    Three ways a line continues: a leading space or tab (RFC 2425 folding), a trailing
    "=" in a quoted-printable value (vCard 2.1 soft line break, next line flush left),
    and vCard 2.1 base64 continued without indentation.
    """
    parts: list[bytes] | None = None
    size = start = line_no = 0
    qp = b64 = False
    for phys in reader:
        line_no += 1
        line = phys.rstrip(b"\r\n")
        if parts is not None:
            if qp and line and parts[-1].endswith(b"=") and not _is_card_edge(line):
                parts[-1] = parts[-1][:-1]
                parts.append(line)
                size += len(line)
                continue
            first = line[:1]
            if first == b" " or first == b"\t":
                if size < MAX_LOGICAL_LINE:
                    parts.append(line[1:])
                    size += len(line)
                continue
            if b64 and len(line) > 3 and _BASE64_LINE.match(line):
                if size < MAX_LOGICAL_LINE:
                    parts.append(line)
                    size += len(line)
                continue
            yield start, parts[0] if len(parts) == 1 else b"".join(parts)
            parts = None
        if not line or line.isspace():
            continue
        parts = [line]
        start = line_no
        size = len(line)
        semi = line.find(b";")
        colon = line.find(b":")
        if 0 <= semi < colon:
            head = line[:colon].upper()
            qp = b"QUOTED-PRINTABLE" in head
            b64 = b"BASE64" in head or b"ENCODING=B" in head
        else:
            qp = b64 = False
    if parts is not None:
        yield start, parts[0] if len(parts) == 1 else b"".join(parts)


def _is_card_edge(line: bytes) -> bool:
    upper = line[:11].upper()
    return upper.startswith(b"BEGIN:VCARD") or upper.startswith(b"END:VCARD")


def _split_property(line: bytes, line_no: int) -> _Prop | None:
    colon = line.find(b":")
    if colon < 0:
        return None
    quote = line.find(b'"', 0, colon)
    if quote >= 0:
        # A quoted parameter value may contain ':'; find the first colon outside quotes.
        inside = False
        colon = -1
        for i, ch in enumerate(line):
            if ch == 0x22:
                inside = not inside
            elif ch == 0x3A and not inside:
                colon = i
                break
        if colon < 0:
            return None
    raw = line[colon + 1 :]
    key = line[:colon]
    cached = _HEAD_CACHE.get(key)
    if cached is None:
        cached = _parse_head(key)
        if len(_HEAD_CACHE) >= _HEAD_CACHE_MAX:
            _HEAD_CACHE.clear()
        _HEAD_CACHE[key] = cached
    if cached is None:
        return None
    group, pname, params = cached
    return _Prop(group, pname, params, raw, line_no)


# Exports repeat the same few property heads ("TEL;TYPE=CELL", "EMAIL;TYPE=work") on
# every card; parsing each distinct head once halves the time per line. The parsed
# parameter dicts are shared and never mutated.
_HEAD_CACHE: dict[bytes, tuple[str, str, dict[str, list[str]]] | None] = {}
_HEAD_CACHE_MAX = 4096


def _parse_head(raw_head: bytes) -> tuple[str, str, dict[str, list[str]]] | None:
    head = raw_head.decode("utf-8", "replace")
    parts = _split_params(head) if (";" in head) else [head]
    full = parts[0].strip()
    group = ""
    if "." in full:
        group, _, full = full.rpartition(".")
    pname = full.upper()
    if not pname:
        return None
    if len(parts) == 1:
        return group.upper(), pname, _NO_PARAMS
    params: dict[str, list[str]] = {}
    for p in parts[1:]:
        key, eq, value = p.partition("=")
        key = key.strip().upper()
        if not eq:
            word = key
            if word in _ENCODING_WORDS:
                params.setdefault("ENCODING", []).append(word)
            elif word:
                params.setdefault("TYPE", []).append(word.lower())
            continue
        value = value.strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            values = [value[1:-1]]
        else:
            values = [v.strip().strip('"') for v in value.split(",")]
        if key == "TYPE":
            values = [v.lower() for w in values for v in w.split(",")]
        params.setdefault(key, []).extend(v for v in values if v)
    return group.upper(), pname, params


def _split_params(head: str) -> list[str]:
    if '"' not in head:
        return head.split(";")
    out: list[str] = []
    buf: list[str] = []
    inside = False
    for ch in head:
        if ch == '"':
            inside = not inside
            buf.append(ch)
        elif ch == ";" and not inside:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return out


def split_escaped(value: str, sep: str) -> list[str]:
    """Split on ``sep`` unless it is escaped with a backslash; escapes are kept."""
    if "\\" not in value:
        return value.split(sep)
    out: list[str] = []
    buf: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if ch == "\\" and i + 1 < n:
            buf.append(value[i : i + 2])
            i += 2
            continue
        if ch == sep:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    out.append("".join(buf))
    return out


_UNESCAPE = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\", ":": ":"}


def unescape(value: str) -> str:
    if "\\" not in value:
        return value
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if ch == "\\" and i + 1 < n and value[i + 1] in _UNESCAPE:
            out.append(_UNESCAPE[value[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _text(prop: _Prop) -> str:
    """The property value decoded to text, escapes still in place."""
    raw = prop.raw
    encoding = prop.params.get("ENCODING")
    if encoding and encoding[0].upper() == "QUOTED-PRINTABLE":
        raw = quopri.decodestring(raw)
    charset = prop.params.get("CHARSET")
    text = decode_bytes(raw, charset[0] if charset else None)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return text


def _components(prop: _Prop) -> list[str]:
    """Structured value (N, ADR, ORG): components unescaped, inner commas as spaces."""
    out = []
    for comp in split_escaped(_text(prop), ";"):
        if "," in comp:
            comp = " ".join(p.strip() for p in split_escaped(comp, ",") if p.strip())
        out.append(unescape(comp).strip())
    return out


def _label(prop: _Prop, group_labels: dict[str, str]) -> str:
    if prop.group and prop.group in group_labels:
        return group_labels[prop.group]
    types = [t for t in prop.params.get("TYPE", ()) if t not in _DROPPED_TYPES]
    return ",".join(dict.fromkeys(types))


def _apple_label(text: str) -> str:
    # Apple wraps its standard labels ("_$!<Mobile>!$_"); custom labels keep their case.
    text = text.strip()
    if text.startswith("_$!<") and text.endswith(">!$_"):
        return text[4:-4].strip().lower()
    return text


def _parse_date(text: str) -> date | None:
    m = _DATE_RE.match(text.strip())
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _photo(prop: _Prop) -> Photo | str | None:
    """Decode PHOTO: a :class:`Photo`, a URI string to keep as extra, or None if broken."""
    encoding = [e.upper() for e in prop.params.get("ENCODING", ())]
    raw = prop.raw.strip()
    mime = ""
    for t in [*prop.params.get("TYPE", ()), *prop.params.get("MEDIATYPE", ())]:
        t = t.upper()
        if t in _IMAGE_TYPES:
            mime = _IMAGE_TYPES[t]
        elif "/" in t:
            mime = t.lower()
    if "B" in encoding or "BASE64" in encoding:
        data = raw
    elif raw[:5].lower() == b"data:":
        header, _, data = raw.partition(b",")
        meta = header[5:].decode("ascii", "replace")
        if not meta.lower().endswith(";base64"):
            return None
        mime = meta[: -len(";base64")].lower() or mime
    else:
        return raw.decode("utf-8", "replace")
    data = b"".join(data.split()).rstrip(b"=")
    data += b"=" * (-len(data) % 4)  # exporters often drop the padding
    try:
        payload = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        return None
    if not payload:
        return None
    return Photo(payload, mime or _sniff_image(payload))


def _sniff_image(data: bytes) -> str:
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:4] in (b"GIF8",):
        return "image/gif"
    return "application/octet-stream"


def _build(
    props: list[_Prop], file: str, entry_no: int, line_no: int, require_name: bool
) -> ContactRecord | ParseProblem:
    group_labels: dict[str, str] = {}
    for prop in props:
        if prop.group and prop.name == "X-ABLABEL":
            group_labels[prop.group] = _apple_label(unescape(_text(prop)))

    fields: dict[str, object] = {}
    emails: list[Labelled] = []
    phones: list[Labelled] = []
    addresses: list[Address] = []
    urls: list[str] = []
    categories: list[str] = []
    notes: list[str] = []
    extra: dict[str, list[str]] = {}
    photo: Photo | None = None
    warnings: list[str] = []

    for prop in props:
        pname = prop.name
        if pname in _SKIP_PROPS or pname == "X-ABLABEL":
            continue
        if pname == "PHOTO":
            got = _photo(prop)
            if isinstance(got, Photo):
                photo = photo or got
            elif isinstance(got, str):
                extra.setdefault("PHOTO", []).append(got)
            else:
                warnings.append(f"line {prop.line_no}: photo skipped (bad data)")
            continue
        if pname == "N":
            if "family_name" in fields:
                continue
            comps = [*_components(prop), "", "", "", "", ""]
            fields["family_name"], fields["given_name"] = comps[0], comps[1]
            fields["additional_names"], fields["prefix"], fields["suffix"] = comps[2:5]
            continue
        if pname == "ADR":
            comps = [*_components(prop), "", "", "", "", "", "", ""]
            addr = Address(
                po_box=comps[0],
                extended=comps[1],
                street=comps[2],
                city=comps[3],
                region=comps[4],
                postal_code=comps[5],
                country=comps[6],
                label=_label(prop, group_labels),
            )
            if not addr.is_empty():
                addresses.append(addr)
            continue
        if pname == "ORG":
            if "organization" in fields:
                continue
            comps = _components(prop)
            fields["organization"] = comps[0] if comps else ""
            fields["department"] = ", ".join(c for c in comps[1:] if c)
            continue
        text = _text(prop)
        if pname == "EMAIL":
            value = unescape(text).strip()
            if value.lower().startswith("mailto:"):
                value = value[7:]
            if value:
                emails.append(Labelled(value, _label(prop, group_labels)))
        elif pname == "TEL":
            value = unescape(text).strip()
            if value.lower().startswith("tel:"):
                value = value[4:]
            if value:
                phones.append(Labelled(value, _label(prop, group_labels)))
        elif pname in ("FN", "TITLE", "UID", "NICKNAME"):
            key = {
                "FN": "formatted_name",
                "TITLE": "job_title",
                "UID": "external_id",
                "NICKNAME": "nickname",
            }[pname]
            value = unescape(text).strip()
            if value and not fields.get(key):
                fields[key] = value
        elif pname == "BDAY":
            value = unescape(text).strip()
            bday = _parse_date(value)
            if bday is None or fields.get("birthday"):
                if value:
                    extra.setdefault("BDAY", []).append(value)
            else:
                fields["birthday"] = bday
        elif pname == "NOTE":
            value = unescape(text).strip()
            if value:
                notes.append(value)
        elif pname == "URL":
            value = unescape(text).strip()
            if value:
                urls.append(value)
        elif pname == "CATEGORIES":
            for cat in split_escaped(text, ","):
                cat = unescape(cat).strip()
                if cat and cat not in categories:
                    categories.append(cat)
        else:
            # Extras stay raw vCard text (escapes in place) on one line, so a writer can
            # give them back unchanged; a quoted-printable line break becomes "\\n".
            extra.setdefault(pname, []).append(text.replace("\n", "\\n"))

    record = ContactRecord(
        source_format="vcard",
        entry_no=entry_no,
        line_no=line_no,
        emails=tuple(emails),
        phones=tuple(phones),
        addresses=tuple(addresses),
        urls=tuple(urls),
        categories=tuple(categories),
        notes="\n".join(notes),
        photo=photo,
        extra={k: tuple(v) for k, v in extra.items()},
        source_file=file,
        warnings=tuple(warnings),
        **fields,  # type: ignore[arg-type]
    )
    if require_name and not (
        record.formatted_name
        or record.given_name
        or record.family_name
        or record.nickname
        or record.organization
    ):
        return ParseProblem(file, entry_no, line_no, "missing name (no FN, N, NICKNAME or ORG)")
    return record
