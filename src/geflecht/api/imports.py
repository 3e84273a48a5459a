"""File imports through the API: upload a file, follow its job, read its report.

The same service as the import page and ``geflecht import``: the upload is stored and
imported in the background (:func:`geflecht.importers.jobs.start_import`), private to the
uploader unless ``share`` is set. ``GET /imports/{id}`` shows the progress, then the
report of what was created, merged and skipped, with every problem's file, entry and line.
"""

from datetime import datetime
from typing import Any

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from geflecht.api.errors import ApiError
from geflecht.api.jobs import JobOut, job_out
from geflecht.api.pagination import Page
from geflecht.api.types import Id
from geflecht.importers.jobs import my_import, start_import
from geflecht.importers.models import ImportJob

router = Router()

#: The largest file the API takes, as the import page does.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ImportOut(Schema):
    id: int
    file_name: str
    private: bool
    status: str
    entries_done: int
    bytes_done: int
    bytes_total: int | None
    percent: int
    error: str
    report: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None
    job: JobOut | None


def import_out(imp: ImportJob) -> dict:
    return {
        "id": imp.pk,
        "file_name": imp.file_name,
        "private": imp.private,
        "status": imp.status,
        "entries_done": imp.entries_done,
        "bytes_done": imp.bytes_done,
        "bytes_total": imp.bytes_total,
        "percent": imp.percent,
        "error": imp.error,
        "report": imp.report,
        "created_at": imp.created_at,
        "finished_at": imp.finished_at,
        "job": job_out(imp.job) if imp.job is not None else None,
    }


class _ImportPage(Page):
    def paginate_queryset(self, queryset, pagination, request=None, **params):
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        page["items"] = [import_out(i) for i in page["items"]]
        return page


@router.post(
    "/imports",
    response={202: ImportOut},
    summary="Upload a file to import (vCard, CSV, XLSX, .ics, mbox, .eml); private unless shared",
)
def upload(request, file: File[UploadedFile], share: Form[bool] = False):
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise ApiError(413, "too_large", "The file is larger than 50 MB.")
    if not file.name:
        raise ApiError(422, "validation_error", "The upload has no file name.")
    imp = start_import(request.auth, file.chunks(), file.name, private=not share)
    imp.refresh_from_db()
    return Status(202, import_out(imp))


@router.get("/imports", response=list[ImportOut], summary="My imports, newest first")
@paginate(_ImportPage)
def list_imports(request):
    return ImportJob.objects.filter(owner=request.auth).select_related("job")


@router.get(
    "/imports/{import_id}", response=ImportOut, summary="One import: its progress, then its report"
)
def get_import(request, import_id: Id):
    return import_out(my_import(request.auth, import_id))
