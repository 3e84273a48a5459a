"""The import endpoint: upload a file, follow its job, read the report; private by default,
one's own imports only, bad files reported with where and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from geflecht.api.tests.conftest import Api
from geflecht.people.models import Person
from geflecht.people.queries import visible_people

pytestmark = pytest.mark.django_db

FILES = Path(__file__).resolve().parents[2] / "importers" / "tests" / "files"


def upload(api: Api, name: str, data: bytes, **form):
    return api.client.post("/api/v1/imports", {"file": SimpleUploadedFile(name, data), **form})


def test_upload_imports_in_the_background_and_the_report_names_the_file(owner, colleague):
    anna = Api(owner)
    response = upload(anna, "Kontakte Anna.vcf", (FILES / "load_broken.vcf").read_bytes())
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["private"] is True
    assert body["job"]["kind"] == "import"
    done = anna.get(f"/api/v1/imports/{body['id']}").json()
    assert done["status"] == "done", done
    report = done["report"]
    assert report["file"] == "Kontakte Anna.vcf"
    assert report["people"]["created"] > 0
    # A broken card is skipped with its place in the file, and the rest is kept.
    assert report["problems"], report
    assert all("Kontakte Anna.vcf" in p for p in report["problems"])
    created = Person.objects.filter(owner=owner, visibility="private")
    assert created.count() == report["people"]["created"]
    assert not visible_people(colleague).filter(pk__in=created).exists()
    assert [i["id"] for i in anna.get("/api/v1/imports").json()["items"]] == [body["id"]]


def test_shared_upload_is_company_visible(owner, colleague):
    response = upload(
        Api(owner), "team.vcf", (FILES / "load_roundtrip.vcf").read_bytes(), share="true"
    )
    assert response.status_code == 202, response.content
    assert response.json()["private"] is False
    assert visible_people(colleague).filter(owner=owner).exists()


def test_someone_elses_import_is_not_found(owner, colleague):
    body = upload(Api(owner), "a.vcf", (FILES / "load_roundtrip.vcf").read_bytes()).json()
    jana = Api(colleague)
    assert jana.get(f"/api/v1/imports/{body['id']}").status_code == 404
    assert jana.get("/api/v1/imports").json()["items"] == []


def test_unknown_format_fails_with_a_reason(owner):
    anna = Api(owner)
    body = upload(anna, "notes.bin", b"\x00\x01 not a contact file").json()
    done = anna.get(f"/api/v1/imports/{body['id']}").json()
    assert done["status"] == "done"
    assert any("unknown file format" in p for p in done["report"]["problems"])


def test_upload_without_a_file_is_a_clear_422(owner):
    response = Api(owner).client.post("/api/v1/imports", {})
    assert response.status_code == 422
    assert "file" in response.content.decode()
