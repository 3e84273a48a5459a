"""Fuzzing: no input makes a parser raise; bad input becomes ParseProblem items.

Random bytes and mutated copies of real files (flipped, inserted, deleted and cut
bytes) go through every parser. Each parser must yield only records and problems.
"""

from __future__ import annotations

import io
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geflecht.importers.parsers import (
    ContactRecord,
    InteractionRecord,
    ParseProblem,
    parse_contacts_csv,
    parse_eml,
    parse_file,
    parse_ics,
    parse_maildir,
    parse_mbox,
    parse_vcards,
    parse_xlsx,
)

FILES = Path(__file__).resolve().parent / "files"
OK = (ContactRecord, InteractionRecord, ParseProblem)
WINDOW = {
    "window_start": datetime(2000, 1, 1, tzinfo=UTC),
    "window_end": datetime(2030, 1, 1, tzinfo=UTC),
}
# GEFLECHT_FUZZ_EXAMPLES=5000 for a long hunt; the default keeps the suite fast.
N = int(os.environ.get("GEFLECHT_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=N,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated(draw, seed: bytes):
    """A real file with a few random edits: the bugs fuzzing finds live near valid input."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(
                st.one_of(
                    st.binary(max_size=16),
                    st.sampled_from(
                        [b"\r\n", b"\n ", b"=", b";", b":", b'"', b"\\", b"\x00", b"\xff\xfe",
                         b"BEGIN:VCARD\r\n", b"END:VCARD\r\n", b"BEGIN:VEVENT\r\n",
                         b"END:VEVENT\r\n", b"From x@y Mon Jan  1 00:00:00 2024\n\n",
                         b"RRULE:FREQ=SECONDLY\r\n", b"DTSTART:99999999T999999Z\r\n"]
                    ),
                )
            )  # fmt: skip
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 32))]
        elif op == "truncate":
            del data[pos:]
        elif op == "duplicate":
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 200))]
    return bytes(data)


def _run(parser, data: bytes, suffix: str = "", **kwargs) -> None:
    items = list(parser(io.BytesIO(data), **kwargs))
    assert all(isinstance(i, OK) for i in items)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, f"fuzz{suffix}")
        path.write_bytes(data)
        items = list(parser(path, **kwargs))
        assert all(isinstance(i, OK) for i in items)


_VCARD_SEED = (FILES / "tricky.vcf").read_bytes()
_CSV_SEED = (FILES / "google_contacts.csv").read_bytes()
_CSV_SEED2 = (FILES / "outlook_de_semicolon_cp1252.csv").read_bytes()
_ICS_SEED = (FILES / "tricky.ics").read_bytes()
_MBOX_SEED = (FILES / "tricky.mbox").read_bytes()
_EML_SEED = (FILES / "single.eml").read_bytes()


@FUZZ
@given(st.one_of(st.binary(max_size=3000), mutated(_VCARD_SEED)))
def test_vcard_parser_never_raises(data):
    _run(parse_vcards, data, ".vcf")
    _run(parse_vcards, data, ".vcf", require_name=False)


@FUZZ
@given(st.one_of(st.binary(max_size=3000), mutated(_CSV_SEED), mutated(_CSV_SEED2)))
def test_csv_parser_never_raises(data):
    _run(parse_contacts_csv, data, ".csv")


@settings(FUZZ, max_examples=max(10, N // 4))  # icalendar is the slow one
@given(st.one_of(st.binary(max_size=3000), mutated(_ICS_SEED)))
def test_ics_parser_never_raises(data):
    _run(parse_ics, data, ".ics", **WINDOW)


@FUZZ
@given(st.one_of(st.binary(max_size=3000), mutated(_MBOX_SEED)))
def test_mbox_parser_never_raises(data):
    _run(parse_mbox, data, ".mbox", me=["me@geflecht.example"])


@FUZZ
@given(st.one_of(st.binary(max_size=2000), mutated(_EML_SEED)))
def test_eml_and_maildir_parsers_never_raise(data):
    _run(parse_eml, data, ".eml")
    with tempfile.TemporaryDirectory() as tmp:
        cur = Path(tmp, "cur")
        cur.mkdir()
        (cur / "1:2,S").write_bytes(data)
        (cur / "2:2,S").write_bytes(_EML_SEED)
        items = list(parse_maildir(tmp))
        assert all(isinstance(i, OK) for i in items)
        assert any(isinstance(i, InteractionRecord) for i in items)


def _xlsx_seed() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["First Name", "Last Name", "E-mail Address"])
    wb.active.append(["Anna", "Ärmel", "anna@example.de"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@settings(FUZZ, max_examples=max(10, N // 3))
@given(st.one_of(st.binary(max_size=500), mutated(_xlsx_seed())))
def test_xlsx_parser_never_raises(data):
    _run(parse_xlsx, data, ".xlsx")


@settings(FUZZ, max_examples=max(10, N // 2))
@given(
    st.one_of(st.binary(max_size=1000), mutated(_VCARD_SEED), mutated(_MBOX_SEED)),
    st.sampled_from([".vcf", ".csv", ".ics", ".mbox", ".eml", ".xlsx", ".txt", ""]),
)
def test_dispatcher_never_raises(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, f"upload{suffix}")
        path.write_bytes(data)
        items = list(parse_file(path, **WINDOW, me=["me@geflecht.example"]))
        assert all(isinstance(i, OK) for i in items)


def test_real_files_mutated_deterministically_never_raise(shared):
    # Every real vCard and a slice of the calendars, each cut in half and with bytes
    # flipped: a fixed, reproducible complement to the random examples above.
    paths = sorted(shared("vcards").glob("*/*.vc[fs]")) + sorted(shared("ics").glob("*/*.ics"))[:60]
    for path in paths:
        data = path.read_bytes()
        for variant in (data[: len(data) // 2], data.replace(b":", b";", 3), data[::-1][:2000]):
            parser = parse_ics if path.suffix == ".ics" else parse_vcards
            kwargs = WINDOW if parser is parse_ics else {}
            items = list(parser(io.BytesIO(variant), **kwargs))
            assert all(isinstance(i, OK) for i in items), path


def test_ics_with_a_damaged_recurrence_rule_is_reported_not_raised():
    data = (
        _ICS_SEED.replace(b"FREQ=WEEKLY", b"FREQ= EEKLY")
        if b"FREQ=WEEKLY" in _ICS_SEED
        else (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x1\r\n"
            b"DTSTART:20240105T090000Z\r\nDTEND:20240105T100000Z\r\nSUMMARY:Jour fixe\r\n"
            b"RRULE:FREQ= EEKLY;COUNT=3\r\nORGANIZER:mailto:a@acme.de\r\n"
            b"ATTENDEE:mailto:b@acme.de\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    )
    _run(parse_ics, data, ".ics", **WINDOW)
