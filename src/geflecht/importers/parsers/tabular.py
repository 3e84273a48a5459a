"""Contacts from spreadsheets: CSV exports (LinkedIn, Google, Outlook, Thunderbird, any
CSV with a header) and Excel .xlsx.

A header row is mapped to :class:`ContactRecord` fields by a table of known column
names (English and German exports), or by an explicit ``mapping`` from the caller.
Mapping targets are small strings:

* a plain field: ``given_name``, ``family_name``, ``formatted_name``, ``prefix``,
  ``suffix``, ``additional_names``, ``nickname``, ``organization``, ``department``,
  ``job_title``, ``birthday``, ``notes``, ``categories``, ``external_id``
* ``email``, ``email:work``, ``phone``, ``phone:cell``, ``url``, ``url:profile``
* ``address:<label>:<part>`` with part in street, city, region, postal_code, country,
  po_box, extended (``address:work:city``)
* ``birth_year``, ``birth_month``, ``birth_day`` (Thunderbird splits the birthday)
* ``ignore``

The file is read row by row (``csv`` over a decoding text stream), so its size does
not matter. Encoding: BOM, UTF-16 and UTF-8 are recognised, everything else is read as
Windows-1252 (what German Excel writes); a stray Windows-1252 byte in a UTF-8 file only
changes that field. Delimiter: whichever of ``,`` ``;`` or tab the header uses most.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from ._io import SNIFF_BYTES, PathOrFile, Prefixed, decode_text_file, fix_mojibake, open_binary
from .records import Address, ContactRecord, Labelled, ParseProblem, ProgressCallback

__all__ = ["detect_flavour", "parse_contacts_csv", "parse_xlsx"]

PROGRESS_EVERY = 1000
#: Defaults of the workbook limits (the app passes its settings): a 500 KB upload may
#: otherwise unpack to gigabytes and keep a worker at that size.
XLSX_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
XLSX_MAX_CELLS = 2_000_000
MAX_HEADER_SCAN = 12  # LinkedIn puts a few lines of notes above its header

_PLAIN_FIELDS = {
    "given_name",
    "family_name",
    "formatted_name",
    "prefix",
    "suffix",
    "additional_names",
    "nickname",
    "organization",
    "department",
    "job_title",
    "birthday",
    "notes",
    "categories",
    "external_id",
    "birth_year",
    "birth_month",
    "birth_day",
    "ignore",
}
_ADDRESS_PARTS = {"street", "city", "region", "postal_code", "country", "po_box", "extended"}


def _norm(header: str) -> str:
    header = header.replace("\ufeff", "").strip().strip('"').lower()
    return re.sub(r"[\s_]+", " ", header)


def _aliases() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(target: str, *names: str) -> None:
        for n in names:
            table[_norm(n)] = target

    add("given_name", "first name", "given name", "firstname", "vorname", "prénom")
    add("family_name", "last name", "family name", "surname", "lastname", "nachname", "name (last)")
    add("additional_names", "middle name", "additional name", "weitere vornamen", "second name")
    add("prefix", "title", "name prefix", "prefix", "anrede", "salutation", "titel")
    add("suffix", "suffix", "name suffix", "namenszusatz")
    add("formatted_name", "name", "display name", "full name", "anzeigename", "file as")
    add("nickname", "nickname", "nick name", "spitzname")
    add(
        "organization",
        "company",
        "organization",
        "organisation",
        "organization name",
        "firma",
        "unternehmen",
        "company name",
        "organization 1 - name",
    )
    add(
        "department",
        "department",
        "abteilung",
        "organization department",
        "organization 1 - department",
    )
    add(
        "job_title",
        "job title",
        "position",
        "jobtitle",
        "organization title",
        "organization 1 - title",
        "berufsbezeichnung",
        "funktion",
    )
    add("birthday", "birthday", "geburtstag", "date of birth", "birth date", "bday")
    add("birth_year", "birth year")
    add("birth_month", "birth month")
    add("birth_day", "birth day")
    add("notes", "notes", "note", "notizen", "notiz", "bemerkung")
    add("categories", "categories", "group membership", "labels", "kategorien", "tags", "groups")
    add("external_id", "uid", "id", "contact id")
    add(
        "email",
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "e-mail-adresse",
        "primary email",
        "mail",
        "e-mail 1",
        "primäre e-mail-adresse",
    )
    add("email:home", "email home", "home email", "e-mail (privat)")
    add("email:work", "email work", "work email", "business email", "e-mail (geschäftlich)")
    add(
        "email",
        "email other",
        "secondary email",
        "e-mail 2 address",
        "e-mail 3 address",
        "e-mail 2",
        "e-mail 3",
        "e-mail 2: adresse",
        "e-mail 3: adresse",
        "sekundäre e-mail-adresse",
        "e-mail 2-adresse",
        "e-mail 3-adresse",
    )
    add(
        "phone",
        "phone",
        "telephone",
        "telefon",
        "phone number",
        "other phone",
        "weiteres telefon",
        "primary phone",
        "haupttelefon",
    )
    add(
        "phone:work",
        "business phone",
        "work phone",
        "telefon geschäftlich",
        "business phone 2",
        "telefon geschäftlich 2",
        "company main phone",
    )
    add("phone:home", "home phone", "telefon privat", "home phone 2", "telefon privat 2")
    add(
        "phone:cell",
        "mobile phone",
        "mobile",
        "mobile number",
        "mobiltelefon",
        "handy",
        "home mobile",
        "cell phone",
    )
    add("phone:work,fax", "business fax", "fax geschäftlich", "fax number", "fax")
    add("phone:home,fax", "home fax", "fax privat")
    add("phone:pager", "pager", "pager number")
    add("phone:car", "car phone", "autotelefon")
    add("phone:assistant", "assistant's phone", "telefon assistent")
    add("phone:video", "phone video")
    add(
        "url",
        "url",
        "web page",
        "webseite",
        "website",
        "web page 1",
        "web page 2",
        "personal web page",
        "website other",
    )
    add("url:profile", "profile url", "linkedin url", "website profile")
    add("url:work", "website work", "business web page")
    add("url:home", "website home page", "home page")
    add("url:blog", "website blog")

    for label, en, de in (
        ("work", ("business", "work"), "geschäftlich"),
        ("home", ("home",), "privat"),
        ("other", ("other",), "weitere"),
    ):
        for word in en:
            add(f"address:{label}:street", f"{word} street", f"{word} address")
            add(
                f"address:{label}:extended",
                f"{word} street 2",
                f"{word} street 3",
                f"{word} address 2",
            )
            add(f"address:{label}:city", f"{word} city")
            add(f"address:{label}:region", f"{word} state", f"{word} region")
            add(
                f"address:{label}:postal_code",
                f"{word} postal code",
                f"{word} zip",
                f"{word} zipcode",
                f"{word} zip code",
            )
            add(f"address:{label}:country", f"{word} country", f"{word} country/region")
            add(f"address:{label}:po_box", f"{word} po box")
        add(f"address:{label}:street", f"straße {de}")
        add(f"address:{label}:extended", f"straße {de} 2", f"straße {de} 3")
        add(f"address:{label}:city", f"ort {de}")
        add(f"address:{label}:region", f"region {de}", f"bundesland/kanton {de}")
        add(f"address:{label}:postal_code", f"postleitzahl {de}")
        add(f"address:{label}:country", f"land/region {de}", f"land {de}")
        add(f"address:{label}:po_box", f"postfach {de}")
    add("address::street", "street", "address", "straße", "strasse", "adresse")
    add("address::city", "city", "ort", "stadt")
    add("address::postal_code", "postal code", "zip", "zip code", "postleitzahl", "plz")
    add("address::region", "state", "region", "bundesland")
    add("address::country", "country", "land")
    add(
        "ignore",
        "connected on",
        "e-mail type",
        "e-mail display name",
        "e-mail 2 type",
        "e-mail 2 display name",
        "e-mail 3 type",
        "e-mail 3 display name",
    )
    return table


ALIASES = _aliases()

# Google: "E-mail 1 - Type" / "E-mail 1 - Label" / "E-mail 1 - Value", "Address 2 - City".
_GOOGLE = re.compile(
    r"^(e-mail|phone|address|website|organization|relation|im|event|custom field) (\d+) - "
    r"(type|label|value|formatted|street|city|po box|region|postal code|country|"
    r"extended address|name|title|department|yomi name|symbol|location|job description|"
    r"service)$"
)
_GOOGLE_ADDR = {
    "street": "street",
    "city": "city",
    "po box": "po_box",
    "region": "region",
    "postal code": "postal_code",
    "country": "country",
    "extended address": "extended",
}


def detect_flavour(header: Sequence[str]) -> str:
    """Name the exporter from a header row: linkedin, google, outlook, thunderbird, generic."""
    names = {_norm(h) for h in header}
    if {"first name", "last name", "connected on"} <= names:
        return "linkedin"
    if any(_GOOGLE.match(n) for n in names) or {"given name", "family name"} <= names:
        return "google"
    if names & {"primary email", "secondary email", "primäre e-mail-adresse"}:
        return "thunderbird"
    if names & {
        "e-mail address",
        "e-mail 2 address",
        "e-mail-adresse",
        "business phone",
        "telefon geschäftlich",
    }:
        return "outlook"
    return "generic"


class _Plan:
    """How each column of one header maps to the record."""

    def __init__(self, header: Sequence[str], mapping: Mapping[str, str] | None) -> None:
        self.header = [h.replace("\ufeff", "").strip() for h in header]
        self.flavour = detect_flavour(self.header)
        explicit = {_norm(k): v for k, v in (mapping or {}).items()}
        self.targets: list[str | None] = []
        self.google: dict[int, tuple[str, str, str]] = {}
        strict = _strict(mapping or {})
        for i, h in enumerate(self.header):
            n = _norm(h)
            target: str | None
            if n in explicit:
                target = explicit[n]
            elif strict:
                target = None
            else:
                target = ALIASES.get(n)
                m = _GOOGLE.match(n) if target is None else None
                if m:
                    self.google[i] = (m.group(1), m.group(2), m.group(3))
                    target = "google"
            if target is not None:
                _check_target(target)
            self.targets.append(target)
        if not any(t and t != "ignore" for t in self.targets):
            raise ValueError("no known column in the header; pass mapping=")


def _strict(mapping: Mapping[str, str]) -> bool:
    # mapping={"*": "strict"} turns the alias table off: only the given columns count.
    return mapping.get("*") == "strict"


def _check_target(target: str) -> None:
    if target in _PLAIN_FIELDS or target == "google":
        return
    kind, _, rest = target.partition(":")
    if kind in ("email", "phone", "url"):
        return
    if kind == "address":
        _label, _, part = rest.partition(":")
        if part in _ADDRESS_PARTS:
            return
    raise ValueError(f"unknown mapping target {target!r}")


def _label_from(text: str) -> str:
    text = text.strip().lstrip("*").strip().lower()
    text = {"mobile": "cell", "business": "work", "home page": "homepage"}.get(text, text)
    return ",".join(p for p in re.split(r"[\s,]+", text) if p)


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_MONTHS.update({"mär": 3, "mai": 5, "okt": 10, "dez": 12})


def parse_loose_date(text: str, *, month_first: bool = False) -> date | None:
    """Dates as spreadsheets write them: ISO, 20.01.1991, 1/20/1991, 05 Jan 2024."""
    text = text.strip()
    if _is_blank_date(text):
        return None
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$", text)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        return _safe_date(y, mo, d)
    m = re.match(r"^(\d{1,2})\.(\d{1,2})\.(\d{2,4})$", text)
    if m:
        return _safe_date(_year(m[3]), int(m[2]), int(m[1]))
    m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{2,4})(?: .*)?$", text)
    if m:
        a, b, y = int(m[1]), int(m[2]), _year(m[3])
        if a > 12 or (not month_first and b <= 12):
            return _safe_date(y, b, a)
        return _safe_date(y, a, b)
    m = re.match(r"^(\d{1,2})[ .-]([A-Za-zä]{3})[a-zä]*\.?[ .-](\d{4})$", text)
    if m and m[2].lower() in _MONTHS:
        return _safe_date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    return None


def _is_blank_date(text: str) -> bool:
    # Outlook writes "0/0/00" (English) or "0.0.00" (German) for "no date".
    return not text.strip("0./- ")


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 1900 if y > 30 else 2000
    return y


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _build_row(
    plan: _Plan,
    row: Sequence[Any],
    *,
    source_format: str,
    file: str,
    entry_no: int,
    line_no: int | None,
) -> ContactRecord | ParseProblem | None:
    plain: dict[str, str] = {}
    emails: list[Labelled] = []
    phones: list[Labelled] = []
    urls: list[str] = []
    addresses: dict[str, dict[str, list[str]]] = {}
    google: dict[tuple[str, str], dict[str, str]] = {}
    extra: dict[str, tuple[str, ...]] = {}
    warnings: list[str] = []
    birthday_obj: date | None = None

    if len(row) > len(plan.header) and any(_cell_text(v) for v in row[len(plan.header) :]):
        warnings.append(f"{len(row) - len(plan.header)} cells beyond the header ignored")
    for i, target in enumerate(plan.targets):
        if i >= len(row):
            break
        raw = row[i]
        if target == "birthday" and isinstance(raw, date):
            birthday_obj = raw.date() if isinstance(raw, datetime) else raw
            continue
        value = _cell_text(raw)
        if not value:
            continue
        if target is None:
            extra[plan.header[i]] = (value,)
            continue
        if target == "ignore":
            if plan.header[i]:
                extra[plan.header[i]] = (value,)
            continue
        if target == "google":
            group, num, part = plan.google[i]
            google.setdefault((group, num), {})[part] = value
            continue
        kind, _, rest = target.partition(":")
        if kind == "email":
            emails.extend(Labelled(v, rest) for v in _split_multi(value))
        elif kind == "phone":
            phones.extend(Labelled(v, rest) for v in _split_multi(value))
        elif kind == "url":
            urls.append(value)
        elif kind == "address":
            label, _, part = rest.partition(":")
            addresses.setdefault(label, {}).setdefault(part, []).append(value)
        elif target in plain and target in ("notes",):
            plain[target] += "\n" + value
        else:
            plain.setdefault(target, value)

    for (group, _num), parts in google.items():
        label = _label_from(parts.get("type") or parts.get("label") or "")
        value = parts.get("value", "")
        if group == "e-mail":
            emails.extend(Labelled(v, label) for v in _split_multi(value))
        elif group == "phone":
            phones.extend(Labelled(v, label) for v in _split_multi(value))
        elif group == "website" and value:
            urls.append(value)
        elif group == "organization":
            for part, field in (
                ("name", "organization"),
                ("title", "job_title"),
                ("department", "department"),
            ):
                if parts.get(part):
                    plain.setdefault(field, parts[part])
        elif group == "address":
            addr = {_GOOGLE_ADDR[k]: [v] for k, v in parts.items() if k in _GOOGLE_ADDR}
            if not addr and parts.get("formatted"):
                addr = {"street": [parts["formatted"]]}
            if addr:
                addresses.setdefault(f"\0{_num}:{label}", {}).update(addr)
        elif value:
            key = f"{group.upper()} {_num}"
            extra[key] = (label, value) if label else (value,)

    addr_records: list[Address] = []
    for slot, lines in addresses.items():
        label = slot.partition(":")[2] if slot.startswith("\0") else slot
        address = Address(
            street="\n".join(lines.get("street", [])),
            extended="\n".join(lines.get("extended", [])),
            city=" ".join(lines.get("city", [])),
            region=" ".join(lines.get("region", [])),
            postal_code=" ".join(lines.get("postal_code", [])),
            country=" ".join(lines.get("country", [])),
            po_box=" ".join(lines.get("po_box", [])),
            label=label,
        )
        if not address.is_empty():
            addr_records.append(address)

    month_first = plan.flavour == "outlook"
    birthday = birthday_obj
    if birthday is None and plain.get("birthday") and not _is_blank_date(plain["birthday"]):
        birthday = parse_loose_date(plain["birthday"], month_first=month_first)
        if birthday is None:
            warnings.append(f"birthday {plain['birthday']!r} not understood")
            extra["BDAY"] = (plain["birthday"],)
    elif birthday is None and plain.get("birth_year") and plain.get("birth_month"):
        try:
            birthday = _safe_date(
                int(plain["birth_year"]), int(plain["birth_month"]), int(plain.get("birth_day", 1))
            )
        except ValueError:
            birthday = None
    categories: tuple[str, ...] = ()
    if plain.get("categories"):
        cats = re.split(r"\s*(?::::|;|,)\s*", plain["categories"])
        categories = tuple(dict.fromkeys(c.lstrip("* ").strip() for c in cats if c.strip("* ")))

    if not any(_cell_text(v) for v in row):
        return None
    record = ContactRecord(
        source_format=source_format,
        entry_no=entry_no,
        line_no=line_no,
        external_id=plain.get("external_id", ""),
        prefix=plain.get("prefix", ""),
        given_name=plain.get("given_name", ""),
        additional_names=plain.get("additional_names", ""),
        family_name=plain.get("family_name", ""),
        suffix=plain.get("suffix", ""),
        formatted_name=plain.get("formatted_name", ""),
        nickname=plain.get("nickname", ""),
        emails=tuple(dict.fromkeys(emails)),
        phones=tuple(phones),
        addresses=tuple(addr_records),
        organization=plain.get("organization", ""),
        department=plain.get("department", ""),
        job_title=plain.get("job_title", ""),
        birthday=birthday,
        notes=plain.get("notes", ""),
        urls=tuple(urls),
        categories=categories,
        extra=extra,
        source_file=file,
        warnings=tuple(warnings),
    )
    if not (
        record.formatted_name
        or record.given_name
        or record.family_name
        or record.nickname
        or record.organization
        or record.emails
    ):
        return ParseProblem(file, entry_no, line_no, "missing name and e-mail address")
    return record


def _split_multi(value: str) -> list[str]:
    # Google joins several values of one type with " ::: ".
    return [v.strip() for v in value.split(":::") if v.strip()]


def _sniff_delimiter(line: str) -> str:
    counts = {d: 0 for d in (",", ";", "\t")}
    inside = False
    for ch in line:
        if ch == '"':
            inside = not inside
        elif not inside and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _repair(value: str) -> str:
    """Undo surrogateescape: a Windows-1252 byte inside an otherwise UTF-8 file."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        raw = value.encode("utf-8", "surrogateescape")
        return raw.decode("cp1252", "replace")
    return fix_mojibake(value) if "Ã" in value or "Â" in value else value


