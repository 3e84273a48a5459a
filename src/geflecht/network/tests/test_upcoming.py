"""Upcoming meetings: stored ahead, shown to who may see them, promoted when they are over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from geflecht.network.actions import (
    InteractionInput,
    cancel_upcoming_meeting,
    promote_due_meetings,
    record_interaction,
    record_upcoming_meetings,
)
from geflecht.network.models import Interaction, Relationship, UpcomingMeeting
from geflecht.network.queries import reconnect_list, upcoming_meetings_of
from geflecht.network.tasks import start_promotions
from geflecht.people.models import Person

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture
def klaus(tenant):
    return Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")


def _meeting(owner, other, *, start, uid="uid-1", visibility="private", subject="Angebot"):
    return InteractionInput(
        kind="meeting",
        occurred_at=start,
        participants=[(owner.person_id, "organiser"), (other.pk, "attendee")],
        duration_minutes=60,
        subject=subject,
        source="ics",
        external_id=uid,
        visibility=visibility,
    )


def _record(owner, *items):
    return record_upcoming_meetings(tenant=owner.company, items=list(items), recorded_by=owner)


def test_an_upcoming_meeting_is_stored_once_and_updated_when_it_moves(owner, klaus):
    start = timezone.now() + timedelta(days=3)
    ((meeting, created),) = _record(owner, _meeting(owner, klaus, start=start))
    assert created and meeting.participants.count() == 2
    ((again, created),) = _record(owner, _meeting(owner, klaus, start=start))
    assert not created and again.pk == meeting.pk
    moved = start + timedelta(days=1)
    _record(owner, _meeting(owner, klaus, start=moved, subject="Angebot (verschoben)"))
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.subject) == (moved, "Angebot (verschoben)")
    assert UpcomingMeeting.objects.count() == 1
    assert not Interaction.objects.exists()  # no evidence yet


def test_a_meeting_alone_or_with_someone_invisible_is_refused(owner, colleague, klaus, tenant):
    hidden = Person.objects.create(
        tenant=tenant, last_name="Geheim", visibility="private", owner=colleague
    )
    start = timezone.now() + timedelta(days=3)
    alone = InteractionInput(
        kind="meeting", occurred_at=start, participants=[(owner.person_id, "organiser")]
    )
    results = _record(owner, alone, _meeting(owner, hidden, start=start, uid="x"))
    assert all(isinstance(r, ValidationError) for r in results)
    assert not UpcomingMeeting.objects.exists()


def test_a_cancelled_meeting_is_removed(owner, klaus):
    _record(owner, _meeting(owner, klaus, start=timezone.now() + timedelta(days=3)))
    assert cancel_upcoming_meeting(tenant=owner.company, source="ics", external_id="uid-1")
    assert not UpcomingMeeting.objects.exists()
    assert not cancel_upcoming_meeting(tenant=owner.company, source="ics", external_id="uid-1")


def test_my_upcoming_meetings_are_mine_alone_when_private(owner, colleague, klaus):
    start = timezone.now() + timedelta(days=2)
    _record(owner, _meeting(owner, klaus, start=start))
    _record(owner, _meeting(owner, klaus, start=start + timedelta(days=30), uid="later"))
    (meeting,) = upcoming_meetings_of(owner, days=14)
    assert meeting.external_id == "uid-1"
    assert {p.pk for p in meeting.participants.all()} == {owner.person_id, klaus.pk}
    assert upcoming_meetings_of(colleague, days=60) == []


def test_a_meeting_that_is_over_becomes_an_interaction(owner, klaus):
    start = NOW + timedelta(days=1)
    _record(owner, _meeting(owner, klaus, start=start))
    assert promote_due_meetings(tenant_id=owner.tenant_pk, now=NOW) == 0  # not yet
    assert promote_due_meetings(tenant_id=owner.tenant_pk, now=start + timedelta(hours=2)) == 1
    interaction = Interaction.objects.get()
    assert (interaction.source, interaction.external_id, interaction.kind) == (
        "ics",
        "uid-1",
        "meeting",
    )
    assert (interaction.visibility, interaction.owner_id) == ("private", owner.pk)
    assert not UpcomingMeeting.objects.exists()
    a, b = sorted([owner.person_id, klaus.pk])
    assert Relationship.objects.get(person_a_id=a, person_b_id=b).last_interaction_at == start


def test_the_periodic_job_promotes_past_meetings_of_every_tenant(owner, klaus):
    past = timezone.now() - timedelta(hours=3)
    UpcomingMeeting.objects.create(
        tenant=owner.company,
        kind="video",
        starts_at=past,
        duration_minutes=30,
        source="imap:1",
        external_id="m1",
        owner=owner,
        visibility="private",
    ).participations.create(person_id=owner.person_id, role="organiser")
    UpcomingMeeting.objects.get().participations.create(person=klaus, role="attendee")
    (job,) = start_promotions()  # the queue runs it at once in tests
    job.refresh_from_db()
    assert job.status == "done" and job.result == {"promoted": 1}
    assert Interaction.objects.get().source == "imap:1"


def test_reconnect_leaves_out_someone_i_meet_next_week(owner, klaus):
    Person.objects.filter(pk=klaus.pk).update(importance="A")
    for month in range(12):
        record_interaction(
            tenant=owner.company,
            kind="meeting" if month % 4 == 0 else "phone",
            occurred_at=NOW - timedelta(days=300 + 30 * month),
            participants=[(owner.person_id, "organiser"), (klaus.pk, "attendee")],
            now=NOW,
        )
    assert [i.person for i in reconnect_list(owner, now=NOW)] == [klaus]
    _record(owner, _meeting(owner, klaus, start=NOW + timedelta(days=5)))
    assert reconnect_list(owner, now=NOW) == []


def test_the_dashboard_shows_my_upcoming_meetings(client, owner, colleague, klaus):
    _record(owner, _meeting(owner, klaus, start=timezone.now() + timedelta(days=2)))
    client.force_login(owner)
    html = client.get(reverse("home")).content.decode()
    assert "Upcoming meetings" in html and "Angebot" in html and "Klaus Weber" in html
    client.force_login(colleague)
    html = client.get(reverse("home")).content.decode()
    assert "Angebot" not in html


def test_the_api_gives_my_upcoming_meetings_and_hides_them_from_a_colleague(
    owner, colleague, klaus
):
    from geflecht.api.tests.conftest import Api

    _record(owner, _meeting(owner, klaus, start=timezone.now() + timedelta(days=2)))
    (meeting,) = Api(owner).get("/api/v1/upcoming-meetings").json()
    assert meeting["subject"] == "Angebot" and meeting["source"] == "ics"
    assert {p["full_name"] for p in meeting["participants"]} == {"Anna Schmidt", "Klaus Weber"}
    assert Api(colleague).get("/api/v1/upcoming-meetings").json() == []
