"""The demo network records a legal basis for every person it creates."""

from __future__ import annotations

from collections import Counter

import pytest

from geflecht.demo.generator import DemoOptions, generate_demo
from geflecht.people.models import Person
from geflecht.privacy.models import PersonPrivacy

from .conftest import NOW


@pytest.mark.django_db
def test_every_demo_person_has_a_legal_basis():
    result = generate_demo(DemoOptions(people=120, seed=3, now=NOW, tenant_slug="gdpr"))
    people = Person.objects.filter(tenant=result.tenant)
    records = PersonPrivacy.objects.filter(tenant=result.tenant)
    assert records.count() == people.count()
    by_basis = Counter(
        (classification, basis)
        for classification, basis in records.values_list("person__classification", "legal_basis")
    )
    assert set(by_basis) == {("business", "legitimate_interests"), ("private", "consent")}
    assert not records.filter(legal_basis="consent", consent_given_at__isnull=True).exists()
