"""The jobs page, the API and `geflecht jobs` show the same jobs, to the same people."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from geflecht.api.tests.conftest import Api
from geflecht.importers.jobs import start_import
from geflecht.jobs.models import Job

VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ottilie Quast\r\nN:Quast;Ottilie;;;\r\nEND:VCARD\r\n"


@pytest.fixture
def imported(owner):
    return start_import(owner, iter([VCARD.encode()]), "quast.vcf", private=True)


def test_an_upload_through_the_page_shows_as_a_done_job_with_its_report(client, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("kontakte.vcf", VCARD.encode())
    client.post(reverse("import"), {"file": upload})
    job = Job.objects.get(kind="import")
    assert (job.status, job.owner_id, job.label) == ("done", owner.pk, "kontakte.vcf")
    html = client.get(reverse("jobs")).content.decode()
    assert "kontakte.vcf" in html and "Import of a file" in html
    assert reverse("import_job", args=[job.import_run.pk]) in html


def test_every_door_shows_my_job_and_hides_it_from_a_colleague(
    client, owner, colleague, outsider, imported
):
    job = imported.job
    api = Api(owner).get("/api/v1/jobs").json()
    assert [j["id"] for j in api["items"]] == [job.pk]
    assert api["items"][0]["status"] == "done" and api["items"][0]["label"] == "quast.vcf"
    assert Api(owner).get(f"/api/v1/jobs/{job.pk}").json()["result"]["entries"] == 1
    out = StringIO()
    call_command("jobs", "--user", owner.username, stdout=out)
    assert f"#{job.pk} " in out.getvalue() and "quast.vcf" in out.getvalue()

    for other in (colleague, outsider):
        assert Api(other).get("/api/v1/jobs").json()["count"] == 0
        assert Api(other).get(f"/api/v1/jobs/{job.pk}").status_code == 404
        client.force_login(other)
        assert "quast.vcf" not in client.get(reverse("jobs")).content.decode()
    out = StringIO()
    call_command("jobs", "--user", colleague.username, stdout=out)
    assert out.getvalue().strip() == "No background jobs yet."


def test_a_failed_job_says_why_on_every_door(client, owner, monkeypatch):
    from geflecht.importers import jobs

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(jobs, "import_file", explode)
    imp = start_import(owner, iter([VCARD.encode()]), "kaputt.vcf", private=True)
    assert imp.job.status == "failed"
    assert "disk full" in Api(owner).get(f"/api/v1/jobs/{imp.job.pk}").json()["error"]
    client.force_login(owner)
    assert "disk full" in client.get(reverse("jobs")).content.decode()
    out = StringIO()
    call_command("jobs", "show", str(imp.job.pk), "--user", owner.username, stdout=out)
    assert "disk full" in out.getvalue()


def test_a_running_job_keeps_the_page_asking_and_an_ended_one_stops_it(client, owner, imported):
    client.force_login(owner)
    assert 'hx-trigger="load delay:2s"' not in client.get(reverse("jobs")).content.decode()
    Job.objects.filter(pk=imported.job.pk).update(status="running", done=1, total=4)
    html = client.get(reverse("jobs")).content.decode()
    assert 'hx-trigger="load delay:2s"' in html and 'value="25"' in html


def test_internal_refresh_jobs_are_not_listed_for_users(owner, colleague):
    from geflecht.jobs.models import Job
    from geflecht.jobs.queries import visible_jobs

    owner.role = "admin"
    owner.save(update_fields=["role"])
    Job.objects.create(
        kind="remember.refresh",
        tenant_id=colleague.tenant_id,
        owner=colleague,
        label="risk:user_id=2:org_id=7",
    )
    assert not visible_jobs(colleague).filter(kind="remember.refresh").exists()
    assert not visible_jobs(owner).filter(kind="remember.refresh").exists()
