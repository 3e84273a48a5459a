"""Model rules: field-level validation messages, and database constraints that hold even
when validation is bypassed."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from geflecht.people.models import (
    ContactEmail,
    ContactPhone,
    Organization,
    Person,
    Position,
    Site,
    normalize_phone,
)


def violates(fn) -> bool:
    """True when the database rejects the write (inside a savepoint, so the test goes on)."""
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0731 / 123 45-0", "+49731123450"),
        ("+49 (0)711 987654", "+49711987654"),
        ("0151 23456789", "+4915123456789"),
        ("+43 664 1234567", "+436641234567"),
        ("0041 44 668 18 00", "+41446681800"),
    ],
)
def test_phone_numbers_are_normalised_to_e164_with_german_default(raw, e164):
    assert normalize_phone(raw) == e164


def test_invalid_phone_gets_a_field_message(tenant):
    person = Person.objects.create(tenant=tenant, last_name="Müller")
    phone = ContactPhone(person=person, number="12")
    with pytest.raises(ValidationError) as exc:
        phone.full_clean()
    assert "number" in exc.value.message_dict
    assert "12" in exc.value.message_dict["number"][0]


def test_phone_clean_stores_e164(tenant):
    person = Person.objects.create(tenant=tenant, last_name="Müller")
    phone = ContactPhone(person=person, number="07071 12345")
    phone.full_clean()
    assert phone.number == "+49707112345"


def test_invalid_email_gets_a_field_message(tenant):
    person = Person.objects.create(tenant=tenant, last_name="Weber")
    with pytest.raises(ValidationError) as exc:
        ContactEmail(person=person, email="klaus.weber(at)acme.de").full_clean()
    assert list(exc.value.message_dict) == ["email"]


def test_email_is_lowercased(tenant):
    person = Person.objects.create(tenant=tenant, last_name="Weber")
    email = ContactEmail(person=person, email="Klaus.Weber@ACME.de")
    email.full_clean()
    assert email.email == "klaus.weber@acme.de"


def test_umlauts_are_kept_in_names(tenant):
    person = Person.objects.create(
        tenant=tenant, title="Dr.", first_name="Jürgen", last_name="Groß"
    )
    person.refresh_from_db()
    assert person.full_name == "Dr. Jürgen Groß"


def test_position_cannot_end_before_it_starts(tenant):
    person = Person.objects.create(tenant=tenant, last_name="Bauer")
    org = Organization.objects.create(tenant=tenant, name="ACME", kind="customer")
    position = Position(
        tenant=tenant,
        person=person,
        organization=org,
        start_date=date(2024, 5, 1),
        end_date=date(2023, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        position.full_clean()
    assert "end_date" in exc.value.message_dict
    assert violates(position.save)


def test_buying_role_only_at_customers_and_prospects(tenant):
    person = Person.objects.create(tenant=tenant, last_name="Bauer")
    supplier = Organization.objects.create(tenant=tenant, name="Stahl KG", kind="supplier")
    position = Position(tenant=tenant, person=person, organization=supplier, buying_role="champion")
    with pytest.raises(ValidationError) as exc:
        position.full_clean()
    assert "buying_role" in exc.value.message_dict
    customer = Organization.objects.create(tenant=tenant, name="ACME", kind="customer")
    Position(
        tenant=tenant, person=person, organization=customer, buying_role="champion"
    ).full_clean()


def test_position_site_must_belong_to_the_organisation(tenant):
    person = Person.objects.create(tenant=tenant, last_name="Bauer")
    acme = Organization.objects.create(tenant=tenant, name="ACME", kind="customer")
    other = Organization.objects.create(tenant=tenant, name="Other", kind="customer")
    site = Site.objects.create(tenant=tenant, organization=other, name="Werk Ulm", city="Ulm")
    with pytest.raises(ValidationError) as exc:
        Position(tenant=tenant, person=person, organization=acme, site=site).full_clean()
    assert "site" in exc.value.message_dict


def test_site_coordinates_are_validated_and_constrained(tenant):
    org = Organization.objects.create(tenant=tenant, name="ACME", kind="customer")
    site = Site(
        tenant=tenant, organization=org, name="Nord", city="Ulm", latitude=95.0, longitude=10
    )
    with pytest.raises(ValidationError) as exc:
        site.full_clean()
    assert "latitude" in exc.value.message_dict
    assert violates(site.save)
    half = Site(tenant=tenant, organization=org, name="Süd", city="Ulm", latitude=48.4)
    with pytest.raises(ValidationError):
        half.full_clean()
    assert violates(half.save)


def test_private_person_needs_an_owner(tenant):
    person = Person(tenant=tenant, last_name="Vogel", visibility="private")
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    assert "owner" in exc.value.message_dict
    assert violates(person.save)


def test_database_rejects_invalid_contact_rows_without_validation(tenant):
    person = Person.objects.create(tenant=tenant, last_name="Koch")
    assert violates(lambda: ContactEmail.objects.create(person=person, email="no-at-sign"))
    assert violates(lambda: ContactPhone.objects.create(person=person, number="0731 1234"))
    assert violates(lambda: Person.objects.create(tenant=tenant, last_name=""))
    ContactEmail.objects.create(person=person, email="koch@example.de")
    assert violates(lambda: ContactEmail.objects.create(person=person, email="koch@example.de"))


def test_size_band_follows_eu_sme_classes(tenant):
    assert Organization(tenant=tenant, name="x", employees=9).size_band == "micro"
    assert Organization(tenant=tenant, name="x", employees=180).size_band == "medium-sized"
    assert Organization(tenant=tenant, name="x", employees=None).size_band == ""
