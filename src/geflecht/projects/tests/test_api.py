"""The projects API: CRUD with conflicts, members, analytics, documents, radar, privacy."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from geflecht.accounts.actions import create_token
from geflecht.projects import actions

FIXTURE = Path(__file__).parent / "data" / "targets.csv"


def _client(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user, 'tests')[1]}")


@pytest.fixture
def anna(world):
    return _client(world.anna)


@pytest.fixture
def jana(world):
    return _client(world.jana)


def test_create_read_and_edit_with_version(world, anna, jana):
    r = anna.post(
        "/api/v1/projects",
        {"organization_id": world.acme.pk, "name": "Retrofit", "site_id": world.ulm.pk},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    got = jana.get(f"/api/v1/projects/{pid}")
    assert got.status_code == 200 and got["ETag"] == '"1"'
    # Jana edits once she is on our team of the project (members do not bump the version).
    joined = anna.post(
        f"/api/v1/projects/{pid}/members",
        {"person_id": world["jana"].pk, "role": "sales"},
        content_type="application/json",
    )
    assert joined.status_code == 201, joined.content
    ok = jana.patch(
        f"/api/v1/projects/{pid}",
        {"stage": "proposal"},
        content_type="application/json",
        headers={"If-Match": '"1"'},
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = anna.patch(
        f"/api/v1/projects/{pid}", {"version": 1, "name": "Alt"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    missing = anna.patch(f"/api/v1/projects/{pid}", {"name": "x"}, content_type="application/json")
    assert missing.status_code == 428
    listed = jana.get(f"/api/v1/projects?organization_id={world.acme.pk}").json()
    assert listed["count"] == 1


def test_members_coverage_team_builder_and_risk(world, project, anna, jana):
    r = anna.post(
        f"/api/v1/projects/{project.pk}/members",
        {"person_id": world["clara"].pk, "role": "service"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["side"] == "ours"
    members = jana.get(f"/api/v1/projects/{project.pk}/members").json()
    assert len(members) == 6
    cov = jana.get(f"/api/v1/projects/{project.pk}/coverage").json()
    assert {g["role"] for g in cov["gaps"]} >= {"technical_buyer", "decision_maker"}
    assert cov["matrix"][0]["cells"][0]["person_id"] == cov["theirs"][0]["person"]["id"]
    builder = jana.get(f"/api/v1/projects/{project.pk}/team-builder").json()
    assert builder[0]["person"]["full_name"] == "Bernd Vogel"
    risk = jana.get(f"/api/v1/projects/{project.pk}/key-person-risk").json()
    assert risk["people"] == 3
    company = jana.get("/api/v1/key-person-risk").json()
    assert company and company[0]["accounts"]
    for body in (cov, builder, risk, company):
        assert "Geheimnisvoll" not in str(body)


def test_private_project_is_missing_for_a_colleague(world, anna, jana):
    secret = actions.create_project(world.anna, world.acme, name="Geheim", visibility="private")
    for url in (
        f"/api/v1/projects/{secret.pk}",
        f"/api/v1/projects/{secret.pk}/coverage",
        f"/api/v1/projects/{secret.pk}/documents",
    ):
        assert jana.get(url).status_code == 404
        assert jana.get(url.replace(str(secret.pk), "987654321")).status_code == 404
    assert anna.get(f"/api/v1/projects/{secret.pk}").status_code == 200


def test_upload_list_download_and_send(world, project, anna, jana):
    up = anna.post(
        f"/api/v1/projects/{project.pk}/documents",
        {"file": SimpleUploadedFile("angebot.pdf", b"%PDF-1.4 A"), "title": "Angebot"},
    )
    assert up.status_code == 201, up.content
    doc = up.json()
    again = anna.post(
        f"/api/v1/projects/{project.pk}/documents",
        {"file": SimpleUploadedFile("angebot.pdf", b"%PDF-1.4 B"), "document_id": doc["id"]},
    )
    assert [v["number"] for v in again.json()["versions"]] == [2, 1]
    download = jana.get(f"/api/v1/documents/{doc['id']}/versions/1/download")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 A"
    assert "attachment" in download["Content-Disposition"]
    sent = anna.post(
        f"/api/v1/documents/{doc['id']}/send",
        {"version": 2, "recipient_ids": [world["kurz"].pk]},
        content_type="application/json",
    )
    assert sent.status_code == 201, sent.content
    flow = jana.get(f"/api/v1/projects/{project.pk}/document-flow").json()
    assert flow["deliveries"][0]["recipients"][0]["full_name"] == "Eva Kurz"
    assert flow["deliveries"][0]["sites"] == ["ACME Maschinenbau GmbH, Werk Ulm"]


def test_bad_upload_names_the_problem(world, project, anna):
    r = anna.post(
        f"/api/v1/projects/{project.pk}/documents",
        {"file": SimpleUploadedFile("tool.exe", b"MZ"), "title": "x"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "file"
    assert "allowed are" in r.json()["message"]


def test_download_of_a_private_projects_file_is_404_for_a_colleague(world, anna, jana):
    secret = actions.create_project(world.anna, world.acme, name="Geheim", visibility="private")
    up = anna.post(
        f"/api/v1/projects/{secret.pk}/documents",
        {"file": SimpleUploadedFile("k.pdf", b"%PDF secret"), "title": "Kalkulation"},
    )
    url = f"/api/v1/documents/{up.json()['id']}/versions/1/download"
    assert jana.get(url).status_code == 404
    assert anna.get(url).status_code == 200


def test_radar_json_and_csv(world, project, jana):
    with FIXTURE.open("rb") as fh:
        r = jana.post("/api/v1/radar", {"file": fh})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["rows"][0]["organization"] == "ACME Maschinenbau GmbH"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (6, "name"),
        (7, "city"),
        (8, "website"),
    ]
    with FIXTURE.open("rb") as fh:
        csv_r = jana.post("/api/v1/radar/export", {"file": fh})
    assert csv_r["Content-Type"].startswith("text/csv")
    assert csv_r.content.decode().startswith("rank,name,city")
    bad = jana.post("/api/v1/radar", {"file": SimpleUploadedFile("t.csv", b"foo,bar\n1,2\n")})
    assert bad.status_code == 422 and "city, industry" in bad.json()["message"]


def test_upload_larger_than_the_request_memory_limit(world, project, anna):
    big = b"%PDF-1.4\n" + b"x" * (3 * 1024 * 1024)
    r = anna.post(
        f"/api/v1/projects/{project.pk}/documents",
        {"file": SimpleUploadedFile("plan.pdf", big), "title": "Plan"},
    )
    assert r.status_code == 201, r.content[:300]
    assert r.json()["versions"][0]["size"] == len(big)


def test_every_schema_name_is_defined_once_with_one_shape():
    """Two routers with a schema of the same name share one OpenAPI component, and one of
    them is documented with the other's shape (the private notes were documented with
    the introductions' ``note`` instead of ``text``)."""
    import importlib
    import inspect
    import pkgutil

    from ninja import Schema

    import geflecht.api

    seen: dict[str, type] = {}
    for info in pkgutil.iter_modules(geflecht.api.__path__):
        module = importlib.import_module(f"geflecht.api.{info.name}")
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Schema)
                and obj.__module__ == module.__name__
            ):
                if name in seen:
                    other = seen[name]
                    assert obj.model_json_schema() == other.model_json_schema(), (
                        f"{name} in {module.__name__} and {other.__module__} differ"
                    )
                seen[name] = obj


