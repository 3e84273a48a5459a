"""Events: attendee import, who we know, brokers for targets, meeting plan, bulk meetings."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from geflecht.events import actions, queries
from geflecht.events.models import Attendance
from geflecht.network.models import Interaction, Relationship
from geflecht.network.queries import relationship_between
from geflecht.people.models import Organization, Person

CSV = (
    "Name;Firma;Ort;E-Mail;Rolle;Halle;Stand\n"
    "Dr. Klaus Weber;ACME Maschinenbau GmbH;Ulm;;Besucher;;\n"
    "Eva Neu;Neufirma GmbH;Ulm;eva@neufirma.example;Aussteller;3;B12\n"
    "Max Falsch;ACME;Ulm;;Astronaut;;\n"
    ";Nur Firma AG;Köln;;;5;C1\n"
    ";;;;;;\n"
    "Hans Ohne;;;kein-mail;;;\n"
).encode()


def test_event_may_lie_in_the_future_but_not_end_before_it_starts(owner, tenant):
    today = timezone.localdate()
    ev = actions.create_event(owner, name="EMO", start_date=today + timedelta(days=300))
    assert ev.end_date == ev.start_date
    with pytest.raises(ValidationError, match="last day"):
        actions.create_event(
            owner, name="Kaputt", start_date=today, end_date=today - timedelta(days=1)
        )


def test_attendee_import_matches_known_people_reports_bad_rows_and_is_idempotent(owner, fair_world):
    fair = fair_world["fair"]
    report = actions.import_attendees(owner, fair, io.BytesIO(CSV))
    assert report.matched == 1  # Dr. Weber at ACME is the one we know
    assert report.created_people == 2  # Eva Neu, Hans Ohne
    problems = {(p.row, p.field) for p in report.problems}
    assert (3, "role") in problems
    assert "Astronaut" in str(report.problems[0])
    weber = fair_world["weber"]
    assert Attendance.objects.get(event=fair, person=weber).role == "visitor"
    eva = Person.objects.get(last_name="Neu")
    row = Attendance.objects.get(event=fair, person=eva)
    assert (row.role, row.booth) == ("exhibitor", "3 B12")
    assert eva.positions.get().organization.name == "Neufirma GmbH"
    exhibitor = Attendance.objects.get(event=fair, person=None)
    assert (exhibitor.organization.name, exhibitor.role) == ("Nur Firma AG", "exhibitor")
    assert not Person.objects.filter(last_name="Falsch").exists()  # refused row wrote nothing

    people, orgs, rows = (
        Person.objects.count(),
        Organization.objects.count(),
        Attendance.objects.count(),
    )
    again = actions.import_attendees(owner, fair, io.BytesIO(CSV))
    assert again.created_people == 0 and again.created_organizations == 0 and again.added == 0
    assert (Person.objects.count(), Organization.objects.count(), Attendance.objects.count()) == (
        people,
        orgs,
        rows,
    )


def test_import_without_known_columns_says_so(owner, fair_world):
    report = actions.import_attendees(owner, fair_world["fair"], io.BytesIO(b"foo;bar\n1;2\n"))
    assert report.problems and "header" in report.problems[0].message


def test_who_we_know_ranks_attendees_by_our_best_tie(owner, colleague, fair_world):
    known = queries.who_we_know(owner, fair_world["fair"])
    names = [k.person.last_name for k in known]
    assert names == sorted(
        names, key=lambda n: -next(k.strength for k in known if k.person.last_name == n)
    )
    assert set(names) == {"Weber", "Makler"}
    weber = next(k for k in known if k.person.last_name == "Weber")
    assert weber.knowers[0].colleague == owner.person
    bruno = next(k for k in known if k.person.last_name == "Makler")
    assert bruno.knowers[0].colleague == colleague.person


def test_colleagues_private_attendee_stays_hidden(owner, colleague, fair_world):
    fair = fair_world["fair"]
    actions.add_attendance(colleague, fair, person=fair_world["paul"])
    assert "Privat" not in {
        a.person.last_name for a in queries.attendances(owner, fair) if a.person
    }
    assert "Privat" not in {k.person.last_name for k in queries.who_we_know(owner, fair)}
    assert queries.event(owner, fair.pk).attendee_count == 4
    assert queries.event(colleague, fair.pk).attendee_count == 5


def test_target_shows_attendees_who_can_introduce_us(owner, fair_world):
    fair = fair_world["fair"]
    actions.add_target(owner, fair, organization=fair_world["ziel"], note="Neukunde")
    (row,) = queries.target_brokers(owner, fair)
    assert {b.person.last_name for b in row.brokers} == {"Weber", "Makler"}
    assert all(b.target.last_name == "Ziel" for b in row.brokers)
    # Otto is reached only over Jana's private friend: no broker is named for him.
    assert "Privat" not in {b.person.last_name for b in row.brokers}
    assert row.path is not None
    labels = [s.label for s in row.path.steps]
    assert labels[0] == owner.person.full_name and "Privat" not in " ".join(labels)
    assert row.path.steps[1].person.last_name in {"Weber", "Makler", "Becker"}


def test_meeting_plan_gives_each_attendee_to_who_knows_them_best(owner, colleague, fair_world):
    fair = fair_world["fair"]
    actions.add_target(owner, fair, person=fair_world["tanja"])
    plan = queries.meeting_plan(owner, fair)
    by_colleague = {p.colleague.pk: p for p in plan.plans}
    anna_meets = [s.person.last_name for s in by_colleague[owner.person_id].slots]
    jana_meets = [s.person.last_name for s in by_colleague[colleague.person_id].slots]
    assert anna_meets == ["Weber"] and jana_meets == ["Makler"]
    slot = by_colleague[owner.person_id].slots[0]
    assert "Tanja Ziel" in slot.reason and "knows them best" in slot.reason
    assert timezone.localtime(slot.starts).date() == fair.start_date


def test_bulk_meetings_count_as_meetings_and_refuse_bad_rows(owner, colleague, fair_world):
    past = fair_world["past"]
    weber, tanja = fair_world["weber"], fair_world["tanja"]
    day = datetime.combine(past.start_date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
    from geflecht.network.actions import record_interaction

    record_interaction(
        tenant=owner.tenant,
        recorded_by=owner,
        kind="email",
        occurred_at=day - timedelta(days=60),
        participants=[(owner.person_id, "sender"), (tanja.pk, "recipient")],
    )
    before = relationship_between(owner, owner.person, tanja).strength
    rows = [
        actions.MeetingRow(owner.person_id, tanja.pk, day, "Messegespräch"),
        actions.MeetingRow(colleague.person_id, tanja.pk, day + timedelta(hours=1)),
        actions.MeetingRow(weber.pk, tanja.pk, day),  # Weber is not one of us
        actions.MeetingRow(owner.person_id, fair_world["paul"].pk, day),  # hidden from Anna
        actions.MeetingRow(owner.person_id, tanja.pk, day + timedelta(days=30)),  # after the fair
    ]
    log = actions.log_meetings(owner, past, rows)
    assert [n for n, _i in log.logged] == [1, 2]
    assert [(p.row, p.field) for p in log.problems] == [
        (3, "colleague"),
        (4, "person"),
        (5, "occurred_at"),
    ]
    assert "no such person" in log.problems[1].message  # the same words as for a missing id
    interaction = log.logged[0][1]
    assert interaction.kind == "meeting" and "EMO Hannover" in interaction.location
    after = relationship_between(owner, owner.person, tanja).strength
    assert after > before
    # A new pair met in person: they now have a relationship.
    assert relationship_between(owner, colleague.person, tanja) is not None
    assert Attendance.objects.get(event=past, person=tanja).status == "attended"
    assert Interaction.objects.filter(source="fair").count() == 2


def test_reconnect_advises_meeting_at_the_coming_fair(owner, fair_world):
    weber = fair_world["weber"]
    fair = fair_world["fair"]
    long_ago = timezone.now() - timedelta(days=400)
    from geflecht.network.actions import record_interaction

    for days in (0, 30, 60, 90):
        record_interaction(
            tenant=owner.tenant,
            recorded_by=owner,
            kind="meeting",
            occurred_at=long_ago + timedelta(days=days),
            participants=[(owner.person_id, "organiser"), (weber.pk, "attendee")],
        )
    items = queries.reconnect_list(owner)
    item = next(i for i in items if i.person == weber)
    assert item.advice.next_step == "meet_at_event"
    assert item.advice.event == "AMB Stuttgart"
    assert timezone.localtime(item.advice.event_date).date() == fair.start_date
    assert Relationship.objects.exists()


def test_the_same_attendance_recorded_at_the_same_moment_is_a_conflict(
    owner, fair_world, monkeypatch
):
    from geflecht.events import actions as event_actions
    from geflecht.events.models import Attendance
    from geflecht.lib.errors import Conflict

    fair, otto = fair_world["fair"], fair_world["otto"]
    # The other request's row lands between our check and our insert.
    real_filter = Attendance.objects.select_for_update

    def racing():
        qs = real_filter()
        Attendance.objects.create(
            tenant_id=owner.tenant_id, event=fair, person=otto, role="visitor"
        )
        monkeypatch.setattr(Attendance.objects, "select_for_update", real_filter)
        return qs.none()

    monkeypatch.setattr(Attendance.objects, "select_for_update", racing)
    # A 409 with a message, not a database error (a 500 through the API).
    with pytest.raises(Conflict, match="someone else at the same moment"):
        event_actions.add_attendance(owner, fair, person=otto, role="visitor")
