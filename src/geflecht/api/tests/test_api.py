"""The REST API: authentication, resources, concurrency, errors and one answer per question."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from geflecht.accounts.actions import add_to_team
from geflecht.accounts.models import ApiToken, hash_token
from geflecht.network.actions import record_interaction
from geflecht.network.reach import PathOptions, introduction_paths
from geflecht.people.models import Person


def test_requests_without_credentials_get_a_json_401(db):
    response = Client().get("/api/v1/persons")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "Bearer" in response.json()["message"]


def test_token_is_shown_once_stored_hashed_and_can_be_revoked(owner):
    session = Client()
    session.force_login(owner)
    created = session.post(
        "/api/v1/tokens", {"name": "Outlook add-in"}, content_type="application/json"
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    stored = ApiToken.objects.get(pk=created.json()["id"])
    assert stored.key_hash == hash_token(secret) and secret not in (stored.key_hash, stored.hint)

    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/me").json()["username"] == "anna"
    listed = api.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["Outlook add-in"] and "token" not in listed[0]

    assert api.delete(f"/api/v1/tokens/{stored.pk}").status_code == 204
    assert api.get("/api/v1/me").status_code == 401


def test_a_colleague_cannot_revoke_my_token(owner, colleague):
    from geflecht.accounts.actions import create_token

    token, secret = create_token(owner, "mine")
    _, other = create_token(colleague, "hers")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {other}").delete(f"/api/v1/tokens/{token.pk}")
    assert response.status_code == 404
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me").status_code == 200


def test_session_writes_need_the_csrf_token(owner):
    session = Client(enforce_csrf_checks=True)
    session.force_login(owner)
    assert session.get("/api/v1/me").status_code == 200
    refused = session.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert refused.status_code in (401, 403)
    assert not ApiToken.objects.exists()


def test_person_list_pages_and_hides_a_colleagues_private_contact(world, anna, jana):
    mine = anna.get("/api/v1/persons?limit=2").json()
    assert mine["count"] == 4 and len(mine["items"]) == 2  # Anna, Jana, Weber, her secret
    rest = anna.get("/api/v1/persons?limit=2&offset=2").json()["items"]
    assert [p["last_name"] for p in mine["items"] + rest] == [
        "Becker",
        "Geheimnisvoll",
        "Schmidt",
        "Weber",
    ]
    theirs = jana.get("/api/v1/persons?limit=100").json()
    assert theirs["count"] == 3
    assert [p["last_name"] for p in theirs["items"]] == ["Becker", "Schmidt", "Weber"]
    found = jana.get("/api/v1/persons?q=geheim").json()
    assert found == {"items": [], "count": 0}


def test_person_list_costs_a_constant_number_of_queries(world, tenant, anna):
    for i in range(30):
        Person.objects.create(tenant=tenant, first_name=f"P{i}", last_name="Zeitgeist")
    anna.get("/api/v1/persons?limit=5")  # warm the token's last-used stamp
    with CaptureQueriesContext(connection) as few:
        anna.get("/api/v1/persons?limit=5")
    with CaptureQueriesContext(connection) as many:
        body = anna.get("/api/v1/persons?limit=30").json()
    assert len(body["items"]) == 30
    assert len(many) == len(few) <= 8


def test_hidden_and_missing_people_get_the_same_404(world, jana):
    hidden = jana.get(f"/api/v1/persons/{world['secret'].pk}")
    missing = jana.get("/api/v1/persons/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"] == "not_found"
    assert "Geheimnisvoll" not in hidden.content.decode()


def test_another_tenant_sees_nothing(world, olaf):
    assert olaf.get("/api/v1/persons").json()["count"] == 0
    assert olaf.get(f"/api/v1/persons/{world['weber'].pk}").status_code == 404
    assert olaf.get(f"/api/v1/organizations/{world['acme'].pk}").status_code == 404
    assert olaf.get("/api/v1/interactions").json()["count"] == 0


def test_validation_errors_name_the_field(owner, anna):
    response = anna.post("/api/v1/persons", {"first_name": "Ohne"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert "last_name" in [e["field"] for e in body["errors"]]
    bad_phone = anna.post("/api/v1/persons", {"last_name": "Krause", "phones": ["abc"]})
    assert bad_phone.status_code == 422 and "phone" in bad_phone.json()["message"]
    assert not Person.objects.filter(last_name="Krause").exists()


def test_create_and_read_back_a_person(owner, anna):
    created = anna.post(
        "/api/v1/persons",
        {
            "title": "Dipl.-Ing.",
            "first_name": "Jürgen",
            "last_name": "Müller",
            "emails": ["J.Mueller@Example.de"],
            "phones": ["0731 123450"],
            "importance": "A",
            "visibility": "private",
        },
    )
    assert created.status_code == 201
    person = anna.get(f"/api/v1/persons/{created.json()['id']}")
    body = person.json()
    assert body["emails"] == ["j.mueller@example.de"] and body["phones"] == ["+49731123450"]
    assert body["owner_id"] == owner.pk and body["version"] == 1
    assert person["ETag"] == '"1"'


def test_an_edit_based_on_an_old_version_gets_409(world, anna, jana):
    weber = world["weber"]
    url = f"/api/v1/persons/{weber.pk}"
    version = anna.get(url).json()["version"]
    first = anna.patch(url, {"version": version, "notes": "Mag Espresso."})
    assert first.status_code == 200 and first.json()["version"] == version + 1
    second = jana.patch(url, {"notes": "Trinkt Tee."}, **{"If-Match": f'"{version}"'})
    assert second.status_code == 409
    assert second.json()["code"] == "conflict" and "Reload" in second.json()["message"]
    assert second.json()["current_version"] == version + 1
    assert Person.objects.get(pk=weber.pk).notes == "Mag Espresso."
    unversioned = jana.patch(url, {"notes": "Trinkt Tee."})
    assert unversioned.status_code == 428


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_edits_never_both_win(tenant, owner, colleague):
    from geflecht.api.tests.conftest import Api

    weber = Person.objects.create(tenant=tenant, last_name="Weber")
    apis = [Api(owner), Api(colleague)]
    results = []

    def edit(api, note):
        results.append(
            api.patch(f"/api/v1/persons/{weber.pk}", {"version": 1, "notes": note}).status_code
        )
        connection.close()

    threads = [threading.Thread(target=edit, args=(a, n)) for a, n in zip(apis, "AB", strict=True)]
    # The in-memory SQLite test database locks whole tables across threads, so there the
    # two edits (both based on version 1) run one after the other; PostgreSQL runs them
    # truly at once and the row lock decides.
    for t in threads:
        t.start()
        if connection.vendor == "sqlite":
            t.join()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    assert Person.objects.get(pk=weber.pk).version == 2


def test_organisation_edits_are_guarded_by_the_etag(world, anna):
    url = f"/api/v1/organizations/{world['acme'].pk}"
    etag = anna.get(url)["ETag"]
    assert anna.patch(url, {"employees": 450}, **{"If-Match": etag}).status_code == 200
    stale = anna.patch(url, {"employees": 999}, **{"If-Match": etag})
    assert stale.status_code == 409
    assert anna.get(url).json()["employees"] == 450


def test_read_only_users_cannot_write(world, colleague, jana):
    colleague.role = "read_only"
    colleague.save()
    assert jana.get("/api/v1/persons").status_code == 200
    refused = jana.post("/api/v1/persons", {"last_name": "Neu"})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    weber = world["weber"]
    patch = jana.patch(f"/api/v1/persons/{weber.pk}", {"version": 1, "notes": "x"})
    assert patch.status_code == 403


def test_logging_a_meeting_strengthens_the_tie(world, colleague, jana):
    weber = world["weber"]
    before = jana.get(f"/api/v1/relationships?person_id={weber.pk}").json()["items"]
    assert all(
        colleague.person_id not in (r["person_a"]["id"], r["person_b"]["id"]) for r in before
    )
    logged = jana.post(
        "/api/v1/interactions",
        {
            "kind": "meeting",
            "occurred_at": (timezone.now() - timedelta(hours=2)).isoformat(),
            "duration_minutes": 90,
            "participants": [
                {"person_id": colleague.person_id, "role": "organiser"},
                {"person_id": weber.pk},
            ],
            "subject": "Werksbesuch Ulm",
        },
    )
    assert logged.status_code == 201
    assert {p["person"]["id"] for p in logged.json()["participants"]} == {
        colleague.person_id,
        weber.pk,
    }
    rels = jana.get(f"/api/v1/relationships?person_id={colleague.person_id}").json()["items"]
    (tie,) = [r for r in rels if weber.pk in (r["person_a"]["id"], r["person_b"]["id"])]
    assert tie["strength"] > 0
    detail = jana.get(f"/api/v1/relationships/{tie['id']}").json()
    assert "meeting" in detail["explanation"]
    # Strength decays with time: the two reads are a moment apart (seconds on a busy machine).
    assert detail["evidence"]["value"] == pytest.approx(tie["strength"], rel=1e-4)


def test_bad_interactions_are_refused_with_the_reason(world, owner, anna):
    weber = world["weber"]
    future = anna.post(
        "/api/v1/interactions",
        {
            "kind": "meeting",
            "occurred_at": (timezone.now() + timedelta(days=3)).isoformat(),
            "participants": [{"person_id": owner.person_id}, {"person_id": weber.pk}],
        },
    )
    assert future.status_code == 422 and "future" in future.json()["message"]
    channel = anna.post(
        "/api/v1/interactions",
        {
            "kind": "telepathy",
            "occurred_at": timezone.now().isoformat(),
            "participants": [{"person_id": owner.person_id}, {"person_id": weber.pk}],
        },
    )
    assert channel.status_code == 422 and channel.json()["errors"][0]["field"] == "kind"


def test_interactions_never_name_a_hidden_participant(world, jana):
    items = jana.get("/api/v1/interactions").json()["items"]
    subjects = [i["subject"] for i in items]
    assert subjects == ["Angebot Messmaschine"]  # Anna's private ones stay hers


def test_paths_answer_like_the_service(world, owner, anna):
    weber = world["weber"]
    api = anna.get(f"/api/v1/paths?target={weber.pk}&k=2").json()
    service = introduction_paths(owner, weber, PathOptions(k=2))
    assert [p["text"] for p in api] == [p.text() for p in service]
    assert api and api[0]["steps"][-1]["person"]["id"] == weber.pk


def test_a_path_over_a_private_tie_names_only_the_colleague(world, tenant, owner, colleague, jana):
    weber, secret = world["weber"], world["secret"]
    # Jana knows Anna; Anna reaches Weber directly and through her private contact.
    record_interaction(
        tenant=tenant,
        recorded_by=colleague,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=1),
        participants=[(colleague.person_id, "organiser"), (owner.person_id, "attendee")],
    )
    paths = jana.get(f"/api/v1/paths?target={weber.pk}&k=3").json()
    assert len(paths) == 2  # Jana-Anna-Weber, and the one over Anna's private contact
    shown = [s["person"]["id"] for p in paths for s in p["steps"] if s["person"]]
    asks = [s["ask"]["id"] for p in paths for s in p["steps"] if s["ask"]]
    assert secret.pk not in shown and "Geheimnisvoll" not in str(paths)
    assert asks == [owner.person_id]  # the hidden stretch says "ask Anna"


def test_team_visibility(world, tenant, owner, colleague, anna, jana):
    add_to_team(owner, "Vertrieb Süd")
    shared = anna.post("/api/v1/persons", {"last_name": "Teamkontakt", "visibility": "team"})
    pk = shared.json()["id"]
    assert jana.get(f"/api/v1/persons/{pk}").status_code == 404
    add_to_team(colleague, "Vertrieb Süd")
    colleague.refresh_from_db()  # a new request sees the new team
    from geflecht.api.tests.conftest import Api

    assert Api(colleague).get(f"/api/v1/persons/{pk}").status_code == 200


def test_openapi_document_and_self_hosted_docs(db, owner):
    session = Client()
    session.force_login(owner)
    schema = session.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Geflecht API"
    for path in ("/api/v1/persons", "/api/v1/paths", "/api/v1/reconnect", "/api/v1/tokens"):
        assert path in schema["paths"]
    docs = session.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs
    # No script or stylesheet from elsewhere (a random CSRF token may spell "cdn").
    assert not re.search(r'(src|href)="(https?:)?//', docs) and "https://" not in docs


def test_person_detail_and_list_show_the_same_person(world, tenant, anna):
    from geflecht.people.models import Position

    weber = world["weber"]
    Position.objects.create(
        tenant=tenant,
        person=weber,
        organization=world["acme"],
        title="Vertrieb",
        start_date="2010-01-01",
        end_date="2015-06-30",
    )
    weber.emails.create(email="k.weber@acme.example")
    weber.phones.create(number="+49731123450")
    detail = anna.get(f"/api/v1/persons/{weber.pk}").json()
    (listed,) = [p for p in anna.get("/api/v1/persons?q=Weber").json()["items"]]
    assert detail == listed
    assert [p["is_current"] for p in detail["positions"]] == [True, False]
    assert detail["positions"][1]["end_date"] == "2015-06-30"


def test_text_a_database_cannot_store_is_refused_with_the_field(owner, anna):
    response = anna.post("/api/v1/persons", {"last_name": "Nul\u0000l", "notes": "ok"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "last_name"
    surrogate = anna.client.post(
        "/api/v1/persons",
        data=rb'{"last_name": "\ud800x"}',  # a lone surrogate: valid JSON, not valid Unicode
        content_type="application/json",
    )
    assert surrogate.status_code == 422
    assert not Person.objects.filter(last_name__startswith="Nul").exists()


def test_private_notes_hang_off_a_shared_person_and_stay_mine(world, anna, jana):
    weber = world["weber"]
    added = anna.post(f"/api/v1/persons/{weber.pk}/notes", {"text": "Sammelt Oldtimer"})
    assert added.status_code == 201
    assert [n["text"] for n in anna.get(f"/api/v1/persons/{weber.pk}/notes").json()] == [
        "Sammelt Oldtimer"
    ]
    assert jana.get(f"/api/v1/persons/{weber.pk}/notes").json() == []
    assert "Oldtimer" not in jana.get(f"/api/v1/persons/{weber.pk}").content.decode()
    assert jana.delete(f"/api/v1/notes/{added.json()['id']}").status_code == 404
    assert anna.delete(f"/api/v1/notes/{added.json()['id']}").status_code == 204
    assert anna.post(f"/api/v1/persons/{weber.pk}/notes", {"text": "  "}).status_code == 422