def test_private_note_is_added_with_the_documented_body(world, anna):
    from geflecht.api.main import api

    body = api.get_openapi_schema()["paths"]["/api/v1/persons/{person_id}/notes"]["post"]
    ref = body["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    documented = api.get_openapi_schema()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert documented["required"] == ["text"]
    r = anna.post(
        f"/api/v1/persons/{world['weber'].pk}/notes",
        {"text": "Mag keine Telefonate."},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content


def test_whole_numbers_and_amounts_are_read_as_json_schema_reads_them(world, project, anna):
    r = anna.post(
        f"/api/v1/projects/{project.pk}/members",
        {"person_id": float(world["bernd"].pk), "role": "sales"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    r = anna.patch(
        f"/api/v1/projects/{project.pk}",
        {"version": 1.0, "value": 1250.505},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["value"] == "1250.51"
    for bad in ({"version": 2, "value": "1250"}, {"version": 2.5}, {"version": True}):
        assert (
            anna.patch(
                f"/api/v1/projects/{project.pk}", bad, content_type="application/json"
            ).status_code
            == 422
        )


def test_every_response_schema_name_is_defined_once():
    """Two routers with a schema of the same name would share one OpenAPI component, and
    one of them would be documented with the other's shape."""
    import inspect

    from ninja import Schema

    from geflecht.api import accounts, network, people, privacy, projects

    seen: dict[str, str] = {}
    for module in (accounts, network, people, privacy, projects):
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Schema)
                and obj.__module__ == module.__name__
            ):
                assert name not in seen, f"{name} in {module.__name__} and {seen[name]}"
                seen[name] = module.__name__
