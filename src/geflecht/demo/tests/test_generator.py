"""The demo generator: same seed, same network; and a network that looks like a real one."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from geflecht.accounts.models import Tenant, User
from geflecht.demo.generator import DemoOptions, ascii_fold, generate_demo
from geflecht.network.models import Interaction, InteractionParticipant, Relationship
from geflecht.people.models import ContactEmail, ContactPhone, Organization, Person, Position, Site

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def fingerprint(slug: str) -> dict:
    """One tenant's network, independent of database ids."""
    tenant = Tenant.objects.get(slug=slug)
    people = Person.objects.filter(tenant=tenant)
    first = people.order_by("id").values_list("id", flat=True)[0]
    return {
        "orgs": list(
            Organization.objects.filter(tenant=tenant)
            .order_by("id")
            .values_list("name", "kind", "industry")
        ),
        "people": list(people.order_by("id").values_list("title", "first_name", "last_name")),
        "ties": sorted(
            (a - first, b - first, kind, round(s, 4))
            for a, b, kind, s in Relationship.objects.filter(tenant=tenant).values_list(
                "person_a", "person_b", "kind", "strength"
            )
        ),
        "interactions": sorted(
            Interaction.objects.filter(tenant=tenant).values_list("kind", "occurred_at", "subject")
        ),
    }


@pytest.fixture(scope="module")
def demo_network(django_db_setup, django_db_blocker):
    """One 1,500-person network shared by the plausibility tests of this module."""
    with django_db_blocker.unblock():
        result = generate_demo(DemoOptions(people=1500, seed=7, now=NOW, tenant_slug="plaus"))
        yield result
        Person.objects.filter(tenant=result.tenant).delete()
        User.objects.filter(tenant=result.tenant).delete()
        result.tenant.delete()


@pytest.mark.django_db
def test_same_seed_gives_the_same_network_and_another_seed_another():
    generate_demo(DemoOptions(people=120, seed=3, now=NOW, tenant_slug="first"))
    generate_demo(DemoOptions(people=120, seed=3, now=NOW, tenant_slug="again"))
    generate_demo(DemoOptions(people=120, seed=4, now=NOW, tenant_slug="other"))
    first = fingerprint("first")
    assert len(first["ties"]) > 500
    assert fingerprint("again") == first
    assert fingerprint("other")["people"] != first["people"]


def degrees() -> np.ndarray:
    pairs = np.array(list(Relationship.objects.values_list("person_a", "person_b")))
    return np.bincount(pairs.ravel())[np.unique(pairs.ravel())]


@pytest.mark.django_db
def test_degrees_are_about_twenty_and_heavy_tailed(demo_network):
    deg = degrees()
    assert 15 <= deg.mean() <= 25
    # A few hubs (sales people, popular contacts) and many people with a handful of ties.
    assert deg.max() >= 5 * np.median(deg)
    assert np.percentile(deg, 10) <= 0.5 * deg.mean()


@pytest.mark.django_db
def test_no_self_ties_and_every_pair_canonical_and_once(demo_network):
    pairs = list(
        Relationship.objects.filter(visibility="company").values_list("person_a", "person_b")
    )
    assert all(a < b for a, b in pairs)
    assert len(pairs) == len(set(pairs))


@pytest.mark.django_db
def test_in_person_meetings_are_rarer_than_emails(demo_network):
    kinds = Counter(Interaction.objects.values_list("kind", flat=True))
    total = sum(kinds.values())
    assert kinds["email"] > 3 * kinds["meeting"]
    assert 0.04 <= kinds["meeting"] / total <= 0.2
    assert kinds["phone"] > kinds["meeting"]


@pytest.mark.django_db
def test_trade_fairs_have_hundreds_of_attendees(demo_network):
    fairs = Interaction.objects.filter(kind="event")
    assert fairs.filter(subject__startswith="Hannover Messe").exists()
    sizes = [InteractionParticipant.objects.filter(interaction=fair).count() for fair in fairs]
    assert min(sizes) >= 100
    assert demo_network.counts["fairs"] == len(sizes)


@pytest.mark.django_db
def test_german_names_with_umlauts_titles_and_real_cities(demo_network):
    names = list(Person.objects.values_list("title", "first_name", "last_name"))
    assert any(re.search("[äöüÄÖÜß]", first + last) for _, first, last in names)
    titles = Counter(t for t, _, _ in names if t)
    assert titles["Dr."] >= 0.02 * len(names)
    assert Organization.objects.filter(name__regex="[äöüß]").exists()
    cities = set(Site.objects.values_list("city", flat=True))
    assert {"Ulm", "Stuttgart"} <= cities
    assert Site.objects.filter(country="AT").exists() or Site.objects.filter(country="CH").exists()
    assert Person.objects.get(first_name="Klaus", last_name="Weber", title="Dr.")


