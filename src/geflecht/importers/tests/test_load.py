"""Loading parsed files: contacts, calendars and mailboxes into people and interactions."""

from __future__ import annotations

import pytest
from django.db.models import Count

from geflecht.importers.load import import_file
from geflecht.network.models import Interaction, InteractionParticipant, Relationship
from geflecht.people.models import ContactEmail, ContactPhone, Organization, Person, Position
from geflecht.people.queries import visible_people

ME = "me@geflecht.example"


def _counts():
    return (
        Person.objects.count(),
        ContactEmail.objects.count(),
        ContactPhone.objects.count(),
        Position.objects.count(),
        Organization.objects.count(),
        Interaction.objects.count(),
        InteractionParticipant.objects.count(),
        Relationship.objects.count(),
    )


def test_vcard_import_creates_people_with_position_site_and_umlauts(owner, files):
    report = import_file(files / "load_roundtrip.vcf", user=owner, private=False)
    assert report.problems == []
    assert (report.people.created, report.people.skipped) == (3, 0)
    mueller = Person.objects.get(last_name="Müller-Lüdenscheid")
    assert (mueller.title, mueller.first_name) == ("Dr.", "Jürgen")
    assert mueller.tags == ["Kunde", "Messe"]
    assert "keine Termine montags" in mueller.notes
    assert set(mueller.emails.values_list("email", flat=True)) == {
        "j.mueller@grosshandel-sued.example",
        "juergen@privat.example",
    }
    assert set(mueller.phones.values_list("number", flat=True)) == {
        "+498912340",
        "+491712345678",
    }
    position = mueller.positions.get()
    assert position.organization.name == "Großhandel Süd GmbH"
    assert (position.title, position.department) == ("Leiter Einkauf", "Einkauf")
    assert (position.site.city, position.site.street, position.site.country) == (
        "München",
        "Straße des 17. Juni 5",
        "DE",
    )
    assert mueller.visibility == "company" and mueller.owner == owner


def test_reimport_creates_nothing(owner, files):
    import_file(files / "load_roundtrip.vcf", user=owner)
    before = _counts()
    again = import_file(files / "load_roundtrip.vcf", user=owner)
    assert _counts() == before
    assert again.people.created == 0 and again.people.unchanged == 3
    assert again.duplicates == []


def test_broken_file_keeps_valid_entries_and_reports_entry_numbers(owner, files):
    report = import_file(files / "load_broken.vcf", user=owner)
    assert report.people.created == 3
    assert report.people.skipped == 2
    assert [(p.entry_no, p.line_no) for p in report.problems] == [(2, 7), (5, 25)]
    assert "missing name" in report.problems[0].reason
    assert "truncated" in report.problems[1].reason
    assert Person.objects.filter(last_name__in=["Erste", "Kaputt", "Zweite"]).count() == 3
    assert ContactPhone.objects.get(person__last_name="Zweite").number == "+4973155501"


def test_progress_is_reported_to_the_caller(owner, files):
    seen = []
    import_file(files / "load_broken.vcf", user=owner, on_progress=lambda *a: seen.append(a))
    assert seen and seen[-1][0] == 5


def test_dry_run_writes_nothing_and_reports_what_would_change(owner, files):
    before = _counts()
    report = import_file(files / "load_roundtrip.vcf", user=owner, dry_run=True)
    assert report.dry_run and report.people.created == 3
    assert report.organizations.created == 2
    assert _counts() == before


def test_same_email_updates_the_known_person(owner, files, tenant):
    known = Person.objects.create(tenant=tenant, first_name="", last_name="Weiß")
    ContactEmail.objects.create(person=known, email="bjoern@weiss-technik.example")
    report = import_file(files / "load_roundtrip.vcf", user=owner, private=False)
    assert report.people.updated == 1 and report.people.created == 2
    known.refresh_from_db()
    assert known.first_name == "Björn"  # an empty field filled
    assert known.positions.get().organization.name == "Weiß Technik AG"


def test_similar_name_at_same_organisation_is_flagged_not_merged(owner, tenant, files):
    org = Organization.objects.create(tenant=tenant, name="Weiss Technik AG")
    known = Person.objects.create(tenant=tenant, first_name="Bjoern", last_name="Weiss")
    Position.objects.create(tenant=tenant, person=known, organization=org)
    ContactEmail.objects.create(person=known, email="b.weiss@other.example")
    report = import_file(files / "load_roundtrip.vcf", user=owner)
    assert report.people.created == 3
    (dup,) = report.duplicates
    new = Person.objects.get(last_name="Weiß")
    assert (dup.survivor_id, dup.person_id) == (known.pk, new.pk)
    assert dup.level == "probable" and "same organisation" in dup.reasons


def test_email_and_phone_of_two_known_people_merge_them(owner, tenant, tmp_path):
    a = Person.objects.create(tenant=tenant, first_name="Eva", last_name="Roth")
    ContactEmail.objects.create(person=a, email="eva@roth.example")
    b = Person.objects.create(tenant=tenant, first_name="E.", last_name="Roth")
    ContactPhone.objects.create(person=b, number="+49731123450")
    card = tmp_path / "eva.vcf"
    card.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Eva Roth\nN:Roth;Eva;;;\nEMAIL:eva@roth.example\n"
        "TEL:0731 123450\nEND:VCARD\n"
    )
    report = import_file(card, user=owner, private=False)
    assert report.people.merged == 1 and report.people.created == 0
    assert not Person.objects.filter(pk=b.pk).exists()
    assert set(a.phones.values_list("number", flat=True)) == {"+49731123450"}


