"""Imports that run while the user watches: the upload is stored, a background thread
imports it through :func:`~geflecht.importers.load.import_file`, and the job row carries
its progress and, at the end, its report (or the reason it failed)."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.importers.load import ImportReport, import_file
from geflecht.importers.models import ImportJob
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
        "duplicates": [[d.survivor_id, d.person_id] for d in report.duplicates],
    }


def start_import(
    user: User, chunks: Iterable[bytes], file_name: str, *, private: bool
) -> ImportJob:
    """Store the upload and import it in the background (at once when background work is
    switched off, as in the tests); the returned job shows how far it got.

    A read-only user is refused here already (PermissionDenied), before the upload is
    stored or a job is created; :func:`import_file` refuses them again for every door.
    """
    require_writer(user)
    suffix = Path(file_name).suffix.lower()[:10]
    job = ImportJob.objects.create(
        tenant_id=user.tenant_pk, owner=user, file_name=file_name[:255], private=private
    )
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=suffix, delete=False) as out:
        for chunk in chunks:
            out.write(chunk)
        path = Path(out.name)
    job.bytes_total = path.stat().st_size
    job.save(update_fields=["bytes_total", "updated_at"])
    if settings.GEFLECHT_IMPORT_IN_BACKGROUND:
        thread = threading.Thread(
            target=_run, args=(job.pk, user.pk, path), name=f"import {job.pk}", daemon=True
        )
        thread.start()
    else:
        _run(job.pk, user.pk, path, background=False)
        job.refresh_from_db()
    return job


def _run(job_id: int, user_id: int, path: Path, *, background: bool = True) -> None:
    if background:
        close_old_connections()
    last = 0.0

    def progress(entries: int, done: int, total: int | None) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            ImportJob.objects.filter(pk=job_id).update(entries_done=entries, bytes_done=done)

    job = ImportJob.objects.get(pk=job_id)
    try:
        user = User.objects.get(pk=user_id)
        report = import_file(path, user=user, private=job.private, on_progress=progress)
        report.file = job.file_name
        job.report = report_data(report)
        job.entries_done, job.bytes_done = report.entries, job.bytes_total or 0
        job.status = ImportJob.Status.DONE
    except Exception as exc:  # the page says what went wrong; nothing half-written stays
        log.exception("import %s failed", job_id)
        job.status = ImportJob.Status.FAILED
        job.error = _("The import stopped: %(reason)s") % {"reason": exc}
    finally:
        path.unlink(missing_ok=True)
        job.finished_at = timezone.now()
        job.save()
        if background:
            connection.close()


def my_import(user: User, job_id: int) -> ImportJob:
    """One of the user's own import jobs (anyone else's looks like a missing one)."""
    job = ImportJob.objects.filter(pk=job_id, owner=user).first()
    if job is None:
        raise NotFound(_("No import with id %(id)s.") % {"id": job_id})
    return job
