"""E-mail header parsers: mbox, maildir, .eml; bulk detection; the Enron mailboxes."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from email.utils import getaddresses

import pytest

from geflecht.importers.parsers import (
    InteractionRecord,
    ParseProblem,
    parse_eml,
    parse_maildir,
    parse_mbox,
)

ME = "me@geflecht.example"


@pytest.fixture
def tricky(files):
    return list(parse_mbox(files / "tricky.mbox", me=[ME]))


def test_headers_become_an_email_interaction(tricky):
    first = tricky[0]
    assert isinstance(first, InteractionRecord)
    assert first.kind == "email" and first.external_id == "<m1@example.de>"
    assert first.start == datetime(2024, 3, 5, 9, 12, tzinfo=UTC)
    assert first.subject == "Angebot für Prüfstand"
    assert first.participants == (
        ("j.mueller@example.de", "Jürgen Müller", "sender"),
        (ME, "Ich Selbst", "recipient"),
        ("bjoern@example.de", "Weiß, Björn", "recipient"),
        ("anke@schroeder-metall.example", "", "cc"),
    )
    assert first.my_role == "recipient"
    assert not first.is_bulk


def test_body_lines_starting_with_from_do_not_split_messages(tricky):
    assert [i.entry_no for i in tricky] == list(range(1, 10))
    assert tricky[1].external_id == "<m2@geflecht.example>"


def test_reply_keeps_in_reply_to_and_me_as_sender(tricky):
    reply = tricky[1]
    assert reply.in_reply_to == "<m1@example.de>"
    assert reply.participants[0] == (ME, "Ich Selbst", "sender")  # address lower-cased
    assert reply.my_role == "sender"


@pytest.mark.parametrize(
    ("index", "reason"),
    [(2, "list-id"), (3, "precedence"), (4, "many recipients"), (6, "no-reply sender")],
)
def test_bulk_mail_is_flagged_with_its_reason(tricky, index, reason):
    assert tricky[index].is_bulk and tricky[index].bulk_reason == reason


def test_recipient_threshold_is_an_option(files):
    items = list(parse_mbox(files / "tricky.mbox", bulk_recipient_threshold=50))
    assert not items[4].is_bulk


def test_bad_messages_are_reported_and_skipped(tricky):
    problems = [(i.entry_no, i.line_no, i.reason) for i in tricky if isinstance(i, ParseProblem)]
    assert problems == [
        (6, 55, "invalid Date header '32nd of Smarch'"),
        (8, 72, "missing Date header"),
        (9, 79, "truncated: file ends inside the headers"),
    ]


def test_message_without_message_id_gets_a_stable_id(files, tricky):
    again = list(parse_mbox(files / "tricky.mbox", me=[ME]))
    assert tricky[6].external_id.startswith("sha1:")
    assert tricky[6].external_id == again[6].external_id


def test_subject_can_be_dropped(files):
    items = list(parse_mbox(files / "tricky.mbox", keep_subject=False))
    assert all(getattr(i, "subject", "") == "" for i in items)


def test_eml_reads_headers_only(files):
    (rec,) = parse_eml(files / "single.eml", me=ME)
    assert rec.source_format == "eml"
    assert rec.participants[0].display_name == "Renée Böhm"
    assert [p.role for p in rec.participants] == ["sender", "recipient", "cc", "cc"]
    assert rec.my_role == "recipient"
    assert "Geheim" not in repr(rec)  # the body is never read into the record


def test_maildir_reads_cur_and_new(tmp_path, files):
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    raw = (files / "single.eml").read_bytes()
    box.add(raw)
    box.add(raw.replace(b"<eml1@example.com>", b"<eml2@example.com>"))
    box.add(b"From: nobody\n\nno date, no address\n")
    records = list(parse_maildir(tmp_path / "Mail", me=[ME]))
    ids = sorted(r.external_id for r in records if isinstance(r, InteractionRecord))
    assert ids == ["<eml1@example.com>", "<eml2@example.com>"]
    (problem,) = [r for r in records if isinstance(r, ParseProblem)]
    assert "From" in problem.reason and problem.file.startswith(str(tmp_path))


def test_not_an_mbox(tmp_path):
    path = tmp_path / "x.mbox"
    path.write_bytes(b"hello\nworld\n")
    (problem,) = parse_mbox(path)
    assert isinstance(problem, ParseProblem) and "not an mbox" in problem.reason


# --- Enron ----------------------------------------------------------------------------


def test_enron_sent_mail_matches_the_stdlib_reader(shared):
    # A slice: three users' sent mail checked message by message against mailbox.mbox.
    folder = shared("enron-mbox", "sent_mail")
    checked = 0
    for user in ("allen-p", "skilling-j", "whalley-g"):
        path = folder / f"enron.{user}._sent_mail"
        ours = list(parse_mbox(path))
        assert all(isinstance(r, InteractionRecord) for r in ours), path
        theirs = list(mailbox.mbox(str(path)))
        assert len(ours) == len(theirs)
        for rec, msg in zip(ours, theirs, strict=True):
            assert rec.external_id == msg["Message-ID"].strip()
            sender = getaddresses([msg["From"]])[0][1].lower()
            assert (rec.participants[0].email, rec.participants[0].role) == (sender, "sender")
            to = {a.lower() for _, a in getaddresses(msg.get_all("To", [])) if "@" in a}
            got_to = {p.email for p in rec.participants if p.role == "recipient"}
            assert got_to == to - {sender}  # a note to oneself is no tie
            assert rec.start.tzinfo is UTC
            checked += 1
    assert checked > 600


def test_enron_sent_mail_counts(shared):
    folder = shared("enron-mbox", "sent_mail")
    n = 0
    senders = set()
    for path in sorted(folder.glob("enron.*")):
        for rec in parse_mbox(path):
            assert isinstance(rec, InteractionRecord)
            n += 1
            senders.add(rec.participants[0].email)
    assert n == 22_553  # the figure in SOURCE.txt
    assert len(senders) == 103
