"""Format detection, the parse_file dispatcher and progress callbacks."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime

import pytest

from geflecht.importers import parsers
from geflecht.importers.parsers import (
    ContactRecord,
    InteractionRecord,
    ParseProblem,
    detect_format,
    parse_contacts_csv,
    parse_file,
    parse_mbox,
)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("tricky.vcf", "vcard"),
        ("tricky.ics", "ics"),
        ("tricky.mbox", "mbox"),
        ("single.eml", "eml"),
        ("google_contacts.csv", "csv"),
        ("outlook_de_semicolon_cp1252.csv", "csv"),
        ("linkedin_connections.csv", "csv"),
    ],
)
def test_detect_format_of_our_files(files, name, fmt):
    assert detect_format(files / name) == fmt


def test_detect_format_by_content_not_name(tmp_path, files):
    wrong = tmp_path / "export.txt"
    wrong.write_bytes((files / "tricky.vcf").read_bytes())
    assert detect_format(wrong) == "vcard"
    cal = tmp_path / "calendar"
    cal.write_bytes((files / "tricky.ics").read_bytes())
    assert detect_format(cal) == "ics"
    assert detect_format(tmp_path) == "maildir"
    prose = tmp_path / "notes.md"
    prose.write_text("# Notes\nnothing to import\n")
    assert detect_format(prose) is None


def test_detect_format_of_real_files(shared):
    assert detect_format(shared("vcards", "roundcube", "utf-16_sample.vcf")) == "vcard"
    assert detect_format(shared("vcards", "horde-icalendar", "vcard2.1.vcs")) == "vcard"
    assert detect_format(shared("ics", "vobject", "ms_tzid.ics")) == "ics"
    enron = shared("enron-mbox", "sent_mail", "enron.allen-p._sent_mail")
    assert detect_format(enron) == "mbox"


def test_parse_file_passes_only_the_options_a_parser_takes(files):
    calls = []
    opts = {
        "me": ["me@geflecht.example"],
        "window_start": datetime(2024, 3, 1, tzinfo=UTC),
        "window_end": datetime(2024, 5, 1, tzinfo=UTC),
        "on_progress": lambda *a: calls.append(a),
    }
    vcards = list(parse_file(files / "tricky.vcf", **opts))
    assert sum(isinstance(i, ContactRecord) for i in vcards) == 6
    events = list(parse_file(files / "tricky.ics", **opts))
    assert all(isinstance(i, InteractionRecord) for i in events) and len(events) == 18
    mails = list(parse_file(files / "tricky.mbox", **opts))
    assert mails[1].my_role == "sender"
    assert len(calls) >= 3


def test_parse_file_reports_unknown_formats(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# nothing\n")
    (problem,) = parse_file(path)
    assert isinstance(problem, ParseProblem) and "format" in problem.reason


def test_parse_file_reads_a_maildir(tmp_path, files):
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    box.add((files / "single.eml").read_bytes())
    (rec,) = parse_file(tmp_path / "Mail")
    assert rec.source_format == "maildir"


def test_mbox_progress_counts_messages_and_bytes(tmp_path, files):
    one = (files / "single.eml").read_bytes()
    body = b"".join(
        b"From a@b Mon Jan  1 00:00:00 2024\n" + one.replace(b"eml1", b"m%d" % i) + b"\n"
        for i in range(2500)
    )
    path = tmp_path / "big.mbox"
    path.write_bytes(body)
    calls = []
    n = sum(1 for _ in parse_mbox(path, on_progress=lambda *a: calls.append(a)))
    assert n == 2500
    assert [c[0] for c in calls] == [1000, 2000, 2500]
    assert calls[-1][1:] == (len(body), len(body))


def test_csv_progress(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("Name,Email\n" + "".join(f"P {i},p{i}@example.de\n" for i in range(2100)))
    calls = []
    records = list(parse_contacts_csv(path, on_progress=lambda *a: calls.append(a)))
    assert len(records) == 2100
    assert [c[0] for c in calls] == [1000, 2000, 2100]


def test_public_api_is_complete():
    for name in parsers.__all__:
        assert hasattr(parsers, name), name