class _LineCounter:
    """Wrap a text stream: count physical lines and bytes the csv reader consumed."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._stream = stream
        self.lines = 0

    def __iter__(self) -> Iterator[str]:
        for line in self._stream:
            self.lines += 1
            if "\0" in line:
                line = line.replace("\0", "")
            yield line


def parse_contacts_csv(
    source: PathOrFile,
    *,
    mapping: Mapping[str, str] | None = None,
    dialect: str | csv.Dialect | type[csv.Dialect] | None = None,
    encoding: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> Iterator[ContactRecord | ParseProblem]:
    """Yield a :class:`ContactRecord` per data row (``source_format`` ``csv:<flavour>``).

    ``mapping`` maps header names to targets (see the module docstring); columns it does
    not name still go through the alias table unless ``mapping["*"] == "strict"``.
    ``dialect`` overrides delimiter detection (a ``csv`` dialect or just ``";"``),
    ``encoding`` overrides encoding detection. Entry numbers count data rows from 1.
    A row without any name or e-mail address is a :class:`ParseProblem`.
    """
    with open_binary(source) as (fh, name, size):
        try:
            head = fh.read(SNIFF_BYTES)
        except OSError as exc:
            yield ParseProblem(name, None, None, f"cannot read file: {exc}")
            return
        enc = encoding or decode_text_file(head)
        prefixed = Prefixed(head, fh)
        raw = io.BufferedReader(prefixed, 1 << 16)
        text = io.TextIOWrapper(raw, encoding=enc, errors="surrogateescape", newline="")
        try:
            yield from _parse_csv_stream(
                text, name, size, mapping, dialect, enc, on_progress, prefixed
            )
        finally:
            text.detach()


def _parse_csv_stream(
    text: io.TextIOWrapper,
    name: str,
    size: int | None,
    mapping: Mapping[str, str] | None,
    dialect: str | csv.Dialect | type[csv.Dialect] | None,
    enc: str,
    on_progress: ProgressCallback | None,
    raw: Prefixed,
) -> Iterator[ContactRecord | ParseProblem]:
    counter = _LineCounter(text)
    lines = iter(counter)
    # Find the header: the first of the first lines that maps to known columns.
    plan: _Plan | None = None
    delimiter = ","
    for _ in range(MAX_HEADER_SCAN):
        try:
            line = next(lines)
        except StopIteration:
            break
        except (UnicodeError, ValueError) as exc:
            yield ParseProblem(name, None, counter.lines, f"cannot decode as {enc}: {exc}")
            return
        if not line.strip():
            continue
        if isinstance(dialect, str):
            delimiter = dialect
        elif dialect is not None:
            delimiter = dialect.delimiter
        else:
            delimiter = _sniff_delimiter(line)
        try:
            header = next(csv.reader([line], delimiter=delimiter))
        except csv.Error:
            continue
        try:
            plan = _Plan([_repair(h) for h in header], mapping)
            break
        except ValueError as exc:
            if mapping is not None and "unknown mapping target" in str(exc):
                raise
            continue
    if plan is None:
        yield ParseProblem(name, None, None, "no header row with known contact columns found")
        return
    header_line = counter.lines
    if isinstance(dialect, str) or dialect is None:
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
    else:
        reader = csv.reader(lines, dialect=dialect, strict=True)
    source_format = f"csv:{plan.flavour}"
    entry_no = 0
    prev_line = header_line
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            entry_no += 1
            yield ParseProblem(name, entry_no, prev_line + 1, f"malformed CSV row: {exc}")
            prev_line = counter.lines
            continue
        start = prev_line + 1
        prev_line = counter.lines
        if not row or not any(c.strip() for c in row):
            continue
        entry_no += 1
        row = [_repair(c) for c in row]
        try:
            rec = _build_row(
                plan, row, source_format=source_format, file=name, entry_no=entry_no, line_no=start
            )
        except Exception as exc:  # one bad row must never end the import
            rec = ParseProblem(name, entry_no, start, f"unreadable row: {exc!r}")
        if rec is not None:
            yield rec
        if on_progress is not None and entry_no % PROGRESS_EVERY == 0:
            on_progress(entry_no, raw.bytes_read, size)
    if on_progress is not None:
        on_progress(entry_no, size or 0, size)


def parse_xlsx(
    source: PathOrFile,
    *,
    mapping: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    on_progress: ProgressCallback | None = None,
    max_unpacked_bytes: int = XLSX_MAX_UNPACKED_BYTES,
    max_cells: int = XLSX_MAX_CELLS,
) -> Iterator[ContactRecord | ParseProblem]:
    """Yield contacts from an Excel workbook (first sheet unless ``sheet`` names one).

    Uses openpyxl's read-only mode, which streams rows instead of loading the sheet (but
    keeps all shared strings in memory). Before openpyxl opens it, the workbook is refused
    with one problem when its zip members unpack to more than ``max_unpacked_bytes`` or
    the sheet's declared dimension spans more than ``max_cells``; a sheet that holds more
    cells than it declares stops at ``max_cells``. ``line_no`` is the sheet row number.
    """
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - dependency is pinned
        raise RuntimeError("reading .xlsx needs openpyxl") from exc
    name = str(source) if not hasattr(source, "read") else str(getattr(source, "name", "<stream>"))
    try:
        refusal = _check_workbook(source, sheet, max_unpacked_bytes, max_cells)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        refusal = f"not a readable .xlsx workbook: {exc}"
    if hasattr(source, "seek"):
        source.seek(0)
    if refusal:
        yield ParseProblem(name, None, None, refusal)
        return
    try:
        wb = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/XML errors of a broken workbook
        yield ParseProblem(name, None, None, f"not a readable .xlsx workbook: {exc}")
        return
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            ws = wb.worksheets[sheet]
        else:
            ws = wb[sheet]
        yield from _parse_rows(
            _limit_cells(ws.iter_rows(values_only=True), name, max_cells),
            name,
            mapping,
            on_progress,
            "xlsx",
            ws.max_row,
        )
    except _TooManyCells as exc:
        yield ParseProblem(name, None, None, str(exc))
    except Exception as exc:
        yield ParseProblem(name, None, None, f"workbook could not be read to the end: {exc}")
    finally:
        wb.close()


class _TooManyCells(Exception):
    pass


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=[\"']([A-Z]*)(\d*)(?::([A-Z]+)(\d+))?[\"']")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=[\"']([^\"']+)[\"'][^>]*>")
_SHEET_NAME = re.compile(rb"\bname=[\"']([^\"']*)[\"']")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTR = re.compile(rb"\b(Id|Target)=[\"']([^\"']+)[\"']")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _check_workbook(
    source: PathOrFile, sheet: str | int | None, max_unpacked: int, max_cells: int
) -> str:
    """Why the workbook is too big to open (an empty string when it is not).

    Reads only the zip directory and the head of the sheet: the sizes the members declare
    are also the most zipfile unpacks (it stops there), so they can be trusted.
    """
    with zipfile.ZipFile(source) as zf:
        unpacked = sum(info.file_size for info in zf.infolist())
        if unpacked > max_unpacked:
            return (
                f"the workbook unpacks to {unpacked / 2**20:.0f} MB, more than the limit of "
                f"{max_unpacked / 2**20:.0f} MB (GEFLECHT_XLSX_MAX_UNPACKED_MB)"
            )
        member = _sheet_member(zf, sheet)
        if member is None:
            return ""
        with zf.open(member) as fh:
            head = fh.read(SNIFF_BYTES)
    found = _DIMENSION.search(head)
    if not found or not found.group(3):
        return ""  # no dimension: the rows are counted while they stream
    col1, row1, col2, row2 = (g.decode() for g in found.groups())
    columns = _column_number(col2) - _column_number(col1 or "A") + 1
    rows = int(row2) - int(row1 or 1) + 1
    if columns * rows > max_cells:
        return (
            f"the sheet spans {columns} columns x {rows} rows, more than the limit of "
            f"{max_cells} cells (GEFLECHT_XLSX_MAX_CELLS)"
        )
    return ""


def _sheet_member(zf: zipfile.ZipFile, sheet: str | int | None) -> str | None:
    """The zip member of the sheet openpyxl will read (the first unless ``sheet`` says)."""
    try:
        workbook = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    sheets = list(_SHEET.finditer(workbook))
    if isinstance(sheet, str):
        sheets = [
            m
            for m in sheets
            if (n := _SHEET_NAME.search(m.group(0))) and n.group(1) == sheet.encode()
        ]
        index = 0
    else:
        index = sheet or 0
    if not -len(sheets) <= index < len(sheets):
        return None
    rel_id = sheets[index].group(1)
    for rel in _RELATIONSHIP.finditer(rels):
        attrs = dict(_ATTR.findall(rel.group(0)))
        if attrs.get(b"Id") == rel_id and b"Target" in attrs:
            target = attrs[b"Target"].decode()
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _limit_cells(rows: Iterable[Sequence[Any]], name: str, max_cells: int) -> Iterator:
    """The rows, until more than ``max_cells`` cells came (then :class:`_TooManyCells`)."""
    cells = 0
    for row in rows:
        cells += len(row)
        if cells > max_cells:
            raise _TooManyCells(
                f"the sheet holds more than {max_cells} cells, the limit "
                "(GEFLECHT_XLSX_MAX_CELLS); nothing after that was read"
            )
        yield row


def _parse_rows(
    rows: Iterable[Sequence[Any]],
    name: str,
    mapping: Mapping[str, str] | None,
    on_progress: ProgressCallback | None,
    kind: str,
    total: int | None,
) -> Iterator[ContactRecord | ParseProblem]:
    plan: _Plan | None = None
    entry_no = 0
    for row_no, row in enumerate(rows, start=1):
        if plan is None:
            if row_no > MAX_HEADER_SCAN:
                break
            cells = [_cell_text(c) for c in row]
            if not any(cells):
                continue
            try:
                plan = _Plan(cells, mapping)
            except ValueError as exc:
                if mapping is not None and "unknown mapping target" in str(exc):
                    raise
            continue
        if not any(_cell_text(c) for c in row):
            continue
        entry_no += 1
        try:
            rec = _build_row(
                plan,
                list(row),
                source_format=f"{kind}:{plan.flavour}",
                file=name,
                entry_no=entry_no,
                line_no=row_no,
            )
        except Exception as exc:
            rec = ParseProblem(name, entry_no, row_no, f"unreadable row: {exc!r}")
        if rec is not None:
            yield rec
        if on_progress is not None and entry_no % PROGRESS_EVERY == 0:
            on_progress(entry_no, 0, None)
    if plan is None:
        yield ParseProblem(name, None, None, "no header row with known contact columns found")
    if on_progress is not None:
        on_progress(entry_no, 0, None)
