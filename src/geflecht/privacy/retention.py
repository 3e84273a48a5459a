"""Retention: interactions older than a configured period are deleted by a scheduled job.

``GEFLECHT_RETENTION_DAYS`` (0, the default, keeps everything) sets the period. The daily
job (``privacy/jobs.py``, or ``geflecht retention`` by hand) deletes the old interactions
in batches, recomputes the strengths of the relationships whose evidence went away and
raises the graph version, so the scores and the graph never rest on data that should be gone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone

from geflecht.accounts.models import Tenant
from geflecht.network.actions import recompute_all_strengths
from geflecht.network.models import Interaction
from geflecht.privacy.actions import pairs_sharing, recompute_in_chunks

__all__ = ["RetentionReport", "apply_retention", "retention_days"]

BATCH = 2_000
#: Past this many interactions to delete in one tenant, strengths are recomputed in one
#: streamed pass at the end instead of pair by pair after each batch.
FULL_RECOMPUTE_ABOVE = 10_000


def retention_days() -> int:
    """The configured retention period in days; 0 means interactions are kept for ever."""
    days = getattr(settings, "GEFLECHT_RETENTION_DAYS", 0) or 0
    if days < 0:
        raise ImproperlyConfigured(
            f"GEFLECHT_RETENTION_DAYS must be 0 (keep for ever) or a positive number of days; "
            f"got {days}"
        )
    return days


@dataclass(frozen=True)
class RetentionReport:
    days: int
    cutoff: datetime | None
    interactions: int  # deleted (or, in a dry run, that would be)
    strengths_recomputed: int
    tenants: int
    dry_run: bool


def apply_retention(
    *,
    days: int | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    tenant: Tenant | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RetentionReport:
    """Delete interactions that happened more than ``days`` ago (default: the setting).

    Works per tenant in batches of a few thousand interactions, each batch in its own
    transaction with the strengths of its affected pairs recomputed, so the daily run
    holds no long lock and no strength is out of step with its evidence. A backlog of
    more than ``FULL_RECOMPUTE_ABOVE`` interactions (the first run, a shorter period) is
    deleted batch by batch and followed by one streamed full recomputation, which is
    much faster; strengths lag until it is done (if the run is interrupted then,
    ``geflecht strengths`` catches up). ``dry_run`` only counts. A period of 0 does nothing.
    ``progress(tenants_done, tenants)`` is called after each tenant.
    """
    days = retention_days() if days is None else days
    if days < 0:
        raise ValidationError({"days": "The retention period must be 0 or more days."})
    if days == 0:
        return RetentionReport(0, None, 0, 0, 0, dry_run)
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    old = Interaction.objects.filter(occurred_at__lt=cutoff)
    if tenant is not None:
        old = old.filter(tenant=tenant)
    tenant_ids = sorted(set(old.values_list("tenant_id", flat=True).distinct()))
    if dry_run:
        return RetentionReport(days, cutoff, old.count(), 0, len(tenant_ids), True)
    deleted = recomputed = 0
    for done, tenant_id in enumerate(tenant_ids):
        if progress:
            progress(done, len(tenant_ids))
        mine = old.filter(tenant_id=tenant_id)
        # A large backlog (the first run, or a shorter period) touches most pairs again
        # and again: one streamed full recomputation at the end is far cheaper then.
        backlog = mine.count() > FULL_RECOMPUTE_ABOVE
        while True:
            with transaction.atomic():
                batch = list(mine.order_by("id").values_list("id", flat=True)[:BATCH])
                if not batch:
                    break
                pairs = set() if backlog else pairs_sharing(tenant_id, batch)
                Interaction.objects.filter(id__in=batch).delete()
                deleted += len(batch)
                if pairs:
                    recomputed += recompute_in_chunks(tenant_id, pairs, now=now)
        if backlog:
            recomputed += recompute_all_strengths(tenant_id, now=now)
    if progress:
        progress(len(tenant_ids), len(tenant_ids))
    return RetentionReport(days, cutoff, deleted, recomputed, len(tenant_ids), False)
