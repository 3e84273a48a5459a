"""load_records: the loaders without a file (for the connectors), and forgetting a load."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from geflecht.importers.actions import forget_records
from geflecht.importers.load import load_records
from geflecht.importers.parsers import ContactRecord, InteractionRecord, ParseProblem, Participant
from geflecht.network.models import GraphState, Interaction, Relationship
from geflecht.people.models import ContactEmail, Organization, Person, Position

ME = "anna@brenner.example"


def _mail(n: int, *others: str, day: int = 1, subject: str = "Angebot") -> InteractionRecord:
    return InteractionRecord(
        source_format="imap",
        entry_no=n,
        external_id=f"<m{n}@brenner.example>",
        kind="email",
        start=datetime(2026, 3, day, 9, tzinfo=UTC),
        subject=subject,
        participants=(
            Participant(ME, "Anna Schmidt", "sender"),
            *(Participant(o, o.split("@")[0].title() + " Kunde", "recipient") for o in others),
        ),
    )


def _card(n: int, first: str, last: str, email: str, org: str = "") -> ContactRecord:
    return ContactRecord(
        source_format="vcard",
        entry_no=n,
        given_name=first,
        family_name=last,
        emails=((email, "work"),),  # type: ignore[arg-type]
        organization=org,
    )


def _mails(owner, records, source="imap:12"):
    return load_records(
        records, user=owner, kind="interactions", source=source, name="Postfach", me=[ME]
    )


def test_records_load_privately_under_their_source_and_name_what_they_created(owner):
    report = _mails(
        owner,
        [
            _mail(1, "eva@kunde.example"),
            _mail(2, "eva@kunde.example", "tom@kunde.example", day=2),
            ParseProblem("Postfach", 3, None, "no Date header"),
        ],
    )
    assert report.file == "Postfach"
    assert report.interactions.created == 2 and report.people.created == 2
    assert [str(p) for p in report.problems] == ["Postfach, entry 3: no Date header"]
    stored = Interaction.objects.filter(source="imap:12")
    assert sorted(report.created_ids["interactions"]) == sorted(stored.values_list("pk", flat=True))
    assert set(stored.values_list("visibility", flat=True)) == {"private"}
    new_people = Person.objects.filter(pk__in=report.created_ids["people"])
    assert sorted(
        ContactEmail.objects.filter(person__in=new_people).values_list("email", flat=True)
    ) == [
        "eva@kunde.example",
        "tom@kunde.example",
    ]
    assert set(new_people.values_list("visibility", flat=True)) == {"private"}
    rels = Relationship.objects.filter(pk__in=report.created_ids["relationships"])
    assert rels.count() == 3  # Anna-Eva, Anna-Tom, Eva-Tom
    assert set(rels.values_list("visibility", "owner")) == {("private", owner.pk)}


def test_loading_the_same_records_again_creates_nothing(owner):
    _mails(owner, [_mail(1, "eva@kunde.example")])
    again = _mails(owner, [_mail(1, "eva@kunde.example")])
    assert again.interactions.created == 0 and again.interactions.unchanged == 1
    assert again.created_ids == {
        "people": [],
        "organizations": [],
        "interactions": [],
        "upcoming_meetings": [],
        "relationships": [],
    }


def test_contact_records_load_with_progress_and_created_organisations(owner):
    seen = []
    report = load_records(
        [_card(i, "Eva", f"Roth{i}", f"eva{i}@roth.example", org="Roth GmbH") for i in range(1, 4)],
        user=owner,
        kind="contacts",
        source="carddav:3",
        name="Adressbuch",
        on_progress=lambda *a: seen.append(a),
    )
    assert report.people.created == 3 and seen[-1] == (3, 0, None)
    assert Organization.objects.get(pk__in=report.created_ids["organizations"]).name == "Roth GmbH"
    assert (
        Person.objects.filter(pk__in=report.created_ids["people"], visibility="private").count()
        == 3
    )


def test_bad_arguments_are_refused(owner):
    with pytest.raises(ValueError, match="kind"):
        load_records([], user=owner, kind="mail", source="imap:1", name="x")
    with pytest.raises(ValueError, match="source"):
        load_records([], user=owner, kind="contacts", source="x" * 31, name="x")


def test_forget_removes_what_one_account_brought_and_keeps_what_another_needs(owner):
    first = _mails(
        owner, [_mail(1, "eva@kunde.example"), _mail(2, "tom@kunde.example")], source="imap:1"
    )
    other = _mails(owner, [_mail(9, "eva@kunde.example", day=20)], source="imap:2")
    assert other.people.created == 0  # Eva is known from the first account
    eva = Person.objects.get(emails__email="eva@kunde.example")
    tom = Person.objects.get(emails__email="tom@kunde.example")
    me = owner.person_id
    pair = Relationship.objects.get(person_a_id=min(me, eva.pk), person_b_id=max(me, eva.pk))
    before_strength = pair.strength
    version = GraphState.objects.get(tenant_id=owner.tenant_pk).version

    result = forget_records(owner, first.created_ids)

    assert not Interaction.objects.filter(source="imap:1").exists()
    assert Interaction.objects.filter(source="imap:2").count() == 1
    assert not Person.objects.filter(pk=tom.pk).exists()  # only the first account knew Tom
    assert Person.objects.filter(pk=eva.pk).exists()  # the second account needs Eva
    assert not Relationship.objects.filter(
        person_a_id=min(me, tom.pk), person_b_id=max(me, tom.pk)
    ).exists()
    pair.refresh_from_db()
    assert pair.strength < before_strength  # one e-mail of evidence less
    assert GraphState.objects.get(tenant_id=owner.tenant_pk).version > version
    assert result.deleted["interactions"] == 2 and result.deleted["people"] == 1
    assert result.kept["people"] == 1


def test_forget_keeps_a_person_someone_edited_or_gave_a_position(owner, tenant):
    report = _mails(owner, [_mail(1, "eva@kunde.example"), _mail(2, "tom@kunde.example")])
    eva = Person.objects.get(emails__email="eva@kunde.example")
    tom = Person.objects.get(emails__email="tom@kunde.example")
    Person.objects.filter(pk=eva.pk).update(first_name="Eva", version=2)
    org = Organization.objects.create(tenant=tenant, name="Kunde AG")
    Position.objects.create(tenant=tenant, person=tom, organization=org)  # later than Tom
    forget_records(owner, report.created_ids)
    assert Person.objects.filter(pk__in=[eva.pk, tom.pk]).count() == 2
    assert not Interaction.objects.exists()


def test_forget_touches_only_the_users_own_rows(owner, colleague):
    theirs = _mails(colleague, [_mail(1, "eva@kunde.example")], source="imap:7")
    forget_records(owner, theirs.created_ids)
    assert Interaction.objects.filter(source="imap:7").count() == 1
    assert Person.objects.filter(pk__in=theirs.created_ids["people"]).count() == 1
