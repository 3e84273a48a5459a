"""The admin lists projects and documents, keeps private projects with their owner and
never links a stored file."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from geflecht.projects import actions


def test_admin_lists_projects_and_documents_without_file_links(world, project):
    secret = actions.create_project(world.anna, world.acme, name="Geheim", visibility="private")
    version = actions.upload_document(
        world.anna, project, SimpleUploadedFile("a.pdf", b"%PDF x"), title="Angebot"
    )
    world.jana.is_staff = world.jana.is_superuser = True
    world.jana.save()
    client = Client()
    client.force_login(world.jana)
    listing = client.get("/admin/projects/project/").content.decode()
    assert "Messzelle Werk Ulm" in listing and "Geheim" not in listing
    assert client.get(f"/admin/projects/project/{secret.pk}/change/").status_code == 302
    page = client.get(f"/admin/projects/project/{project.pk}/change/")
    assert page.status_code == 200
    doc = client.get(f"/admin/projects/document/{version.document_id}/change/").content.decode()
    assert "a.pdf" in doc and version.file.name not in doc
