"""geflecht createuser --person and geflecht linkperson: the answers of the web and the API."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from geflecht.accounts.models import User
from geflecht.people.models import ContactEmail, Person


@pytest.fixture
def toms_person(tenant) -> Person:
    person = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Wagner")
    ContactEmail.objects.create(person=person, email="tom.wagner@brenner.de")
    return person


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _new_login(*extra) -> str:
    return _run("createuser", "tom", "--tenant", "brenner", "--password", "x-Geflecht-2026", *extra)


def test_createuser_links_the_person_named_by_email(toms_person):
    said = _new_login("--person", "Tom.Wagner@brenner.de")
    assert f"linked to Tom Wagner (id {toms_person.pk})" in said
    assert User.objects.get(username="tom").person_id == toms_person.pk


def test_createuser_links_the_person_named_by_id(toms_person):
    _new_login("--person", str(toms_person.pk))
    assert User.objects.get(username="tom").person_id == toms_person.pk


def test_createuser_with_a_taken_person_creates_no_login(owner):
    with pytest.raises(CommandError, match="This person is already linked to another login"):
        _new_login("--person", str(owner.person_id))
    assert not User.objects.filter(username="tom").exists()


def test_createuser_cannot_name_a_colleagues_private_person(tenant, owner):
    secret = Person.objects.create(
        tenant=tenant, last_name="Geheimnis", visibility="private", owner=owner
    )
    ContactEmail.objects.create(person=secret, email="geheim@privat.de")
    with pytest.raises(CommandError) as by_id:
        _new_login("--person", str(secret.pk))
    assert str(by_id.value) == f"No person with id {secret.pk}."
    with pytest.raises(CommandError) as by_mail:
        _new_login("--person", "geheim@privat.de")
    with pytest.raises(CommandError) as unknown:
        _new_login("--person", "niemand@privat.de")
    assert str(by_mail.value) == str(unknown.value).replace("niemand", "geheim")
    assert not User.objects.filter(username="tom").exists()


def test_linkperson_links_and_unlinks_a_login(tenant, toms_person):
    User.objects.create_user(username="tom", password="x-Geflecht-2026", tenant=tenant)
    assert "tom is linked to Tom Wagner" in _run("linkperson", "tom", "tom.wagner@brenner.de")
    assert User.objects.get(username="tom").person_id == toms_person.pk
    assert "no longer linked to Tom Wagner" in _run("linkperson", "tom", "--unlink")
    assert User.objects.get(username="tom").person_id is None


def test_linkperson_by_an_admin_and_not_by_a_member(tenant, colleague, toms_person):
    User.objects.create_user(username="tom", password="x-Geflecht-2026", tenant=tenant)
    User.objects.create_user(
        username="chef", password="x-Geflecht-2026", tenant=tenant, role=User.Role.ADMIN
    )
    with pytest.raises(CommandError, match="Only the login itself or an admin"):
        _run("linkperson", "tom", str(toms_person.pk), "--by", "jana")
    _run("linkperson", "tom", str(toms_person.pk), "--by", "chef")
    assert User.objects.get(username="tom").person_id == toms_person.pk


def test_linkperson_gives_the_apis_conflict_message(owner, tenant):
    User.objects.create_user(username="tom", password="x-Geflecht-2026", tenant=tenant)
    with pytest.raises(CommandError) as refused:
        _run("linkperson", "tom", str(owner.person_id))
    assert str(refused.value) == "This person is already linked to another login."


def test_linkperson_wants_a_person_or_unlink(tenant):
    with pytest.raises(CommandError, match="either a PERSON"):
        _run("linkperson", "anna")


def test_an_address_shared_by_two_people_asks_for_the_id(tenant, toms_person):
    twin = Person.objects.create(tenant=tenant, first_name="T.", last_name="Wagner")
    ContactEmail.objects.create(person=twin, email="tom.wagner@brenner.de")
    with pytest.raises(CommandError, match="Several people have the e-mail address"):
        _new_login("--person", "tom.wagner@brenner.de")
