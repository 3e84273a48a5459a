"""The events and introduction-request endpoints: answers, errors, privacy."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from geflecht.events import actions as event_actions
from geflecht.intros import actions as intro_actions

CSV = (
    "Name,Company,E-Mail,Role,Booth\n"
    "Klaus Weber,ACME Maschinenbau GmbH,,visitor,\n"
    "Neu Nutzer,Neu AG,neu@neu.example,speaker,H1\n"
    "X Y,Z,,pilot,\n"
)


def test_event_endpoints_answer_what_the_services_answer(anna, jana, olaf, fair_world):
    fair = fair_world["fair"]
    listed = anna.get("/api/v1/events?when=upcoming").json()
    assert [e["name"] for e in listed["items"]] == ["AMB Stuttgart"]
    assert listed["items"][0]["attendee_count"] == 4
    created = anna.post(
        "/api/v1/events",
        {
            "name": "Control",
            "start_date": "2027-05-04",
            "end_date": "2027-05-07",
            "city": "Stuttgart",
        },
    )
    assert created.status_code == 201 and created.json()["end_date"] == "2027-05-07"
    bad = anna.post(
        "/api/v1/events", {"name": "X", "start_date": "2027-05-04", "end_date": "2027-05-01"}
    )
    assert bad.status_code == 422 and "last day" in bad.json()["message"]
    assert olaf.get(f"/api/v1/events/{fair.pk}").status_code == 404

    imported = anna.post(f"/api/v1/events/{fair.pk}/attendees/import", {"csv": CSV}).json()
    assert (imported["matched"], imported["created_people"], imported["added"]) == (1, 1, 1)
    assert imported["problems"] == [
        {"row": 3, "field": "role", "message": imported["problems"][0]["message"]}
    ]
    attendees = anna.get(f"/api/v1/events/{fair.pk}/attendees?role=speaker").json()["items"]
    assert [a["person"]["full_name"] for a in attendees] == ["Neu Nutzer"]

    known = anna.get(f"/api/v1/events/{fair.pk}/who-we-know").json()
    assert {k["person"]["full_name"] for k in known} == {"Klaus Weber", "Bruno Makler"}
    target = anna.post(
        f"/api/v1/events/{fair.pk}/targets", {"organization_id": fair_world["ziel"].pk}
    )
    assert target.status_code == 201
    rows = anna.get(f"/api/v1/events/{fair.pk}/targets").json()
    assert {b["person"]["full_name"] for b in rows[0]["brokers"]} == {"Klaus Weber", "Bruno Makler"}
    plan = anna.get(f"/api/v1/events/{fair.pk}/meeting-plan").json()
    assert plan["explanation"] and sum(len(p["slots"]) for p in plan["plans"]) == 2
    gone = anna.delete(f"/api/v1/events/{fair.pk}/targets/{target.json()['id']}")
    assert gone.status_code == 204 and anna.get(f"/api/v1/events/{fair.pk}/targets").json() == []


def test_bulk_meetings_endpoint_keeps_good_rows(anna, owner, colleague, fair_world):
    past = fair_world["past"]
    day = f"{past.start_date.isoformat()}T11:00:00+00:00"
    response = anna.post(
        f"/api/v1/events/{past.pk}/meetings",
        {
            "meetings": [
                {
                    "colleague_id": owner.person_id,
                    "person_id": fair_world["tanja"].pk,
                    "occurred_at": day,
                },
                {
                    "colleague_id": owner.person_id,
                    "person_id": fair_world["paul"].pk,
                    "occurred_at": day,
                },
            ]
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert [r["row"] for r in body["logged"]] == [1]
    assert body["problems"] == [{"row": 2, "field": "person", "message": "no such person"}]


def test_intro_request_round_trip_and_conflicts(anna, jana, olaf, colleague, fair_world):
    otto = fair_world["otto"]
    created = anna.post("/api/v1/intros", {"target_id": otto.pk, "message": "Bitte"})
    assert created.status_code == 201
    req = created.json()
    assert req["broker_label"].startswith("ask ") and req["hidden_hop"]
    assert "Privat" not in created.content.decode()
    incoming = jana.get("/api/v1/intros?direction=incoming").json()["items"]
    assert [r["id"] for r in incoming] == [req["id"]] and incoming[0]["path"] == []
    detail = jana.get(f"/api/v1/intros/{req['id']}").json()
    assert any("Privat" in s["label"] for p in detail["my_paths"] for s in p["steps"])
    assert olaf.get(f"/api/v1/intros/{req['id']}").status_code == 404
    assert anna.post(f"/api/v1/intros/{req['id']}/accept", {}).status_code == 403
    assert (
        jana.post(f"/api/v1/intros/{req['id']}/accept", {"note": "Gern"}).json()["status"]
        == "accepted"
    )
    again = jana.post(f"/api/v1/intros/{req['id']}/accept", {})
    assert again.status_code == 409 and "accepted" in again.json()["message"]
    done = jana.post(f"/api/v1/intros/{req['id']}/introduced", {"channel": "email"})
    assert done.json()["status"] == "introduced"
    mine = anna.get(f"/api/v1/intros/{req['id']}").json()
    assert mine["relationship_id"] and mine["broker_note"] == "Gern"
    assert "Privat" not in anna.get(f"/api/v1/intros/{req['id']}").content.decode()
    assert anna.post(f"/api/v1/intros/{req['id']}/withdraw", {}).status_code == 409


def _cost(api, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_lists_cost_the_same_queries_for_one_row_and_for_many(anna, owner, fair_world):
    fair = fair_world["fair"]
    urls = ("/api/v1/events", f"/api/v1/events/{fair.pk}/attendees", "/api/v1/intros")
    intro_actions.ask_for_introduction(owner, fair_world["tanja"], message="1")
    anna.get(urls[0])  # the token is checked once, then trusted for a few seconds
    one = [_cost(anna, url) for url in urls]
    for i in range(4):
        event_actions.create_event(owner, name=f"Messe {i}", start_date=fair.start_date)
    for who in ("tanja", "otto"):
        event_actions.add_attendance(owner, fair, person=fair_world[who])
    intro_actions.ask_for_introduction(owner, fair_world["otto"], message="2")
    intro_actions.ask_for_introduction(
        owner, fair_world["tanja"], broker=fair_world["weber"], message="3"
    )
    assert [_cost(anna, url) for url in urls] == one
