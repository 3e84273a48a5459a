"""The skills and partners endpoints answer like the services, and keep the rules."""

from __future__ import annotations

from datetime import date

import pytest

from geflecht.api.tests.conftest import Api
from geflecht.partners import actions as partner_actions
from geflecht.partners.tests.test_partners import PartnerNet


@pytest.fixture
def pnet(tenant):
    return PartnerNet(tenant)


def test_experts_endpoint_explains_and_hides_private_people(pnet):
    pnet.has("weber", "5-achs-fraesen", level=4, note="Titan")
    pnet.has("mayr", "5-achs-fraesen", level=5)
    body = Api(pnet.anna).get("/api/v1/experts?q=5%20Achs%20fr%C3%A4sen%20Titan&near=Ulm").json()
    assert body["count"] == 1 and body["place"] == "Ulm" and body["radius_km"] == 100
    assert body["understood"][0].startswith("“5 achs fraesen” → 5-axis milling")
    (item,) = body["items"]
    assert item["person"]["full_name"] == "Klaus Weber" and 60 < item["distance_km"] < 80
    assert "also mentions titan" in item["reasons"]
    jana = Api(pnet.jana).get("/api/v1/experts?q=5-Achs-Fr%C3%A4sen").json()
    assert [i["person"]["full_name"] for i in jana["items"]] == ["Otto Mayr", "Klaus Weber"]
    bad = Api(pnet.anna).get("/api/v1/experts?q=Fr%C3%A4sen&near=Stutgart")
    assert bad.status_code == 422
    assert "did you mean Stuttgart" in bad.json()["message"]


def test_declare_endorse_and_taxonomy_rights(pnet):
    anna, jana = Api(pnet.anna), Api(pnet.jana)
    sid = pnet.skill("twincat").pk
    jid = pnet["jana"].pk
    r = jana.put(f"/api/v1/persons/{jid}/skills/{sid}", {"level": 4, "note": "TwinCAT 3"})
    assert r.status_code == 200 and r.json()[0]["evidence"][0] == "self-declared, level 4 of 5"
    r = anna.post(f"/api/v1/persons/{jid}/skills/{sid}/endorsements", {})
    assert r.status_code == 201 and r.json()[0]["endorsed_by"] == ["Anna Schmidt"]
    assert jana.put(f"/api/v1/persons/{pnet['bernd'].pk}/skills/{sid}", {}).status_code == 403
    mayr = pnet["mayr"].pk
    assert anna.get(f"/api/v1/persons/{mayr}/skills").status_code == 404
    assert jana.post("/api/v1/skills", {"name_de": "Löten"}).status_code == 403
    created = anna.post("/api/v1/skills", {"name_de": "Löten", "name_en": "Soldering"})
    assert created.status_code == 201 and created.json()["key"] == "loeten"
    assert anna.delete(f"/api/v1/skills/{created.json()['id']}").status_code == 204


def test_matrix_and_partner_endpoints(pnet):
    pnet.has("bernd", "schleifen", level=4)
    anna = Api(pnet.anna)
    matrix = anna.get("/api/v1/skill-matrix").json()
    assert matrix["count"] == 3
    assert matrix["single_holders"][0]["skill"] == "Schleifen"
    project = anna.post(
        "/api/v1/joint-projects",
        {"partner_id": pnet.sued.pk, "title": "Zuschnitte", "start_date": "2023-01-01",
         "end_date": "2023-03-01", "status": "finished", "their_people": [pnet.kohl.pk]},
    )  # fmt: skip
    assert project.status_code == 201
    rated = anna.post(
        f"/api/v1/joint-projects/{project.json()['id']}/ratings",
        {"quality": 5, "on_time": 4, "communication": 5},
    )
    assert rated.status_code == 201 and rated.json()["ratings"][0]["quality"] == 5
    detail = anna.get(f"/api/v1/partners/{pnet.sued.pk}").json()
    assert [p["name"] for p in detail["trust"]["parts"]] == [
        "length",
        "projects",
        "ratings",
        "ties",
    ]
    assert detail["capabilities"][0]["skill"] == "Laserschneiden"
    search = anna.get("/api/v1/partner-search?q=laser%20cutting&near=Stuttgart&radius_km=50")
    assert [i["name"] for i in search.json()["items"]] == ["Laser Süd GmbH"]
    running = partner_actions.create_joint_project(
        pnet.anna, partner_id=pnet.nord.pk, title="Laufend", start_date=date(2025, 1, 1)
    )
    again = anna.post(
        f"/api/v1/joint-projects/{running.pk}/ratings",
        {"quality": 5, "on_time": 5, "communication": 5},
    )
    assert again.status_code == 422
    partners = anna.get("/api/v1/partners").json()
    assert partners["count"] == 2 and partners["items"][0]["name"] == "Laser Süd GmbH"
