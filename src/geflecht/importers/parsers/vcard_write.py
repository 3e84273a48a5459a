"""Write :class:`ContactRecord` items as vCard 4.0 (RFC 6350).

The output reads back through :func:`parse_vcards` with every field intact (a property
test checks this), with two documented exceptions: FN is mandatory in vCard 4.0, so a
record without ``formatted_name`` gets its ``display_name`` there; and ``extra`` keys
that are not vCard property names (CSV column headers such as "Maiden Name") are
written as ``X-MAIDEN-NAME``. Lines are folded at 75 octets without splitting a UTF-8
character; text is escaped (backslash, comma, semicolon, newline).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

from .records import Address, ContactRecord, Labelled

__all__ = ["escape", "fold", "write_vcard4"]

_TOKEN_LABEL = re.compile(r"^[a-z0-9-]+(,[a-z0-9-]+)*$")
# What real exporters put in names (KDE writes "X-messaging/gadu-All"), minus the
# characters that would change the parse (":", ";", ".", quotes, spaces).
_PROP_NAME = re.compile(r"^[A-Z0-9][A-Z0-9_/+-]*$")
_NOT_TYPES = {"pref", "internet", "x400"}
# Properties the parser maps to fields: an extra of that name would read back as a field.
_MAPPED = {
    "BEGIN", "END", "VERSION", "N", "FN", "NICKNAME", "EMAIL", "TEL", "ADR", "ORG", "TITLE",
    "UID", "NOTE", "URL", "CATEGORIES", "X-ABLABEL",
}  # fmt: skip


def escape(text: str) -> str:
    """Escape a TEXT value (RFC 6350 section 3.4)."""
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str, limit: int = 75) -> str:
    """Fold one content line at ``limit`` octets; continuation lines start with a space."""
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line
    parts: list[str] = []
    width = limit
    start = 0
    while start < len(data):
        end = min(start + width, len(data))
        # Step back off UTF-8 continuation bytes so no character is cut in two.
        while end < len(data) and end > start and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start = end
        width = limit - 1  # the leading space counts
    return "\r\n ".join(parts)


def _type_param(label: str) -> str:
    return f';TYPE="{label}"' if "," in label else f";TYPE={label}"


def _is_type_label(label: str) -> bool:
    if not label or not _TOKEN_LABEL.match(label):
        return False
    tokens = label.split(",")
    return len(set(tokens)) == len(tokens) and not (set(tokens) & _NOT_TYPES)


def _extra_name(key: str) -> str:
    name = key.strip().upper()
    if _PROP_NAME.match(name) and name not in _MAPPED:
        return name
    return "X-" + re.sub(r"[^A-Z0-9]+", "-", name).strip("-") or "X-EXTRA"


def _adr_value(a: Address) -> str:
    parts = (a.po_box, a.extended, a.street, a.city, a.region, a.postal_code, a.country)
    return ";".join(escape(p) for p in parts)


def _card(rec: ContactRecord) -> list[str]:
    lines = ["BEGIN:VCARD", "VERSION:4.0"]
    group_no = 0

    def labelled(name: str, value: str, label: str) -> None:
        nonlocal group_no
        if not label:
            lines.append(f"{name}:{value}")
        elif _is_type_label(label):
            lines.append(f"{name}{_type_param(label)}:{value}")
        else:
            group_no += 1
            lines.append(f"item{group_no}.{name}:{value}")
            lines.append(f"item{group_no}.X-ABLABEL:{escape(label)}")

    if rec.external_id:
        lines.append(f"UID:{escape(rec.external_id)}")
    lines.append(f"FN:{escape(rec.formatted_name or rec.display_name)}")
    n_parts = (rec.family_name, rec.given_name, rec.additional_names, rec.prefix, rec.suffix)
    if any(n_parts):
        lines.append("N:" + ";".join(escape(p) for p in n_parts))
    if rec.nickname:
        lines.append(f"NICKNAME:{escape(rec.nickname)}")
    for e in rec.emails:
        e = Labelled(*e)
        labelled("EMAIL", escape(e.value), e.label)
    for t in rec.phones:
        t = Labelled(*t)
        labelled("TEL;VALUE=text", escape(t.value), t.label)
    for a in rec.addresses:
        labelled("ADR", _adr_value(a), a.label)
    if rec.organization or rec.department:
        lines.append(f"ORG:{escape(rec.organization)};{escape(rec.department)}")
    if rec.job_title:
        lines.append(f"TITLE:{escape(rec.job_title)}")
    if rec.birthday:
        lines.append(f"BDAY:{rec.birthday.year:04d}{rec.birthday.month:02d}{rec.birthday.day:02d}")
    if rec.notes:
        lines.append(f"NOTE:{escape(rec.notes)}")
    for url in rec.urls:
        lines.append(f"URL:{escape(url)}")
    if rec.categories:
        lines.append("CATEGORIES:" + ",".join(escape(c) for c in rec.categories))
    if rec.photo is not None:
        payload = base64.b64encode(rec.photo.data).decode("ascii")
        lines.append(f"PHOTO:data:{rec.photo.mime};base64,{payload}")
    for key, values in rec.extra.items():
        name = _extra_name(key)
        for value in values:
            # Extras are kept as raw vCard text (escapes in place); only line breaks need care.
            value = value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
            param = ";VALUE=text" if name == "BDAY" else ""
            lines.append(f"{name}{param}:{value}")
    lines.append("END:VCARD")
    return lines


def write_vcard4(records: Iterable[ContactRecord]) -> str:
    """Return the records as one vCard 4.0 text with CRLF line ends."""
    out: list[str] = []
    for rec in records:
        out.extend(fold(line) for line in _card(rec))
    return "".join(line + "\r\n" for line in out)