@pytest.mark.django_db
def test_all_organisation_kinds_and_buying_roles_appear(demo_network):
    kinds = set(Organization.objects.values_list("kind", flat=True))
    assert {"own", "customer", "prospect", "partner", "supplier"} <= kinds
    roles = set(Position.objects.exclude(buying_role="").values_list("buying_role", flat=True))
    assert {"decision_maker", "economic_buyer", "technical_buyer", "user"} <= roles
    assert (
        not Position.objects.exclude(buying_role="")
        .exclude(organization__kind__in=["customer", "prospect"])
        .exists()
    )


@pytest.mark.django_db
def test_job_changes_keep_history(demo_network):
    past = Position.objects.filter(end_date__isnull=False)
    assert past.count() >= 0.05 * Person.objects.count()
    for position in past[:50]:
        current = Position.objects.get(person=position.person, end_date__isnull=True)
        assert current.organization_id != position.organization_id
        assert position.end_date < current.start_date
    assert Relationship.objects.filter(kind="former_colleague").exists()


@pytest.mark.django_db
def test_generated_rows_pass_model_validation(demo_network):
    for model in (Person, Organization, Site, Position, ContactEmail, ContactPhone, Relationship):
        for obj in model.objects.order_by("?")[:40]:
            before = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
            obj.full_clean()
            if model is ContactPhone:
                # Valid numbers come out of clean() exactly as they were stored.
                assert obj.number == before["number"]


@pytest.mark.django_db
def test_demo_logins_own_a_private_address_book(demo_network):
    anna = User.objects.get(username="anna@plaus")
    assert anna.person.full_name == "Anna Schmidt"
    assert anna.check_password(dict(demo_network.logins)["anna@plaus"])
    private = Person.objects.filter(visibility="private", owner=anna)
    assert private.count() >= 5
    assert Relationship.objects.filter(visibility="private", owner=anna).count() >= 5


def test_ascii_fold_spells_umlauts_the_german_way():
    assert ascii_fold("Müller") == "mueller"
    assert ascii_fold("Weiß") == "weiss"
    assert ascii_fold("Öztürk") == "oeztuerk"
    assert ascii_fold("Yılmaz") == "ylmaz"


@pytest.mark.django_db
def test_large_loads_rebuild_the_indexes_they_drop(settings):
    """deferred_indexes() (used above 100k people) leaves every index in place."""
    from django.db import connection, transaction

    from geflecht.lib.bulk import deferred_indexes

    def index_names() -> set[str]:
        with connection.cursor() as cursor:
            return {
                name
                for table in ("network_relationship", "people_person")
                for name, info in connection.introspection.get_constraints(cursor, table).items()
                if info["index"]
            }

    before = index_names()
    with transaction.atomic(), deferred_indexes(Person, Relationship):
        assert index_names() < before
        generate_demo(DemoOptions(people=40, seed=1, now=NOW, tenant_slug="bulk"))
    assert index_names() == before
    assert Relationship.objects.filter(tenant__slug="bulk").exists()


@pytest.mark.django_db
def test_demo_users_share_a_team_and_keep_private_notes(demo_network):
    from geflecht.people.models import PrivateNote
    from geflecht.people.queries import my_private_notes

    anna, jana = (User.objects.get(username=f"{n}@plaus") for n in ("anna", "jana"))
    assert set(anna.teams.values_list("name", flat=True)) == {"Vertrieb Süd"}
    assert set(jana.teams.values_list("name", flat=True)) == {"Vertrieb Süd"}
    note = PrivateNote.objects.filter(owner=anna).select_related("person").get()
    assert note.person.last_name == "Weber"
    owners = set(PrivateNote.objects.filter(person=note.person).values_list("owner", flat=True))
    assert owners == {anna.pk, jana.pk}  # both know something about him ...
    assert [n.owner_id for n in my_private_notes(jana, note.person)] == [jana.pk]  # ... apart


@pytest.mark.django_db
def test_demo_has_one_login_left_for_its_first_sign_in_to_link(demo_network):
    from geflecht.accounts.actions import suggest_person_for

    tom = User.objects.get(username="tom@plaus")
    assert tom.person_id is None and tom.check_password(dict(demo_network.logins)["tom@plaus"])
    match = suggest_person_for(tom)
    assert match is not None and match.visibility == "company"
    assert match.emails.filter(email=tom.email).exists()
    assert User.objects.get(username="jana@plaus").person is not None
