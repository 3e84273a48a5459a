"""The projects pages on the demo network: they show real teams, coverage, documents,
risk and the radar, and never a colleague's private contact."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from geflecht.projects import actions
from geflecht.projects.models import Project
from geflecht.projects.radar import parse_targets


def _first(demo):
    return Project.objects.filter(tenant=demo.tenant).order_by("id").first()


def test_demo_projects_show_both_teams_coverage_documents_and_risk(client, anna, demo):
    project = _first(demo)
    client.force_login(anna)
    html = client.get(reverse("project", args=[project.pk])).content.decode()
    for text in ("Our team", "Their buying centre", "Coverage matrix", "class=\"cell-",
                 "Gaps and how to close them", "Who should join the team", "Key-person risk",
                 "Angebot", "v2", "Document flow"):  # fmt: skip
        assert text in html, text
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html


def test_projects_list_and_organisation_page_link_projects(client, anna, demo):
    project = _first(demo)
    client.force_login(anna)
    listed = client.get(reverse("projects")).content.decode()
    assert project.name in listed
    org = client.get(reverse("organisation", args=[project.organization_id])).content.decode()
    assert reverse("project", args=[project.pk]) in org


def test_create_project_and_add_members_from_the_page(client, anna, demo):
    project = _first(demo)
    client.force_login(anna)
    response = client.post(
        reverse("projects"),
        {"name": "Neues Projekt", "organization": project.organization_id, "stage": "lead"},
    )
    new = Project.objects.get(name="Neues Projekt")
    assert response.url == reverse("project", args=[new.pk])
    client.post(
        reverse("project_member_add", args=[new.pk]),
        {"person": anna.person_id, "role": "account_owner"},
    )
    assert new.members.get().role == "account_owner"


def test_stale_edit_shows_the_conflict(client, anna, jana, demo):
    project = _first(demo)
    client.force_login(jana)
    client.post(
        reverse("project_edit", args=[project.pk]), {"version": project.version, "stage": "won"}
    )
    client.force_login(anna)
    response = client.post(
        reverse("project_edit", args=[project.pk]),
        {"version": project.version, "stage": "lost"},
        follow=True,
    )
    assert "changed by someone else" in response.content.decode()
    project.refresh_from_db()
    assert project.stage == "won"


def test_upload_limits_show_a_clear_message(client, anna, demo):
    project = _first(demo)
    client.force_login(anna)
    response = client.post(
        reverse("document_upload", args=[project.pk]),
        {"file": SimpleUploadedFile("tool.exe", b"MZ"), "title": "Tool"},
        follow=True,
    )
    assert "are not accepted; allowed are" in response.content.decode()


def test_download_only_for_who_may_see_the_project(client, anna, jana, demo):
    project = _first(demo)
    secret = actions.create_project(anna, project.organization, name="Geheim", visibility="private")
    version = actions.upload_document(
        anna, secret, SimpleUploadedFile("k.pdf", b"%PDF geheim"), title="Kalkulation"
    )
    url = reverse("document_download", args=[version.document_id, 1])
    client.force_login(jana)
    assert client.get(url).status_code == 404
    assert client.get(reverse("project", args=[secret.pk])).status_code == 404
    assert "Geheim" not in client.get(reverse("projects")).content.decode()
    client.force_login(anna)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF geheim"
    assert response["Content-Type"] == "application/octet-stream"


def test_pages_never_show_a_colleagues_private_contact(client, jana, annas_private, demo):
    project = _first(demo)
    for person in annas_private[:2]:
        actions.add_member(
            project.owner, project, person, "influencer"
        )  # Anna puts her private friend on the buying centre
    client.force_login(jana)
    pages = [
        reverse("project", args=[project.pk]),
        reverse("key_person_risk"),
        reverse("projects"),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        for person in annas_private:
            assert person.last_name not in html, (url, person.last_name)


def test_radar_ranks_the_sample_list_and_exports_csv(client, anna, demo):
    client.force_login(anna)
    sample = client.get(reverse("radar_sample")).content
    targets, errors = parse_targets(sample)
    assert len(targets) >= 5 and errors[0].field == "city"
    response = client.post(reverse("radar"), {"file": SimpleUploadedFile("t.csv", sample)})
    html = response.content.decode()
    assert "Ranked by warm access" in html and "not known yet" in html
    assert "Row " in html  # the bad row is reported
    rows = response.context["result"].rows
    assert rows[0].organization is not None and rows[0].strength > 0
    export = client.get(reverse("radar_export"))
    assert export["Content-Type"].startswith("text/csv")
    assert export.content.decode().count("\n") == len(rows) + 1


def test_radar_refuses_a_bad_file_with_a_message(client, anna, demo):
    client.force_login(anna)
    response = client.post(reverse("radar"), {"file": SimpleUploadedFile("t.csv", b"a,b\n1,2\n")})
    assert "lacks the column" in response.content.decode()


def test_company_key_person_risk_page(client, anna, demo):
    client.force_login(anna)
    response = client.get(reverse("key_person_risk"))
    assert response.status_code == 200
    assert response.context["risks"], "the demo has relationships that hang on one person"


def test_project_page_runs_a_bounded_number_of_queries(
    client, anna, demo, django_assert_max_num_queries
):
    project = _first(demo)
    url = reverse("project", args=[project.pk])
    client.force_login(anna)
    client.get(url)
    with django_assert_max_num_queries(60):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("projects")).status_code == 200
