"""Joint projects, ratings, the explained trust score and partner search."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from geflecht.accounts.models import User
from geflecht.partners import actions, queries
from geflecht.partners.models import JointProject
from geflecht.people.models import Organization, Person, Position, Site
from geflecht.skills.actions import add_capability
from geflecht.skills.tests.conftest import SkillNet


class PartnerNet(SkillNet):
    """Two laser cutters: Laser Süd near Stuttgart, Laser Nord in Hamburg; Kurz's firm
    ACME is a customer and not offered as a partner."""

    def __init__(self, tenant):
        super().__init__(tenant)
        self.sued = self._firm("Laser Süd GmbH", "Esslingen", 48.742, 9.305)
        self.nord = self._firm("Laser Nord GmbH", "Hamburg", 53.551, 9.993)
        self.kohl = Person.objects.create(tenant=tenant, first_name="Karl", last_name="Kohl")
        Position.objects.create(tenant=tenant, person=self.kohl, organization=self.sued)
        self.people["kohl"] = self.kohl
        for org in (self.sued, self.nord, self.acme):
            add_capability(self.anna, org.pk, self.skill("laserschneiden").pk, level=4)

    def _firm(self, name, city, lat, lon):
        org = Organization.objects.create(tenant=self.tenant, name=name, kind="partner")
        Site.objects.create(
            tenant=self.tenant, organization=org, name=city, city=city, latitude=lat,
            longitude=lon,
        )  # fmt: skip
        return org

    def project(self, org, *, finished=True, start=date(2022, 1, 10)):
        return actions.create_joint_project(
            self.anna, partner_id=org.pk, title="Laserzuschnitte", start_date=start,
            end_date=date(2022, 6, 1) if finished else None,
            status="finished" if finished else "running",
            our_people=[self["bernd"].pk], their_people=[self.kohl.pk] if org == self.sued else [],
        )  # fmt: skip


@pytest.fixture
def pnet(tenant):
    return PartnerNet(tenant)


def test_only_finished_projects_are_rated_once_per_user(pnet):
    running = pnet.project(pnet.sued, finished=False)
    with pytest.raises(ValidationError, match="Only finished"):
        actions.rate_joint_project(pnet.anna, running.pk, quality=5, on_time=5, communication=5)
    done = pnet.project(pnet.sued)
    actions.rate_joint_project(pnet.anna, done.pk, quality=5, on_time=4, communication=3)
    actions.rate_joint_project(pnet.anna, done.pk, quality=2, on_time=2, communication=2)
    assert [r.mean for r in done.ratings.all()] == [2.0]
    with pytest.raises(ValidationError):
        actions.rate_joint_project(pnet.jana, done.pk, quality=6, on_time=1, communication=1)
    reader = User.objects.create_user("leser", tenant=pnet.tenant, role=User.Role.READ_ONLY)
    with pytest.raises(PermissionDenied):
        actions.rate_joint_project(reader, done.pk, quality=3, on_time=3, communication=3)


def test_trust_is_explained_and_one_rating_does_not_dominate(pnet):
    done = pnet.project(pnet.sued)
    actions.rate_joint_project(pnet.anna, done.pk, quality=5, on_time=5, communication=5)
    pnet.tie("bernd", "kohl", 0.6)
    trust = queries.trust_score(pnet.anna, pnet.sued)
    parts = {p.name: p for p in trust.parts}
    # (3 stars x 3 + 5) / 4 = 3.5 stars -> 0.625, not 1.0.
    assert parts["ratings"].value == pytest.approx(0.625)
    assert "1 ratings, mean 5.0 stars" in parts["ratings"].text
    assert parts["projects"].value == pytest.approx(1 - 2.718281828 ** (-1 / 3), abs=1e-6)
    assert parts["ties"].value == pytest.approx(0.2)
    assert "Bernd Vogel–Karl Kohl 0.60" in parts["ties"].text
    assert "since 2022-01-10" in parts["length"].text
    assert trust.score == pytest.approx(sum(p.value * p.weight for p in trust.parts), abs=1e-4)
    assert trust.explain()[-1] == f"trust {trust.score:.2f}"
    newcomer = queries.trust_score(pnet.anna, pnet.nord)
    assert newcomer.score < trust.score
    assert "no ratings yet" in {p.name: p for p in newcomer.parts}["ratings"].text


def test_private_ties_do_not_count_for_colleagues(pnet):
    pnet.tie("bernd", "kohl", 0.9, owner=pnet.jana)
    assert {p.name: p for p in queries.trust_score(pnet.anna, pnet.sued).parts}["ties"].value == 0
    assert {p.name: p for p in queries.trust_score(pnet.jana, pnet.sued).parts}[
        "ties"
    ].value == pytest.approx(0.3)


def test_partner_search_ranks_by_capability_distance_and_trust(pnet):
    result = queries.find_partners(pnet.anna, "laser cutting", near="Stuttgart", radius_km=100)
    assert [h.organization.name for h in result.hits] == ["Laser Süd GmbH"]
    hit = result.hits[0]
    assert hit.capabilities[0].startswith("Laser cutting, level 4/5")
    assert any("km away (Esslingen)" in r for r in hit.reasons)
    everywhere = queries.find_partners(pnet.anna, "Laserschneiden")
    assert [h.organization.name for h in everywhere.hits] == ["Laser Nord GmbH", "Laser Süd GmbH"]
    # A good joint project lifts Laser Süd above the (equally capable) Laser Nord.
    done = pnet.project(pnet.sued)
    actions.rate_joint_project(pnet.anna, done.pk, quality=5, on_time=5, communication=5)
    again = queries.find_partners(pnet.anna, "Laserschneiden")
    assert again.hits[0].organization.name == "Laser Süd GmbH"
    with pytest.raises(ValidationError, match="did you mean Stuttgart"):
        queries.find_partners(pnet.anna, "laser", near="Stuttgrat")


def test_joint_project_people_are_shown_as_the_user_may_see_them(pnet):
    project = actions.create_joint_project(
        pnet.jana, partner_id=pnet.sued.pk, title="Prototypen", start_date=date(2024, 1, 1),
        their_people=[pnet["mayr"].pk],
    )  # fmt: skip
    assert queries.project_people(pnet.anna, project) == ([], [])
    assert queries.project_people(pnet.jana, project)[1] == [pnet["mayr"]]
    with pytest.raises(ValidationError, match="No person"):
        actions.create_joint_project(
            pnet.anna, partner_id=pnet.sued.pk, title="X", start_date=date(2024, 1, 1),
            their_people=[pnet["mayr"].pk],
        )  # fmt: skip
    assert JointProject.objects.count() == 1
