"""A colleague's private firm and private contact answer exactly like ids that do not exist.

Anna keeps a private partner firm (with a joint project, a capability, a booth at a fair
and a place on a fair's target list) and a private contact (in a shared meeting). Jana,
her colleague, asks the partner, joint-project, ratings, capabilities, events and
interactions endpoints about them: same status, same body (with the id swapped), no
count that differs.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from geflecht.events import actions as event_actions
from geflecht.network.actions import record_interaction
from geflecht.partners import actions as partner_actions
from geflecht.partners.models import Rating
from geflecht.people.models import Organization, Site
from geflecht.skills.models import OrganizationCapability, Skill

MISSING = 987_654_321
SECRET_FIRM = "Verborgene Werkstatt"


@pytest.fixture
def hidden(world, tenant, owner):
    firm = Organization.objects.create(
        tenant=tenant,
        name="Verborgene Werkstatt GmbH",
        kind="partner",
        visibility="private",
        owner=owner,
    )
    skill = Skill.objects.create(tenant=tenant, key="milling", name_de="Fräsen", name_en="Milling")
    OrganizationCapability.objects.create(tenant=tenant, organization=firm, skill=skill, level=4)
    running = partner_actions.create_joint_project(
        owner, partner_id=firm.pk, title="Geheimes Frästeil", start_date=date(2025, 1, 1)
    )
    finished = partner_actions.create_joint_project(
        owner,
        partner_id=firm.pk,
        title="Geheimes Gussteil",
        start_date=date(2024, 1, 1),
        end_date=date(2024, 6, 1),
        status="finished",
    )
    today = timezone.localdate()
    fair = event_actions.create_event(
        owner, name="AMB Stuttgart", start_date=today + timedelta(days=20), city="Stuttgart"
    )
    booth = event_actions.add_attendance(
        owner, fair, organization=firm, role="exhibitor", booth="Halle 3, Stand 7"
    )
    target = event_actions.add_target(owner, fair, organization=firm, note="Rahmenvertrag")
    # A shared meeting that Anna's private contact attended too.
    record_interaction(
        tenant=tenant,
        recorded_by=owner,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=1),
        participants=[
            (owner.person_id, "organiser"),
            (world["weber"].pk, "attendee"),
            (world["secret"].pk, "attendee"),
        ],
        subject="Werksbesuch",
    )
    return {
        "firm": firm,
        "skill": skill,
        "running": running,
        "finished": finished,
        "fair": fair,
        "booth": booth,
        "target": target,
        "secret": world["secret"],
    }


def _assert_like_missing(seen, absent, hidden_id: int) -> None:
    """Same status, and the same body once the asked-for id is swapped."""
    assert seen.status_code == absent.status_code, (seen.status_code, absent.status_code)
    body = seen.content.decode()
    assert SECRET_FIRM not in body and "Geheim" not in body
    if absent.content:
        expected = json.loads(absent.content.decode().replace(str(MISSING), str(hidden_id)))
        assert json.loads(body) == expected


def test_joint_project_with_a_private_partner_answers_like_a_missing_one(jana, hidden):
    for project in (hidden["running"], hidden["finished"]):
        seen = jana.get(f"/api/v1/joint-projects/{project.pk}")
        absent = jana.get(f"/api/v1/joint-projects/{MISSING}")
        assert absent.status_code == 404
        _assert_like_missing(seen, absent, project.pk)


def test_rating_a_joint_project_with_a_private_partner_answers_like_a_missing_one(jana, hidden):
    stars = {"quality": 5, "on_time": 5, "communication": 5}
    for project in (hidden["running"], hidden["finished"]):
        seen = jana.post(f"/api/v1/joint-projects/{project.pk}/ratings", stars)
        absent = jana.post(f"/api/v1/joint-projects/{MISSING}/ratings", stars)
        assert absent.status_code == 404
        _assert_like_missing(seen, absent, project.pk)
    assert not Rating.objects.exists()


def test_a_private_partner_and_its_capabilities_answer_like_a_missing_firm(jana, hidden):
    firm, skill = hidden["firm"], hidden["skill"]
    for method, path, data in (
        ("get", "/api/v1/partners/{id}", None),
        ("get", "/api/v1/organizations/{id}/capabilities", None),
        ("put", f"/api/v1/organizations/{{id}}/capabilities/{skill.pk}", {"level": 2}),
        ("delete", f"/api/v1/organizations/{{id}}/capabilities/{skill.pk}", None),
    ):
        args = (data,) if data is not None else ()
        seen = getattr(jana, method)(path.format(id=firm.pk), *args)
        absent = getattr(jana, method)(path.format(id=MISSING), *args)
        assert absent.status_code == 404, path
        _assert_like_missing(seen, absent, firm.pk)
    assert OrganizationCapability.objects.get(organization=firm).level == 4
    listed = jana.get("/api/v1/partners").json()
    assert listed["count"] == 0 and listed["items"] == []


def test_a_private_exhibitor_is_neither_listed_nor_counted_at_a_fair(anna, jana, hidden):
    fair = hidden["fair"]
    assert anna.get(f"/api/v1/events/{fair.pk}/attendees").json()["count"] == 1
    attendees = jana.get(f"/api/v1/events/{fair.pk}/attendees")
    assert attendees.json() == {"items": [], "count": 0}
    assert jana.get(f"/api/v1/events/{fair.pk}").json()["attendee_count"] == 0
    assert jana.get("/api/v1/events").json()["items"][0]["attendee_count"] == 0
    exhibitors = jana.get(f"/api/v1/events/{fair.pk}/attendees?role=exhibitor")
    assert exhibitors.json()["count"] == 0
    assert SECRET_FIRM not in attendees.content.decode()


def test_a_private_firm_on_a_fairs_target_list_is_not_shown_nor_removable(jana, hidden):
    fair, target = hidden["fair"], hidden["target"]
    rows = jana.get(f"/api/v1/events/{fair.pk}/targets")
    assert rows.status_code == 200 and rows.json() == []
    seen = jana.delete(f"/api/v1/events/{fair.pk}/targets/{target.pk}")
    absent = jana.delete(f"/api/v1/events/{fair.pk}/targets/{MISSING}")
    assert absent.status_code == 404
    _assert_like_missing(seen, absent, target.pk)
    for path in ("who-we-know", "meeting-plan"):
        assert SECRET_FIRM not in jana.get(f"/api/v1/events/{fair.pk}/{path}").content.decode()


def test_adding_a_private_firm_or_person_to_a_fair_answers_like_a_missing_id(jana, hidden):
    fair, firm, secret = hidden["fair"], hidden["firm"], hidden["secret"]
    for path in ("attendees", "targets"):
        for field, hidden_id in (("organization_id", firm.pk), ("person_id", secret.pk)):
            seen = jana.post(f"/api/v1/events/{fair.pk}/{path}", {field: hidden_id})
            absent = jana.post(f"/api/v1/events/{fair.pk}/{path}", {field: MISSING})
            assert absent.status_code == 404
            _assert_like_missing(seen, absent, hidden_id)


def test_interactions_of_a_private_person_count_like_those_of_an_unknown_id(anna, jana, hidden):
    secret = hidden["secret"]
    assert anna.get(f"/api/v1/interactions?person_id={secret.pk}").json()["count"] == 3
    seen = jana.get(f"/api/v1/interactions?person_id={secret.pk}")
    absent = jana.get(f"/api/v1/interactions?person_id={MISSING}")
    assert absent.json() == {"items": [], "count": 0}
    _assert_like_missing(seen, absent, secret.pk)
    # The shared meeting itself stays visible, its private participant unnamed.
    listed = jana.get("/api/v1/interactions").json()["items"]
    assert "Werksbesuch" in {i["subject"] for i in listed}


def test_a_joint_project_with_a_private_firm_or_contact_is_refused_like_a_missing_id(
    jana, world, hidden
):
    start = {"title": "Neu", "start_date": "2025-03-01"}
    seen = jana.post("/api/v1/joint-projects", {**start, "partner_id": hidden["firm"].pk})
    absent = jana.post("/api/v1/joint-projects", {**start, "partner_id": MISSING})
    assert absent.status_code == 404
    _assert_like_missing(seen, absent, hidden["firm"].pk)
    acme, secret = world["acme"].pk, hidden["secret"].pk
    for side in ("our_people", "their_people"):
        seen = jana.post("/api/v1/joint-projects", {**start, "partner_id": acme, side: [secret]})
        absent = jana.post("/api/v1/joint-projects", {**start, "partner_id": acme, side: [MISSING]})
        assert absent.status_code == 422
        _assert_like_missing(seen, absent, secret)


def test_a_meeting_with_a_private_contact_at_a_fair_is_refused_like_an_unknown_person(
    jana, colleague, hidden
):
    fair = hidden["fair"]

    def log(person_id):
        row = {"colleague_id": colleague.person_id, "person_id": person_id}
        return jana.post(f"/api/v1/events/{fair.pk}/meetings", {"meetings": [row]})

    seen, absent = log(hidden["secret"].pk), log(MISSING)
    assert absent.status_code == 200 and absent.json()["problems"]
    _assert_like_missing(seen, absent, hidden["secret"].pk)


def test_a_fair_at_a_private_firms_site_does_not_name_the_site(anna, jana, tenant, hidden):
    site = Site.objects.create(tenant=tenant, organization=hidden["firm"], name="Werk Versteck")
    fair = event_actions.create_event(
        anna.user, name="Hausmesse", start_date=date(2027, 3, 1), site=site, city="Ulm"
    )
    assert anna.get(f"/api/v1/events/{fair.pk}").json()["site_id"] == site.pk
    assert jana.get(f"/api/v1/events/{fair.pk}").json()["site_id"] is None
    listed = {e["id"]: e for e in jana.get("/api/v1/events").json()["items"]}
    assert listed[fair.pk]["site_id"] is None


def test_a_shared_meeting_names_and_counts_only_the_participants_one_may_see(anna, jana, hidden):
    # The meeting is company-visible; one of its participants is Anna's private contact.
    (mine,) = [
        i for i in anna.get("/api/v1/interactions").json()["items"] if i["subject"] == "Werksbesuch"
    ]
    (theirs,) = [
        i for i in jana.get("/api/v1/interactions").json()["items"] if i["subject"] == "Werksbesuch"
    ]
    assert hidden["secret"].pk in {p["person"]["id"] for p in mine["participants"]}
    # Jana learns neither who nor that someone she may not see was there.
    assert all(p["person"] is not None for p in theirs["participants"])
    assert theirs["participant_count"] == len(theirs["participants"])
    assert len(theirs["participants"]) == len(mine["participants"]) - 1