def test_private_import_is_invisible_to_a_colleague(owner, colleague, files):
    import_file(files / "load_roundtrip.vcf", user=owner, private=True)
    assert visible_people(colleague).filter(last_name="Weiß").count() == 0
    assert visible_people(owner).filter(last_name="Weiß", visibility="private").count() == 1


def test_private_import_does_not_write_into_shared_people(owner, tenant, files):
    shared = Person.objects.create(tenant=tenant, last_name="Weiß")
    ContactEmail.objects.create(person=shared, email="bjoern@weiss-technik.example")
    report = import_file(files / "load_roundtrip.vcf", user=owner, private=True)
    assert report.people.created == 3
    shared.refresh_from_db()
    assert shared.first_name == "" and not shared.positions.exists()
    assert any(d.level == "certain" for d in report.duplicates)


def test_contact_import_query_count_is_bounded(owner, tmp_path, django_assert_max_num_queries):
    def cards(n: int, start: int) -> str:
        return "".join(
            f"BEGIN:VCARD\nVERSION:3.0\nFN:Vor{i} Nach{i}\nN:Nach{i};Vor{i};;;\n"
            f"EMAIL:p{i}@firma{i % 7}.example\nTEL:+49 731 {100000 + i}\nORG:Firma {i % 7}\n"
            "TITLE:Einkauf\nEND:VCARD\n"
            for i in range(start, start + n)
        )

    small, big = tmp_path / "small.vcf", tmp_path / "big.vcf"
    small.write_text(cards(5, 0))
    big.write_text(cards(200, 1000))
    with django_assert_max_num_queries(40):
        import_file(small, user=owner)
    with django_assert_max_num_queries(40):
        report = import_file(big, user=owner)
    assert report.people.created == 200


def test_ics_creates_meetings_with_attendees(owner, files):
    report = import_file(files / "tricky.ics", user=owner, me=[ME])
    assert report.interactions.created > 0
    meeting = Interaction.objects.filter(subject="Jour fixe Einkauf").first()
    assert meeting is not None and meeting.source == "ics"
    people = set(meeting.participants.values_list("last_name", flat=True))
    assert {"Schmidt", "Müller"} <= people  # Anna (me) and Jürgen Müller
    again = import_file(files / "tricky.ics", user=owner, me=[ME])
    assert again.interactions.created == 0


def test_mbox_creates_emails_and_no_ties_from_bulk_mail(owner, files):
    report = import_file(files / "tricky.mbox", user=owner, me=[ME])
    assert [(p.entry_no, p.line_no) for p in report.problems] == [(6, 55), (8, 72), (9, 79)]
    assert "invalid Date" in report.problems[0].reason
    first = Interaction.objects.get(external_id="<m1@example.de>")
    assert first.kind == "email" and first.source == "mail"
    roles = dict(first.participations.values_list("person__emails__email", "role"))
    assert roles == {
        "j.mueller@example.de": "sender",
        "bjoern@example.de": "recipient",
        "anke@schroeder-metall.example": "cc",
        None: "recipient",  # me: Anna's person has no address stored
    }
    assert Person.objects.get(emails__email="bjoern@example.de").first_name == "Björn"
    # Bulk mail (list, precedence, 30 recipients, no-reply) creates no people and no ties.
    for address in ("news@lists.example", "shop@example.com", "boss@example.de"):
        assert not ContactEmail.objects.filter(email=address).exists()
    assert not ContactEmail.objects.filter(email__endswith="@kunde.example").exists()
    me = owner.person_id
    pairs = set(Relationship.objects.values_list("person_a_id", "person_b_id"))
    m1 = set(first.participations.values_list("person_id", flat=True))
    assert me in m1 and len(m1) == 4
    assert pairs == {(a, b) for a in m1 for b in m1 if a < b}  # the 4-person thread only
    again = import_file(files / "tricky.mbox", user=owner, me=[ME])
    assert again.interactions.created == 0 and again.people.created == 0


def test_enron_slice_imports_messages_with_right_participants(owner, shared, tmp_path):
    source = shared("enron-mbox", "sent_mail", "enron.badeer-r._sent_mail")
    report = import_file(source, user=owner)
    assert report.interactions.created > 50
    assert report.problems == [] or all(p.entry_no for p in report.problems)
    per = (
        Interaction.objects.annotate(n=Count("participations"))
        .values_list("participant_count", "n")
        .distinct()
    )
    assert all(a == b for a, b in per)
    sender = Person.objects.get(emails__email="robert.badeer@enron.com")
    assert sender.participations.filter(role="sender").count() == report.interactions.created


@pytest.mark.parametrize("name", ["all", "gmail", "tb_plain"])
def test_csv_and_vcard_of_the_same_people_become_the_same_persons(owner, shared, name):
    folder = shared("contact-csv", "roundcube")
    first = import_file(folder / f"{name}.vcf", user=owner)
    people = Person.objects.count()
    second = import_file(folder / f"{name}.csv", user=owner)
    assert first.people.created >= 1
    assert second.people.created == 0, second.duplicates
    assert Person.objects.count() == people


def test_real_vcards_import_with_counts_and_reasons(owner, shared):
    folder = shared("vcards")
    created = skipped = 0
    for path in sorted(folder.rglob("*.vcf")):
        report = import_file(path, user=owner)
        created += report.people.created
        skipped += report.people.skipped
        assert all(p.reason for p in report.problems)
        assert report.people.skipped == len([p for p in report.problems if p.entry_no])
    assert created > 80
    assert Person.objects.filter(last_name__contains="ü").exists()
