"""A legal basis per person (GDPR Art. 6), with consent given and withdrawn."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from geflecht.people.models import Person
from geflecht.privacy.actions import (
    record_missing_legal_bases,
    set_legal_basis,
    withdraw_consent,
)
from geflecht.privacy.models import AuditEntry, PersonPrivacy
from geflecht.privacy.queries import people_without_basis

from .conftest import NOW


def test_consent_without_a_date_is_given_now(world, colleague):
    record = set_legal_basis(colleague, world.subject, "consent", source="EMO 2025", now=NOW)
    assert record.consent_given_at == NOW
    assert record.consent_active and record.has_basis
    assert record.updated_by == colleague
    assert AuditEntry.objects.get().action == "change"


def test_changing_the_basis_keeps_what_was_not_passed(world, colleague):
    set_legal_basis(colleague, world.subject, "consent", source="EMO", note="Stand 4", now=NOW)
    record = set_legal_basis(colleague, world.subject, "contract", now=NOW)
    assert (record.legal_basis, record.source, record.note) == ("contract", "EMO", "Stand 4")
    assert PersonPrivacy.objects.count() == 1


def test_withdrawn_consent_leaves_no_basis(world, colleague):
    set_legal_basis(colleague, world.subject, "consent", now=NOW - timedelta(days=9))
    record = withdraw_consent(colleague, world.subject, at=NOW)
    assert record.consent_withdrawn_at == NOW
    assert not record.has_basis
    assert world.subject in people_without_basis(colleague)


def test_bad_values_name_the_field(world, colleague):
    with pytest.raises(ValidationError) as bad:
        set_legal_basis(colleague, world.subject, "because")
    assert "legal_basis" in bad.value.message_dict
    with pytest.raises(ValidationError) as future:
        set_legal_basis(
            colleague, world.subject, "consent", consent_given_at=NOW + timedelta(days=1), now=NOW
        )
    assert "consent_given_at" in future.value.message_dict
    with pytest.raises(ValidationError) as backwards:
        set_legal_basis(
            colleague,
            world.subject,
            "consent",
            consent_given_at=NOW - timedelta(days=1),
            consent_withdrawn_at=NOW - timedelta(days=2),
            now=NOW,
        )
    assert "consent_withdrawn_at" in backwards.value.message_dict
    with pytest.raises(ValidationError):
        withdraw_consent(colleague, world.weber)
    assert not PersonPrivacy.objects.exists()


def test_colleague_cannot_set_the_basis_of_the_owners_private_contact(world, colleague, owner):
    with pytest.raises(Person.DoesNotExist):
        set_legal_basis(colleague, world.secret, "consent")
    assert set_legal_basis(owner, world.secret, "consent", now=NOW).person == world.secret


def test_missing_bases_are_filled_by_classification(world, owner, colleague, tenant):
    set_legal_basis(colleague, world.subject, "contract", now=NOW)
    Person.objects.filter(pk=world.secret.pk).update(classification="private")
    created = record_missing_legal_bases(tenant, source="Demo", now=NOW)
    assert created == Person.objects.filter(tenant=tenant).count() - 1
    bases = dict(PersonPrivacy.objects.values_list("person_id", "legal_basis"))
    assert bases[world.subject.pk] == "contract"
    assert bases[world.weber.pk] == "legitimate_interests"
    assert bases[world.secret.pk] == "consent"
    assert PersonPrivacy.objects.get(person=world.secret).consent_given_at == NOW
    assert record_missing_legal_bases(tenant) == 0
    assert not people_without_basis(owner).exists()
