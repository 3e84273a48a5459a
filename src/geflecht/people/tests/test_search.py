"""Search: typo- and umlaut-tolerant, place-aware, and blind to others' private contacts."""

from __future__ import annotations

import pytest

from geflecht.people.models import Organization, Person, Position, Site
from geflecht.people.queries import forget_search_index, search


@pytest.fixture(autouse=True)
def _fresh_index():
    forget_search_index()
    yield
    forget_search_index()


@pytest.fixture
def network(tenant, owner, colleague):
    kunde = Organization.objects.create(
        tenant=tenant, name="Hahn Maschinenbau GmbH", kind="customer"
    )
    ulm = Site.objects.create(tenant=tenant, organization=kunde, name="Werk Ulm", city="Ulm")
    stuttgart = Site.objects.create(
        tenant=tenant, organization=kunde, name="Zentrale", city="Stuttgart"
    )
    people = {}
    for key, title, first, last, site in [
        ("mueller", "", "Jürgen", "Müller", ulm),
        ("weber_ulm", "Dr.", "Klaus", "Weber", ulm),
        ("weber_stgt", "", "Petra", "Weber", stuttgart),
        ("weiss", "", "Eva", "Weiß", stuttgart),
    ]:
        p = Person.objects.create(tenant=tenant, title=title, first_name=first, last_name=last)
        Position.objects.create(tenant=tenant, person=p, organization=kunde, site=site)
        people[key] = p
    people["private"] = Person.objects.create(
        tenant=tenant,
        first_name="Heimlich",
        last_name="Müllerschön",
        visibility="private",
        owner=owner,
    )
    return people


def ids(hits, kind="person"):
    return [h.id for h in hits if h.kind == kind]


def test_umlaut_spelt_out_and_typos_find_the_person(network, colleague):
    for text in ("Mueller", "Müller", "muller", "Müler", "Jürgen Mueller", "juergen"):
        assert network["mueller"].pk in ids(search(colleague, text)), text
    assert network["weiss"].pk in ids(search(colleague, "Weiss"))


def test_name_and_city_narrow_to_the_person_at_that_site(network, colleague):
    found = ids(search(colleague, "Weber Ulm"))
    assert found[0] == network["weber_ulm"].pk
    assert network["weber_stgt"].pk not in found
    assert set(ids(search(colleague, "Weber"))) >= {
        network["weber_ulm"].pk,
        network["weber_stgt"].pk,
    }


def test_title_in_the_query_does_not_matter(network, colleague):
    assert ids(search(colleague, "Dr. Weber Ulm"))[0] == network["weber_ulm"].pk


def test_private_contact_is_invisible_to_colleague(network, owner, colleague):
    private = network["private"].pk
    assert private in ids(search(owner, "Müllerschön"))
    assert private not in ids(search(colleague, "Müllerschön"))
    assert private not in ids(search(colleague, "Heimlich"))
    assert private not in ids(search(colleague, "Mueller", limit=100))


def test_other_tenant_finds_nothing(network, outsider):
    assert search(outsider, "Müller") == []


def test_organisations_and_sites_are_found(network, colleague):
    hits = search(colleague, "Hahn Maschinenbau")
    assert "organization" in {h.kind for h in hits}
    sites = search(colleague, "Werk Ulm")
    assert any(h.kind == "site" and h.detail == "Ulm" for h in sites)


def test_new_people_are_found_without_a_restart(network, tenant, colleague):
    assert search(colleague, "Zimmermann") == []
    p = Person.objects.create(tenant=tenant, first_name="Ida", last_name="Zimmermann")
    assert ids(search(colleague, "Zimmermann")) == [p.pk]


def test_empty_and_junk_queries_return_nothing(network, colleague):
    assert search(colleague, "") == []
    assert search(colleague, "   ") == []
    assert search(colleague, "%%%") == []


def test_a_contact_made_private_disappears_from_colleagues_search_at_once(
    network, owner, colleague
):
    weiss = network["weiss"]
    assert weiss.pk in ids(search(colleague, "Weiß"))
    Person.objects.filter(pk=weiss.pk).update(visibility="private", owner=owner)
    assert weiss.pk not in ids(search(colleague, "Weiß"))
    assert weiss.pk in ids(search(owner, "Weiß"))
