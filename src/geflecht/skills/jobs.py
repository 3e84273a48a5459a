"""Rebuilding a large tenant's expert index on the task queue.

A tenant with more person skills than ``SYNC_REBUILD_ROWS`` is not re-indexed in the
request that notices a change: that request queues this job and answers from the index
it has. The worker builds the index from the database and stores it in the data
directory, where every web process picks it up on its next query. A worker killed while
building has stored nothing (the file is renamed into place whole), so the old index
keeps serving and the job, queued again, builds from the start.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geflecht.accounts.models import Tenant
from geflecht.jobs.models import Job
from geflecht.jobs.runner import Progress, handler, start_job
from geflecht.skills import queries

__all__ = ["check_stored_indexes", "run_rebuild"]


@handler(queries.INDEX_KIND, title=gettext_lazy("Rebuild of the expert index"))
def run_rebuild(job: Job, progress: Progress) -> dict:
    assert job.tenant_id is not None  # one tenant's index
    index = queries.rebuild_stored_index(job.tenant_id)
    return {"person_skills": len(index.row_ids), "people": len(index.person_ids)}


def check_stored_indexes() -> list[Job]:
    """Queue a rebuild of every stored index that misses a change (edits and deletions
    too, which the requests' cheap check does not see); return the jobs queued."""
    stored = queries.stored_index_tenants()
    tenants = set(Tenant.objects.filter(pk__in=stored).values_list("pk", flat=True))
    return [
        start_job(queries.INDEX_KIND, tenant_id=tenant_id, label=_("expert index"), unique=True)
        for tenant_id in stored
        if tenant_id in tenants and queries.stale_index(tenant_id)
    ]
