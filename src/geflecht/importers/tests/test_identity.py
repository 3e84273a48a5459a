"""Identity resolution: normalisation, matching, and the duplicates review list."""

from __future__ import annotations

import pytest

from geflecht.importers.identity import (
    IdentityIndex,
    find_duplicates,
    name_score,
    normalize_email,
    normalize_name,
    normalize_org,
    normalize_phone,
    parts_agree,
    split_title,
)
from geflecht.people.models import ContactEmail, ContactPhone, Organization, Person, Position


@pytest.mark.parametrize(
    ("a", "b"),
    [("Müller", "Mueller"), ("Weiß", "WEISS"), ("Dr. Jürgen Müller", "juergen mueller"),
     ("Zoë Ångström", "Zoe Angstroem"), ("Prof. Dr. Hans Groß", "Hans Gross")],
)  # fmt: skip
def test_names_compare_umlaut_and_title_aware(a, b):
    assert normalize_name(a) == normalize_name(b)


def test_normalisers():
    assert normalize_email(" <Anna@Example.DE> ") == "anna@example.de"
    assert normalize_email("mailto:x@y.de") == "x@y.de"
    assert normalize_email("kein at") is None
    assert normalize_phone("0731 / 123 45-0") == "+49731123450"
    assert normalize_phone("100") is None
    assert normalize_org("Brenner GmbH & Co. KG") == normalize_org("BRENNER")
    assert split_title("Prof. Dr.-Ing. Hans Weiß") == ("Prof. Dr.-Ing.", "Hans Weiß")
    assert split_title("Herr Klaus Weber") == ("", "Klaus Weber")
    assert name_score("juergen mueller", "jurgen mueller") > 90


def test_a_shared_long_surname_does_not_make_different_first_names_alike():
    assert name_score("anna wiesenthaler", "andrea wiesenthaler") >= 88  # alike as a whole
    assert not parts_agree("anna", "wiesenthaler", "andrea", "wiesenthaler")
    assert parts_agree("juergen", "mueller", "jurgen", "mueller")  # a typo
    assert parts_agree("e", "rot", "eva", "roth")  # an initial and a typo
    assert not parts_agree("eva", "roth", "eva", "schmidt")


def test_index_matches_by_email_phone_and_exact_name(owner, tenant):
    p = Person.objects.create(tenant=tenant, first_name="Jürgen", last_name="Müller")
    ContactEmail.objects.create(person=p, email="jm@example.de")
    ContactPhone.objects.create(person=p, number="+49731123450")
    index = IdentityIndex.for_user(owner)
    by_mail = index.match(first="x", last="y", emails=["jm@example.de"], phones=[], org="")
    by_phone = index.match(first="x", last="y", emails=[], phones=["+49731123450"], org="")
    by_name = index.match(first="juergen", last="mueller", emails=[], phones=[], org="")
    assert [k.pid for k in by_mail.certain] == [p.pk]
    assert [k.pid for k in by_phone.certain] == [p.pk]
    assert [k.pid for k in by_name.certain] == [p.pk]
    contradicted = index.match(
        first="juergen", last="mueller", emails=["other@example.de"], phones=[], org=""
    )
    assert contradicted.certain == [] and contradicted.candidates[0][0].pid == p.pk


def test_index_never_sees_a_colleagues_private_people(owner, colleague, tenant):
    hidden = Person.objects.create(
        tenant=tenant, last_name="Geheim", visibility="private", owner=colleague
    )
    ContactEmail.objects.create(person=hidden, email="geheim@example.de")
    index = IdentityIndex.for_user(owner)
    m = index.match(first="", last="geheim", emails=["geheim@example.de"], phones=[], org="")
    assert m.certain == [] and m.candidates == []


def test_duplicates_by_shared_address_and_similar_name(owner, tenant):
    org = Organization.objects.create(tenant=tenant, name="Brenner GmbH")
    a = Person.objects.create(tenant=tenant, first_name="Jürgen", last_name="Müller")
    b = Person.objects.create(tenant=tenant, first_name="Juergen", last_name="Mueller")
    for p in (a, b):
        Position.objects.create(tenant=tenant, person=p, organization=org)
    c = Person.objects.create(tenant=tenant, first_name="Eva", last_name="Roth")
    d = Person.objects.create(tenant=tenant, first_name="E.", last_name="Rot")
    ContactEmail.objects.create(person=c, email="eva@roth.example")
    ContactEmail.objects.create(person=d, email="eva@roth.example")
    Person.objects.create(tenant=tenant, first_name="Jana", last_name="Müller")
    found = find_duplicates(owner)
    assert [(x.survivor_id, x.person_id, x.level) for x in found] == [
        (c.pk, d.pk, "certain"),
        (a.pk, b.pk, "probable"),
    ]
    assert "same e-mail eva@roth.example" in found[0].reasons


def test_duplicates_hide_a_colleagues_private_people(owner, colleague, tenant):
    Person.objects.create(tenant=tenant, first_name="Eva", last_name="Roth")
    Person.objects.create(
        tenant=tenant, first_name="Eva", last_name="Roth", visibility="private", owner=owner
    )
    assert find_duplicates(colleague) == []
    assert len(find_duplicates(owner)) == 1


def test_duplicates_query_count_does_not_grow_with_people(
    owner, tenant, django_assert_max_num_queries
):
    Person.objects.bulk_create(
        Person(tenant=tenant, first_name=f"Vor{i % 50}", last_name=f"Name{i % 300}")
        for i in range(3000)
    )
    with django_assert_max_num_queries(12):
        found = find_duplicates(owner, limit=10)
    assert len(found) == 10
