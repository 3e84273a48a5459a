"""Read-only users import nothing, through any door: the action, the CLI, the web upload."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from geflecht.importers.jobs import start_import
from geflecht.importers.load import import_file
from geflecht.importers.models import ImportJob
from geflecht.people.models import Organization, Person


@pytest.fixture
def reader(colleague):
    """Jana with a read-only account."""
    colleague.role = "read_only"
    colleague.save(update_fields=["role"])
    return colleague


def _counts():
    return Person.objects.count(), Organization.objects.count(), ImportJob.objects.count()


def test_read_only_user_cannot_import_a_file(reader, files):
    before = _counts()
    with pytest.raises(PermissionDenied, match="read-only"):
        import_file(files / "load_roundtrip.vcf", user=reader)
    assert _counts() == before


def test_read_only_user_cannot_start_an_upload_import(reader, files, settings):
    before = _counts()
    with pytest.raises(PermissionDenied, match="read-only"):
        start_import(reader, [b"BEGIN:VCARD\r\n"], "kontakte.vcf", private=False)
    assert _counts() == before
    assert not (settings.DATA_DIR / "imports").exists() or not list(
        (settings.DATA_DIR / "imports").iterdir()
    )


def test_read_only_user_gets_a_command_error_from_geflecht_import(reader, files):
    before = _counts()
    with pytest.raises(CommandError, match="read-only"):
        call_command(
            "import",
            str(files / "load_roundtrip.vcf"),
            "--user",
            "jana",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert _counts() == before


def test_read_only_upload_answers_403_with_a_clear_message(client, reader, files):
    client.force_login(reader)
    upload = SimpleUploadedFile("kontakte.vcf", (files / "load_roundtrip.vcf").read_bytes())
    before = _counts()
    response = client.post(reverse("import"), {"file": upload})
    assert response.status_code == 403
    assert "Your account is read-only." in response.content.decode()
    assert _counts() == before


def test_read_only_upload_through_htmx_shows_the_message_in_place(client, reader, files):
    # htmx swaps only 2xx answers: the refusal is shown where the import report would be.
    client.force_login(reader)
    upload = SimpleUploadedFile("kontakte.vcf", (files / "load_roundtrip.vcf").read_bytes())
    before = _counts()
    response = client.post(reverse("import"), {"file": upload}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'role="alert"' in html and "Your account is read-only." in html
    assert _counts() == before


def test_member_may_still_import(client, colleague, files):
    client.force_login(colleague)
    upload = SimpleUploadedFile("kontakte.vcf", (files / "load_roundtrip.vcf").read_bytes())
    response = client.post(reverse("import"), {"file": upload}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.context["report"]["people"]["created"] == 3


def test_read_only_user_gets_a_command_error_from_geflecht_merge(reader, tenant):
    a = Person.objects.create(tenant=tenant, first_name="Jürgen", last_name="Müller")
    b = Person.objects.create(tenant=tenant, first_name="Juergen", last_name="Mueller")
    with pytest.raises(CommandError, match="read-only"):
        call_command("merge", str(a.pk), str(b.pk), "--user", "jana", stdout=io.StringIO())
    assert Person.objects.filter(pk__in=[a.pk, b.pk]).count() == 2
