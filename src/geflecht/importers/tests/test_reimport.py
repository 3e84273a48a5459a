"""Re-importing the same file changes nothing, in every format we read.

Contacts are found again by e-mail, phone or exact name; interactions by their source
and external id (Message-ID, calendar UID plus occurrence). The database is compared
row by row, strengths included: a re-import must not add evidence either.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from geflecht.importers.load import CONTACT_FORMATS, import_file
from geflecht.network.models import Interaction, InteractionParticipant, Relationship
from geflecht.people.models import (
    ContactEmail,
    ContactPhone,
    Organization,
    Person,
    Position,
    Site,
)

ME = "me@geflecht.example"


def _state() -> dict[str, list[tuple]]:
    """Every row an import writes, as plain values (ids included)."""
    return {
        "people": list(
            Person.objects.order_by("pk").values_list(
                "pk", "title", "first_name", "last_name", "notes", "tags", "version"
            )
        ),
        "emails": list(ContactEmail.objects.order_by("pk").values_list("person_id", "email")),
        "phones": list(ContactPhone.objects.order_by("pk").values_list("person_id", "number")),
        "organisations": list(Organization.objects.order_by("pk").values_list("pk", "name")),
        "sites": list(Site.objects.order_by("pk").values_list("pk", "organization_id", "city")),
        "positions": list(
            Position.objects.order_by("pk").values_list("person_id", "organization_id", "title")
        ),
        "interactions": list(
            Interaction.objects.order_by("pk").values_list("pk", "source", "external_id")
        ),
        "participants": list(
            InteractionParticipant.objects.order_by("pk").values_list(
                "interaction_id", "person_id", "role"
            )
        ),
        "relationships": list(
            Relationship.objects.order_by("pk").values_list(
                "person_a_id", "person_b_id", "strength", "last_interaction_at"
            )
        ),
    }


def _assert_reimport_changes_nothing(path: Path, owner, **options) -> None:
    first = import_file(path, user=owner, me=[ME], **options)
    before = _state()
    again = import_file(path, user=owner, me=[ME], **options)
    assert _state() == before
    assert (again.people.created, again.people.updated, again.people.merged) == (0, 0, 0)
    assert (again.interactions.created, again.organizations.created) == (0, 0)
    if first.format in CONTACT_FORMATS:
        assert again.people.unchanged == first.people.created + first.people.updated + (
            first.people.unchanged
        )
    assert again.interactions.unchanged == first.interactions.created + (
        first.interactions.unchanged
    )


def _xlsx(tmp_path: Path) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Vorname", "Nachname", "E-Mail-Adresse", "Mobiltelefon", "Firma", "Geburtstag"])
    ws.append(["Jürgen", "Weiß", "jw@example.de", 491715550101, "Weiß AG", date(1970, 3, 1)])
    ws.append(["Nur", "Name", None, None, None, None])
    ws.append(["Käthe", "Groß", None, "+49 731 5550102", "Groß KG", None])
    path = tmp_path / "kontakte.xlsx"
    wb.save(path)
    return path


def _maildir(files: Path, tmp_path: Path) -> Path:
    box = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    shutil.copy(files / "single.eml", box / "cur" / "1700000000.1.host:2,S")
    return box


OWN_FILES = [
    "load_roundtrip.vcf",
    "tricky.vcf",
    "google_contacts.csv",
    "linkedin_connections.csv",
    "outlook_de_semicolon_cp1252.csv",
    "tricky.ics",
    "tricky.mbox",
    "single.eml",
]


@pytest.mark.parametrize("name", OWN_FILES)
def test_reimport_of_our_files_changes_nothing(owner, files, name):
    _assert_reimport_changes_nothing(files / name, owner)


def test_reimport_of_an_xlsx_changes_nothing(owner, tmp_path):
    path = _xlsx(tmp_path)
    report = import_file(path, user=owner)
    assert report.people.created == 3
    _assert_reimport_changes_nothing(path, owner)


def test_reimport_of_a_maildir_changes_nothing(owner, files, tmp_path):
    box = _maildir(files, tmp_path)
    assert import_file(box, user=owner, me=[ME]).interactions.created == 1
    _assert_reimport_changes_nothing(box, owner)


def test_private_reimport_changes_nothing(owner, files):
    _assert_reimport_changes_nothing(files / "load_roundtrip.vcf", owner, private=True)
    _assert_reimport_changes_nothing(files / "tricky.mbox", owner, private=True)


def test_a_card_with_only_a_name_among_namesakes_is_found_again(owner, tmp_path):
    """Three cards "Eva Roth", two with an address each and one with nothing else: the
    bare one is not any of the others, and a re-import finds it again."""
    path = tmp_path / "namesakes.vcf"
    path.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nN:Roth;Eva;;;\nEMAIL:eva@roth.example\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nN:Roth;Eva;;;\nEMAIL:eva@weiss.example\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nN:Roth;Eva;;;\nEND:VCARD\n",
        encoding="utf-8",
    )
    assert import_file(path, user=owner).people.created == 3
    _assert_reimport_changes_nothing(path, owner)


def test_list_mail_before_its_people_are_known_is_recorded_once(owner, tmp_path):
    """A newsletter to two people the file only introduces later counts on the first
    import already, so the re-import has nothing left to add."""
    mbox = tmp_path / "list-first.mbox"
    mbox.write_text(
        "From x Mon Jan  1 00:00:00 2024\n"
        "Message-ID: <list-1@example.de>\nDate: Mon, 1 Jan 2024 09:00:00 +0100\n"
        "From: Verband <news@verband.example>\n"
        "To: bjoern@weiss.example, kaethe@gross.example\n"
        "List-Id: <mitglieder.verband.example>\nSubject: Rundbrief\n\nText\n\n"
        "From x Tue Jan  2 00:00:00 2024\n"
        "Message-ID: <m-2@example.de>\nDate: Tue, 2 Jan 2024 09:00:00 +0100\n"
        "From: Björn Weiß <bjoern@weiss.example>\nTo: Käthe Groß <kaethe@gross.example>\n"
        "Subject: Angebot\n\nText\n\n",
        encoding="utf-8",
    )
    first = import_file(mbox, user=owner)
    assert first.interactions.created == 2
    assert Interaction.objects.filter(external_id="<list-1@example.de>").exists()
    _assert_reimport_changes_nothing(mbox, owner)


def test_reimport_of_the_real_address_books_changes_nothing(owner, shared):
    paths = sorted(shared("vcards").rglob("*.vcf")) + sorted(
        shared("contact-csv", "roundcube").glob("*.csv")
    )
    assert len(paths) > 20
    for path in paths:
        import_file(path, user=owner)
    before = _state()
    for path in paths:
        again = import_file(path, user=owner)
        assert again.people.created == 0, path
    assert _state() == before


def test_reimport_of_the_real_calendars_changes_nothing(owner, shared):
    paths = sorted(shared("ics").rglob("*.ics"))
    assert paths
    for path in paths:
        import_file(path, user=owner, me=[ME])
    assert Interaction.objects.exists()
    before = _state()
    for path in paths:
        again = import_file(path, user=owner, me=[ME])
        assert (again.people.created, again.interactions.created) == (0, 0), path
    assert _state() == before


def test_reimport_of_a_real_mailbox_changes_nothing(owner, shared):
    path = shared("enron-mbox", "sent_mail", "enron.badeer-r._sent_mail")
    _assert_reimport_changes_nothing(path, owner)
