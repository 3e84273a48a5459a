"""Safety of the loader: entries are written atomically, bodies are never stored, and no
file, however damaged, makes ``import_file`` raise."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geflecht.importers.load import import_file
from geflecht.network.models import Interaction
from geflecht.people.models import ContactEmail, Person

ME = "me@geflecht.example"


def _refuse(table: str, column: str, value: str) -> None:
    """Make the database itself refuse rows with ``column = value`` (a trigger), as a
    full disk or a constraint added later would: the loader cannot see it coming."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION geflecht_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF NEW.{column} = '{value}' THEN RAISE EXCEPTION 'refused by test'; "
                "END IF; RETURN NEW; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER geflecht_test_refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION geflecht_test_refuse()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER geflecht_test_refuse BEFORE INSERT ON {table} "
                f"WHEN NEW.{column} = '{value}' BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
            )


def test_an_entry_the_database_refuses_costs_only_itself(owner, tmp_path):
    _refuse("people_person", "last_name", "Kaputt")
    cards = "".join(
        f"BEGIN:VCARD\nVERSION:3.0\nN:{last};Eva;;;\nFN:Eva {last}\n"
        f"EMAIL:eva.{n}@example.de\nEND:VCARD\n"
        for n, last in enumerate(["Roth", "Weiß", "Kaputt", "Groß"], start=1)
    )
    path = tmp_path / "cards.vcf"
    path.write_text(cards, encoding="utf-8")
    report = import_file(path, user=owner)
    assert (report.people.created, report.people.skipped) == (3, 1)
    (problem,) = report.problems
    assert (problem.entry_no, problem.line_no) == (3, 13)  # where its card begins
    assert "not stored" in problem.reason and "refused by test" in problem.reason
    assert set(Person.objects.filter(first_name="Eva").values_list("last_name", flat=True)) == {
        "Roth",
        "Weiß",
        "Groß",
    }
    # Nothing of the refused entry is left behind (its e-mail address was in the batch).
    assert not ContactEmail.objects.filter(email="eva.3@example.de").exists()


def test_a_message_the_database_refuses_costs_only_itself(owner, tmp_path):
    _refuse("network_interaction", "subject", "Kaputt")
    messages = "".join(
        f"From x Mon Jan  1 00:00:00 2024\nMessage-ID: <m{n}@example.de>\n"
        f"Date: Mon, {n} Jan 2024 09:00:00 +0100\nFrom: Eva Roth <eva@roth.example>\n"
        f"To: Björn Weiß <bjoern@weiss.example>\nSubject: {subject}\n\nText\n\n"
        for n, subject in enumerate(["Angebot", "Kaputt", "Termin"], start=1)
    )
    path = tmp_path / "mail.mbox"
    path.write_text(messages, encoding="utf-8")
    report = import_file(path, user=owner)
    assert (report.interactions.created, report.interactions.skipped) == (2, 1)
    assert [p.entry_no for p in report.problems] == [2]
    assert set(Interaction.objects.values_list("subject", flat=True)) == {"Angebot", "Termin"}


def test_mail_bodies_are_never_stored(owner, tmp_path):
    path = tmp_path / "mail.mbox"
    path.write_text(
        "From x Mon Jan  1 00:00:00 2024\nMessage-ID: <b1@example.de>\n"
        "Date: Mon, 1 Jan 2024 09:00:00 +0100\nFrom: Eva Roth <eva@roth.example>\n"
        "To: Björn Weiß <bjoern@weiss.example>\nSubject: Angebot\n\n"
        "Vertraulich: Rabatt 17 Prozent, Kennwort Geheim123\n\n",
        encoding="utf-8",
    )
    assert import_file(path, user=owner, me=[ME]).interactions.created == 1
    with connection.cursor() as cursor:
        for table in ("network_interaction", "people_person", "people_contactemail"):
            cursor.execute(f"SELECT * FROM {table}")
            assert "Geheim123" not in repr(cursor.fetchall())


CARD = st.sampled_from(
    [
        "BEGIN:VCARD\n", "VERSION:3.0\n", "VERSION:2.1\n", "END:VCARD\n", "N:Müller;Jürgen;;;\n",
        "FN:Dr. Käthe Groß\n", "EMAIL:a@b.de\n", "EMAIL:kaputt\n", "TEL:+49 731 123450\n",
        "TEL:abc\n", "ORG:Weiß AG;Einkauf\n", "TITLE:Leiterin\n",
        "ADR;TYPE=work:;;Weg 1;Ulm;;89073;DE\n",
        "N;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;=\n", " folded\n", "NOTE:x\\ny\n", "\x00", "\n",
        "BDAY:2024-02-30\n", "N:" + "x" * 300 + ";;;;\n", "EMAIL:" + "a" * 250 + "@b.de\n",
    ]
)  # fmt: skip


@settings(
    max_examples=int(os.environ.get("GEFLECHT_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(CARD, max_size=30))
def test_no_address_book_makes_the_import_raise(owner, tmp_path, lines):
    path = tmp_path / "fuzz.vcf"
    path.write_bytes("".join(lines).encode("utf-8", "surrogatepass"))
    report = import_file(path, user=owner)
    people = report.people
    assert report.entries == (
        people.created + people.updated + people.unchanged + people.merged + people.skipped
    )
    assert all(p.reason for p in report.problems)


@pytest.mark.parametrize("private", [False, True])
def test_dry_run_of_a_mailbox_writes_nothing(owner, files, private):
    report = import_file(files / "tricky.mbox", user=owner, me=[ME], dry_run=True, private=private)
    assert report.interactions.created > 0
    assert not Interaction.objects.exists()
    assert Person.objects.count() == 1  # only Anna herself
