"""A read-only user calls every write operation of the API and changes nothing.

The operations are not listed by hand: every POST, PATCH, PUT and DELETE of the OpenAPI
document is called, with ids of records that exist and a body that passes validation,
so the answer is the role check's 403 and not a 404 or 422 in front of it. A new write
operation without a body below fails this test until someone adds one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from geflecht.accounts.models import User
from geflecht.api.main import api
from geflecht.api.tests.conftest import Api
from geflecht.capture.models import ConnectedAccount
from geflecht.demo.generator import DemoOptions, generate_demo
from geflecht.events.models import Event, EventTarget
from geflecht.intros.models import IntroRequest
from geflecht.network.models import Relationship
from geflecht.partners.models import JointProject
from geflecht.people.models import Organization, Person, Position, PrivateNote
from geflecht.projects.models import Document, Project, ProjectMember
from geflecht.skills.models import Skill

#: Writes that are not company data and stay open to read-only users: their own API
#: tokens (without one they could not read through the API at all), and the radar, a
#: question sent as a file (POST only because of the upload).
OPEN_TO_READERS = {
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{token_id}"),
    ("post", "/api/v1/radar"),
    ("post", "/api/v1/radar/export"),
}
TODAY = date(2026, 11, 2).isoformat()


@pytest.fixture
def net(db):
    """The seeded demo network, with Jana made read-only."""
    generate_demo(
        DemoOptions(people=60, seed=5, now=datetime(2026, 11, 1, tzinfo=UTC), tenant_slug="ro")
    )
    reader = User.objects.get(username="jana@ro")
    reader.role = User.Role.READ_ONLY
    reader.save(update_fields=["role"])
    return reader


def _first(model, **filters):
    row = model.objects.filter(**filters).order_by("pk").first()
    assert row is not None, f"the demo has no {model.__name__} {filters}"
    return row


def _ids(tenant_id: int, reader: User) -> dict[str, int]:
    t = {"tenant_id": tenant_id}
    person = _first(Person, visibility="company", user__isnull=True, **t)
    org = _first(Organization, visibility="company", **t)
    project = _first(Project, visibility="company", members__isnull=False, **t)
    event = _first(Event, **t)
    skill = _first(Skill, **t)
    note = PrivateNote.objects.create(tenant_id=tenant_id, person=person, owner=reader, text="x")
    intro = IntroRequest.objects.filter(tenant_id=tenant_id).order_by("pk").first()
    return {
        "person_id": person.pk,
        "org_id": org.pk,
        "organization_id": org.pk,
        "position_id": _first(Position, **t).pk,
        "rel_id": _first(Relationship, visibility="company", **t).pk,
        "note_id": note.pk,
        "project_id": project.pk,
        "member_id": _first(ProjectMember, project=project).pk,
        "document_id": _first(Document, **t).pk,
        "event_id": event.pk,
        "target_id": EventTarget.objects.create(
            tenant_id=tenant_id, event=event, person=person, chosen_by=reader
        ).pk,
        "request_id": intro.pk if intro else 1,
        "skill_id": skill.pk,
        # The reader's own account: a reader changes, syncs and forgets nothing either.
        "account_id": ConnectedAccount.objects.create(
            tenant_id=tenant_id,
            owner=reader,
            kind="caldav",
            server="https://dav.example.com/",
            username="jana",
        ).pk,
        "joint_project_id": JointProject.objects.create(
            tenant_id=tenant_id, partner=org, title="Alt", start_date=date(2026, 1, 5)
        ).pk,
    }


def _body(method: str, path: str, ids: dict[str, int]):
    """A body that passes validation for the write operation ``method path``."""
    person, org, skill = ids["person_id"], ids["organization_id"], ids["skill_id"]
    bodies = {
        ("post", "/api/v1/persons"): {"last_name": "Neu"},
        ("patch", "/api/v1/persons/{person_id}"): {"version": 1, "notes": "x"},
        ("post", "/api/v1/persons/{person_id}/notes"): {"text": "x"},
        ("post", "/api/v1/organizations"): {"name": "Neu GmbH"},
        ("patch", "/api/v1/organizations/{org_id}"): {"employees": 5, "etag": ids.get("org_etag")},
        ("post", "/api/v1/sites"): {"organization_id": org, "city": "Ulm"},
        ("post", "/api/v1/positions"): {"person_id": person, "organization_id": org},
        ("patch", "/api/v1/positions/{position_id}"): {"title": "x"},
        ("post", "/api/v1/relationships"): {
            "person_a_id": person,
            "person_b_id": ids.get("other_person_id"),
        },
        ("patch", "/api/v1/relationships/{rel_id}"): {"rating": 3},
        ("post", "/api/v1/interactions"): {
            "kind": "meeting",
            "occurred_at": "2026-10-01T10:00:00Z",
            "participants": [{"person_id": person}, {"person_id": ids.get("other_person_id")}],
        },
        ("put", "/api/v1/persons/{person_id}/legal-basis"): {"legal_basis": "consent"},
        ("put", "/api/v1/me/person"): {"person_id": person},
        ("post", "/api/v1/connections"): {
            "kind": "caldav",
            "server": "https://dav.example.com/",
            "username": "anna",
            "password": "app-password",
        },
        ("patch", "/api/v1/connections/{account_id}"): {"interval_minutes": 30},
        ("put", "/api/v1/connections-sharing"): {"org_kinds": ["customer"], "exclusions": []},
        ("post", "/api/v1/projects"): {"organization_id": org, "name": "Neu"},
        ("patch", "/api/v1/projects/{project_id}"): {"version": 1, "name": "x"},
        ("post", "/api/v1/projects/{project_id}/members"): {"person_id": person, "role": "sales"},
        ("put", "/api/v1/projects/{project_id}/skills-needed"): {"skill_ids": [skill]},
        ("post", "/api/v1/documents/{document_id}/send"): {"version": 1, "recipient_ids": [person]},
        ("post", "/api/v1/events"): {"name": "Messe", "start_date": TODAY},
        ("post", "/api/v1/events/{event_id}/attendees"): {"person_id": person},
        ("post", "/api/v1/events/{event_id}/attendees/import"): {"csv": "name\nNeu Mann\n"},
        ("post", "/api/v1/events/{event_id}/targets"): {"person_id": person},
        ("post", "/api/v1/events/{event_id}/meetings"): {
            "meetings": [{"colleague_id": ids.get("colleague_id"), "person_id": person}]
        },
        ("post", "/api/v1/intros"): {"target_id": person, "message": "bitte"},
        ("post", "/api/v1/intros/{request_id}/accept"): {},
        ("post", "/api/v1/intros/{request_id}/decline"): {},
        ("post", "/api/v1/intros/{request_id}/introduced"): {},
        ("post", "/api/v1/skills"): {"name_de": "Neu"},
        ("patch", "/api/v1/skills/{skill_id}"): {"name_en": "x"},
        ("put", "/api/v1/persons/{person_id}/skills/{skill_id}"): {"level": 3},
        ("post", "/api/v1/persons/{person_id}/skills/{skill_id}/endorsements"): {},
        ("put", "/api/v1/organizations/{organization_id}/capabilities/{skill_id}"): {},
        ("post", "/api/v1/joint-projects"): {
            "partner_id": org,
            "title": "Neu",
            "start_date": TODAY,
        },
        ("post", "/api/v1/joint-projects/{project_id}/ratings"): {
            "quality": 4,
            "on_time": 4,
            "communication": 4,
        },
    }
    return bodies.get((method, path))


def _snapshot() -> dict[str, tuple]:
    """Rows of every model of the project, and the newest change of each."""
    counts = {}
    for model in apps.get_models():
        if not model.__module__.startswith("geflecht.") or model._meta.label in (
            "privacy.AuditEntry",  # reads and refusals may be logged
            "accounts.ApiToken",  # its last use is stamped on every call
        ):
            continue
        rows = model._default_manager.all()
        stamp = None
        if any(f.name == "updated_at" for f in model._meta.fields):
            stamp = rows.order_by("-updated_at").values_list("updated_at", flat=True).first()
        counts[model._meta.label] = (rows.count(), stamp)
    return counts


def _write_operations():
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "patch", "put", "delete"):
                yield method, path, operation


def test_every_api_write_operation_refuses_a_read_only_user(net):
    reader = net
    ids = _ids(reader.tenant_id, reader)
    ids["other_person_id"] = (
        Person.objects.filter(tenant_id=reader.tenant_id, visibility="company")
        .exclude(pk=ids["person_id"])
        .order_by("pk")
        .values_list("pk", flat=True)[1]
    )
    ids["colleague_id"] = User.objects.get(username="anna@ro").person_id
    client = Api(reader)
    ids["org_etag"] = client.get(f"/api/v1/organizations/{ids['org_id']}")["ETag"].strip('"')
    before = _snapshot()
    wrong = []
    for method, path, operation in _write_operations():
        if (method, path) in OPEN_TO_READERS:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
        if "project_id" in path and "joint-projects" in path:
            url = path.replace("{project_id}", str(ids["joint_project_id"]))
        content = operation.get("requestBody", {}).get("content", {})
        if "multipart/form-data" in content:
            upload = SimpleUploadedFile("angebot.pdf", b"%PDF-1.4\n", "application/pdf")
            response = client.client.post(url, {"file": upload})
        elif content:
            body = _body(method, path, ids)
            assert body is not None, f"add a valid body for {method.upper()} {path}"
            response = client._call(method, url, body)
        else:
            response = client._call(method, url)
        if response.status_code != 403:
            wrong.append(f"{method.upper()} {path}: {response.status_code} {response.content!r}")
    after = _snapshot()
    changed = [f"{label} changed" for label in before if after[label] != before[label]]
    assert not wrong + changed, "\n".join(wrong + changed)


def test_the_open_operations_still_exist():
    operations = {(m, p) for m, p, _ in _write_operations()}
    assert operations >= OPEN_TO_READERS
