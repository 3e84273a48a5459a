"""Retention: interactions older than the configured period go, and strengths follow."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from geflecht.network.actions import record_interaction
from geflecht.network.models import GraphState, Interaction, Relationship
from geflecht.network.queries import explain_relationship
from geflecht.privacy import retention
from geflecht.privacy.retention import apply_retention, retention_days

from .conftest import NOW


def tie(a, b):
    x, y = sorted([a.pk, b.pk])
    return Relationship.objects.get(person_a_id=x, person_b_id=y, visibility="company")


def test_no_period_keeps_everything(world, settings):
    settings.GEFLECHT_RETENTION_DAYS = 0
    report = apply_retention(now=NOW)
    assert report.interactions == 0
    assert Interaction.objects.count() == 5


def test_old_interactions_go_and_strengths_are_recomputed(world, owner, settings):
    settings.GEFLECHT_RETENTION_DAYS = 45
    anna, weber = owner.person, world.weber
    before = tie(anna, weber).strength
    version = GraphState.objects.get(tenant_id=anna.tenant_id).version
    report = apply_retention(now=NOW)
    # The meetings 60 and 90 days ago are gone; those 5 to 30 days ago stay.
    assert report.interactions == 2
    assert sorted(Interaction.objects.values_list("occurred_at", flat=True)) == sorted(
        NOW - timedelta(days=d) for d in (5, 20, 30)
    )
    after = tie(anna, weber)
    assert after.strength < before
    assert after.strength == pytest.approx(explain_relationship(after, now=NOW).value)
    # Kühn met the others only 60 days ago: the tie stays, with no evidence left.
    kuehn = tie(world.kuehn, weber)
    assert explain_relationship(kuehn, now=NOW).inputs.as_dict()
    assert GraphState.objects.get(tenant_id=anna.tenant_id).version > version
    assert report.strengths_recomputed >= 4


def test_dry_run_counts_and_changes_nothing(world, settings):
    settings.GEFLECHT_RETENTION_DAYS = 45
    report = apply_retention(now=NOW, dry_run=True)
    assert (report.interactions, report.dry_run) == (2, True)
    assert Interaction.objects.count() == 5


def test_a_negative_period_is_refused_with_the_variable_named(settings):
    settings.GEFLECHT_RETENTION_DAYS = -3
    with pytest.raises(ImproperlyConfigured, match="GEFLECHT_RETENTION_DAYS"):
        retention_days()


def test_retention_command(world, settings, tenant):
    settings.GEFLECHT_RETENTION_DAYS = 0
    out = StringIO()
    call_command("retention", stdout=out)
    assert "No retention period" in out.getvalue()
    # The command runs at the real clock, so its interactions are dated from it.
    Interaction.objects.all().delete()
    for days in (400, 10):
        record_interaction(
            tenant=tenant,
            kind="phone",
            occurred_at=timezone.now() - timedelta(days=days),
            participants=[(world.weber.pk, "sender"), (world.kuehn.pk, "recipient")],
        )
    out = StringIO()
    call_command("retention", "--days", "365", "--dry-run", stdout=out)
    assert "would delete 1 interactions in 1 tenants" in out.getvalue()
    assert Interaction.objects.count() == 2
    settings.GEFLECHT_RETENTION_DAYS = 365
    out = StringIO()
    call_command("retention", stdout=out)
    assert "deleted 1 interactions" in out.getvalue()
    assert Interaction.objects.count() == 1


def test_a_large_backlog_ends_with_one_full_recomputation(world, owner, settings, monkeypatch):
    monkeypatch.setattr(retention, "FULL_RECOMPUTE_ABOVE", 1)
    settings.GEFLECHT_RETENTION_DAYS = 45
    report = apply_retention(now=NOW)
    assert report.interactions == 2
    assert report.strengths_recomputed == Relationship.objects.count()
    for rel in Relationship.objects.all():
        assert rel.strength == pytest.approx(explain_relationship(rel, now=NOW).value)
