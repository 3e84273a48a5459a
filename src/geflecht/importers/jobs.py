"""Imports that run while the user watches: the upload is stored, a worker imports it
from the task queue through :func:`~geflecht.importers.load.import_file`, and the import's
row carries its progress and, at the end, its report (or the reason it failed).

The import writes in batches, each one transaction, and matches every contact with the
people already there; so a worker killed half-way leaves no half-written person, and the
import, queued again, goes on where the people it wrote make it skip what is done."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geflecht.accounts.models import User
from geflecht.importers.load import ImportReport, import_file
from geflecht.importers.models import ImportJob
from geflecht.jobs.models import Job
from geflecht.jobs.runner import Progress, handler, start_job
from geflecht.lib.errors import NotFound
from geflecht.lib.visibility import require_writer

log = logging.getLogger(__name__)
#: Progress is written at most this often (seconds): the import is not slowed by it.
PROGRESS_EVERY = 0.5


def report_data(report: ImportReport) -> dict:
    """The report as plain data for the job row (and the page that shows it)."""
    return {
        "file": report.file,
        "format": report.format,
        "entries": report.entries,
        "people": asdict(report.people),
        "organizations": asdict(report.organizations),
        "interactions": asdict(report.interactions),
        "problems": [str(p) for p in report.problems],
        "warnings": list(report.warnings),
        "ignored": dict(sorted(report.ignored.items())),
        "kind": report.kind,
        "duplicates": [[d.survivor_id, d.person_id] for d in report.duplicates],
    }


def start_import(
    user: User, chunks: Iterable[bytes], file_name: str, *, private: bool = True
) -> ImportJob:
    """Store the upload and queue its import; the returned row shows how far it got.

    The import is the user's alone unless they share it (``private=False``).

    A read-only user is refused here already (PermissionDenied), before the upload is
    stored or a job is created; :func:`import_file` refuses them again for every door.
    """
    require_writer(user)
    suffix = Path(file_name).suffix.lower()[:10]
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=suffix, delete=False) as out:
        for chunk in chunks:
            out.write(chunk)
        path = Path(out.name)
    imp = ImportJob.objects.create(
        tenant_id=user.tenant_pk,
        owner=user,
        file_name=file_name[:255],
        private=private,
        bytes_total=path.stat().st_size,
    )
    job = start_job(
        "import",
        tenant_id=user.tenant_pk,
        owner_id=user.pk,
        label=imp.file_name,
        args={"import_id": imp.pk, "path": str(path)},
    )
    ImportJob.objects.filter(pk=imp.pk).update(job=job)
    imp.refresh_from_db()
    return imp


def _upload_gone(job: Job) -> None:
    """A failed import's row says why, and its upload is deleted."""
    Path(job.args["path"]).unlink(missing_ok=True)
    ImportJob.objects.filter(pk=job.args["import_id"], status=ImportJob.Status.RUNNING).update(
        status=ImportJob.Status.FAILED, error=job.error, finished_at=timezone.now()
    )


@handler("import", title=gettext_lazy("Import of a file"), on_failed=_upload_gone)
def run_import(job: Job, progress: Progress) -> dict:
    imp = ImportJob.objects.get(pk=job.args["import_id"])
    path = Path(job.args["path"])
    last = 0.0

    def on_progress(entries: int, done: int, total: int | None) -> None:
        nonlocal last
        progress(done, total)
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            ImportJob.objects.filter(pk=imp.pk).update(entries_done=entries, bytes_done=done)

    try:
        user = User.objects.get(pk=imp.owner_id)
        report = import_file(
            path, user=user, private=imp.private, on_progress=on_progress, name=imp.file_name
        )
    except Exception as exc:  # the page says what went wrong; nothing half-written stays
        imp.status = ImportJob.Status.FAILED
        imp.error = _("The import stopped: %(reason)s") % {"reason": exc}
        imp.finished_at = timezone.now()
        imp.save()
        path.unlink(missing_ok=True)
        raise
    imp.report = report_data(report)
    imp.entries_done, imp.bytes_done = report.entries, imp.bytes_total or 0
    imp.status = ImportJob.Status.DONE
    imp.finished_at = timezone.now()
    imp.save()
    path.unlink(missing_ok=True)
    return {"import_id": imp.pk, "entries": report.entries}


def my_import(user: User, job_id: int) -> ImportJob:
    """One of the user's own import jobs (anyone else's looks like a missing one)."""
    job = ImportJob.objects.filter(pk=job_id, owner=user).first()
    if job is None:
        raise NotFound(_("No import with id %(id)s.") % {"id": job_id})
    return job
