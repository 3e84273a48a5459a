"""The strength, strengths and reconnect commands: thin wrappers that say what they found."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from geflecht.network.actions import record_interaction
from geflecht.people.models import Person


@pytest.fixture
def klaus(tenant, owner):
    klaus = Person.objects.create(
        tenant=tenant, first_name="Klaus", last_name="Weber", importance="A"
    )
    now = timezone.now()
    for week in range(10):
        record_interaction(
            tenant=tenant,
            kind="meeting" if week == 0 else "phone",
            occurred_at=now - timedelta(days=300 + 7 * week),
            participants=[(owner.person_id, "organiser"), (klaus.pk, "attendee")],
        )
    return klaus


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, verbosity=0)
    return out.getvalue()


def test_strength_explains_the_tie_in_words(klaus):
    text = run("strength", "Anna Schmidt", "Klaus Weber", "--user", "anna", "--lang", "en")
    assert text.startswith("Anna Schmidt – Klaus Weber: ")
    assert "1 in-person meeting" in text and "usually in touch every week" in text


def test_strengths_recomputes_every_tenant_and_refuses_an_unknown_one(klaus):
    assert run("strengths", "--tenant", "brenner").startswith("brenner: 1 strengths in")
    with pytest.raises(CommandError, match="No tenant 'nope'"):
        run("strengths", "--tenant", "nope")


def test_reconnect_names_silence_last_meeting_and_next_step(klaus):
    text = run("reconnect", "--user", "anna")
    assert text.startswith("Klaus Weber [A]: silent for 300 days (usually every 7)")
    assert "last met " in text and "next: meet in person" in text
