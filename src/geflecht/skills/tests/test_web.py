"""The skills and partner pages show the services' answers and keep the privacy rules."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from geflecht.partners import actions as partner_actions
from geflecht.partners.tests.test_partners import PartnerNet


@pytest.fixture
def pnet(tenant):
    return PartnerNet(tenant)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_expert_page_lists_reasons_and_explains_unknown_places(pnet):
    pnet.has("weber", "spritzguss", level=4, note="PEEK")
    pnet.has("mayr", "spritzguss", level=5)
    page = _client(pnet.anna).get("/experts/?q=injection+moulding&near=Stuttgart&radius=50")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Klaus Weber" in text and "Otto Mayr" not in text
    assert "self-declared level 4/5" in text and "km away (Stuttgart)" in text
    bad = _client(pnet.anna).get("/experts/?q=Spritzguss&near=Stutgart").content.decode()
    assert "did you mean Stuttgart?" in bad


def test_person_section_endorses_and_hides_private_people(pnet):
    pnet.has("weber", "schweissen", level=3)
    client = _client(pnet.jana)
    section = client.get(f"/people/{pnet['weber'].pk}/skills/").content.decode()
    assert "Schweißen" in section and "Endorse" in section
    client.post(
        f"/people/{pnet['weber'].pk}/skills/change/",
        {"skill": pnet.skill("schweissen").pk, "do": "endorse"},
        headers={"HX-Request": "true"},
    )
    section = client.get(f"/people/{pnet['weber'].pk}/skills/").content.decode()
    assert "endorsed by Jana Becker" in section and "Withdraw endorsement" in section
    hidden = _client(pnet.anna).get(f"/people/{pnet['mayr'].pk}/skills/")
    assert hidden.status_code == 404


def test_taxonomy_matrix_and_partner_pages(pnet):
    pnet.has("bernd", "erodieren", level=4)
    client = _client(pnet.anna)
    assert "5-Achs-Fräsen" in client.get("/skills/").content.decode()
    matrix = client.get("/skills/matrix/").content.decode()
    assert "Erodieren" in matrix and "Bernd Vogel" in matrix
    project = partner_actions.create_joint_project(
        pnet.anna, partner_id=pnet.sued.pk, title="Zuschnitte 2023", start_date=date(2023, 1, 1),
        end_date=date(2023, 2, 1), status="finished",
    )  # fmt: skip
    response = client.post(
        f"/joint-projects/{project.pk}/rate/",
        {"quality": 5, "on_time": 4, "communication": 5, "comment": "prima"},
    )
    assert response.status_code == 302
    partner = client.get(f"/partners/{pnet.sued.pk}/").content.decode()
    assert "Zuschnitte 2023" in partner and "prima" in partner
    assert "1 ratings, mean 4.7 stars" in partner and "Laserschneiden" in partner
    search = client.get("/partners/?q=laser+cutting&near=Stuttgart").content.decode()
    assert "Laser Süd GmbH" in search and "Laser Nord GmbH" not in search
    assert "Laser Süd GmbH" in client.get("/partners/").content.decode()
