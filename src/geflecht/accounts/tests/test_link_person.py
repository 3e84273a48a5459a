"""A login linked to its own person: who may link whom, privacy, races, the e-mail match."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from geflecht.accounts.actions import (
    link_on_sign_in,
    link_person,
    suggest_person_for,
    unlink_person,
)
from geflecht.accounts.models import User
from geflecht.lib.errors import Conflict, Invalid, NotAllowed, NotFound
from geflecht.people.models import ContactEmail, Person


def _login(tenant, username, **fields) -> User:
    return User.objects.create_user(
        username=username, password="x-Geflecht-2026", tenant=tenant, **fields
    )


@pytest.fixture
def tom(tenant) -> User:
    """A new colleague whose login has no person yet."""
    return _login(tenant, "tom", email="tom.wagner@brenner.de")


@pytest.fixture
def toms_person(tenant) -> Person:
    person = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Wagner")
    ContactEmail.objects.create(person=person, email="tom.wagner@brenner.de")
    return person


@pytest.fixture
def admin(tenant) -> User:
    return _login(tenant, "chef", role=User.Role.ADMIN)


def test_a_user_links_their_own_login_to_their_person(tom, toms_person):
    assert link_person(tom, tom, toms_person) == toms_person
    assert User.objects.get(pk=tom.pk).person_id == toms_person.pk


def test_a_user_changes_and_unlinks_their_person(tenant, tom, toms_person):
    link_person(tom, tom, toms_person)
    other = Person.objects.create(tenant=tenant, first_name="Thomas", last_name="Wagner")
    link_person(tom, tom, other.pk)
    assert User.objects.get(pk=tom.pk).person_id == other.pk
    assert unlink_person(tom, tom) == other
    assert User.objects.get(pk=tom.pk).person_id is None
    assert unlink_person(tom, tom) is None


def test_a_tenant_admin_links_any_login_of_the_company(admin, tom, toms_person):
    link_person(admin, tom, toms_person)
    assert User.objects.get(pk=tom.pk).person_id == toms_person.pk
    unlink_person(admin, tom)
    assert User.objects.get(pk=tom.pk).person_id is None


def test_a_member_cannot_link_a_colleagues_login(colleague, tom, toms_person):
    with pytest.raises(NotAllowed):
        link_person(colleague, tom, toms_person)
    with pytest.raises(NotAllowed):
        unlink_person(colleague, tom)
    assert User.objects.get(pk=tom.pk).person_id is None


def test_an_admin_of_another_company_cannot_link_a_login(other_tenant, tom, toms_person):
    stranger = _login(other_tenant, "fremd", role=User.Role.ADMIN)
    with pytest.raises(NotAllowed):
        link_person(stranger, tom, toms_person)


def test_a_person_of_another_company_looks_like_a_missing_one(other_tenant, tom):
    elsewhere = Person.objects.create(tenant=other_tenant, last_name="Fremd")
    with pytest.raises(NotFound) as hidden:
        link_person(tom, tom, elsewhere)
    with pytest.raises(NotFound) as missing:
        link_person(tom, tom, 999_999)
    assert str(hidden.value) == str(missing.value).replace("999999", str(elsewhere.pk))


def test_a_colleagues_private_person_cannot_be_linked_nor_learnt_of(tenant, owner, tom):
    secret = Person.objects.create(
        tenant=tenant, last_name="Geheim", visibility="private", owner=owner
    )
    with pytest.raises(NotFound) as hidden:
        link_person(tom, tom, secret)
    with pytest.raises(NotFound) as missing:
        link_person(tom, tom, 999_999)
    assert str(hidden.value) == str(missing.value).replace("999999", str(secret.pk))
    assert "Geheim" not in str(hidden.value)
    assert User.objects.get(pk=tom.pk).person_id is None


def test_an_admin_cannot_give_a_login_the_admins_own_private_person(tenant, admin, tom):
    mine = Person.objects.create(
        tenant=tenant, last_name="Privat", visibility="private", owner=admin
    )
    with pytest.raises(Invalid):
        link_person(admin, tom, mine)
    assert User.objects.get(pk=tom.pk).person_id is None


def test_a_user_may_link_their_own_private_person(tenant, tom):
    mine = Person.objects.create(tenant=tenant, last_name="Wagner", visibility="private", owner=tom)
    link_person(tom, tom, mine)
    assert User.objects.get(pk=tom.pk).person_id == mine.pk


def test_a_person_linked_to_another_login_is_a_conflict_that_names_nobody(owner, tom):
    with pytest.raises(Conflict) as refused:
        link_person(tom, tom, owner.person)
    assert "anna" not in str(refused.value) and "Schmidt" not in str(refused.value)
    assert User.objects.get(pk=owner.pk).person_id == owner.person_id
    assert User.objects.get(pk=tom.pk).person_id is None


def test_linking_the_same_person_again_changes_nothing(owner):
    assert link_person(owner, owner, owner.person) == owner.person


def test_an_installation_admin_without_company_links_nothing(tom, toms_person):
    root = User.objects.create_superuser(username="root", password="x-Geflecht-2026")
    with pytest.raises(NotAllowed):
        link_person(root, root, toms_person)


@pytest.mark.django_db(transaction=True)
def test_two_logins_racing_for_one_person_one_wins_one_gets_conflict(tenant):
    person = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Wagner")
    racers = [_login(tenant, "tom1"), _login(tenant, "tom2")]
    results: list[str] = []
    start = threading.Barrier(2)

    def race(user):
        try:
            start.wait()
            link_person(user, user, person.pk)
            results.append("linked")
        except Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(u,)) for u in racers]
    # SQLite in tests locks the whole database across threads, so the two run one after
    # the other there (still one wins); PostgreSQL runs them at once and the lock decides.
    if connection.vendor == "sqlite":
        start = threading.Barrier(1)
        for t in threads:
            t.start()
            t.join()
    else:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == ["conflict", "linked"]
    assert User.objects.filter(person=person).count() == 1


# ---------------------------------------------------------------- matching by e-mail
def test_the_one_unlinked_shared_person_with_the_logins_address_is_suggested(tom, toms_person):
    assert suggest_person_for(tom) == toms_person


def test_the_address_matches_whatever_its_case(tenant, toms_person):
    shouting = _login(tenant, "tom-gross", email="Tom.Wagner@Brenner.DE")
    assert suggest_person_for(shouting) == toms_person


def test_two_people_with_the_address_suggest_nobody(tenant, tom, toms_person):
    twin = Person.objects.create(tenant=tenant, first_name="T.", last_name="Wagner")
    ContactEmail.objects.create(person=twin, email="tom.wagner@brenner.de")
    assert suggest_person_for(tom) is None


def test_a_private_or_linked_person_with_the_address_is_never_suggested(tenant, owner, tom):
    private = Person.objects.create(
        tenant=tenant, last_name="Wagner", visibility="private", owner=owner
    )
    ContactEmail.objects.create(person=private, email="tom.wagner@brenner.de")
    assert suggest_person_for(tom) is None
    ContactEmail.objects.create(person=owner.person, email="tom@brenner.de")
    assert suggest_person_for(_login(tenant, "tom-b", email="tom@brenner.de")) is None


def test_no_address_suggests_nobody(tenant, toms_person):
    assert suggest_person_for(_login(tenant, "ohne")) is None


def test_a_person_of_another_company_is_never_suggested(other_tenant, toms_person):
    assert suggest_person_for(_login(other_tenant, "tom-x", email="tom.wagner@brenner.de")) is None


def test_sign_in_links_the_one_match_and_only_once(tom, toms_person):
    outcome = link_on_sign_in(tom)
    assert outcome.person == toms_person and outcome.choices == 0
    assert User.objects.get(pk=tom.pk).person_id == toms_person.pk
    again = link_on_sign_in(User.objects.get(pk=tom.pk))
    assert again.person is None


def test_sign_in_with_several_matches_links_none_and_says_so(tenant, tom, toms_person):
    twin = Person.objects.create(tenant=tenant, first_name="T.", last_name="Wagner")
    ContactEmail.objects.create(person=twin, email="tom.wagner@brenner.de")
    outcome = link_on_sign_in(tom)
    assert outcome.person is None and outcome.choices == 2
    assert User.objects.get(pk=tom.pk).person_id is None


def test_a_read_only_user_cannot_link_themselves_but_an_admin_can(tenant, admin, toms_person):
    reader = _login(tenant, "leser", role=User.Role.READ_ONLY)
    with pytest.raises(NotAllowed, match="read-only"):
        link_person(reader, reader, toms_person)
    with pytest.raises(NotAllowed, match="read-only"):
        unlink_person(reader, reader)
    link_person(admin, reader, toms_person)
    assert User.objects.get(pk=reader.pk).person_id == toms_person.pk


def test_the_sign_in_match_links_a_read_only_login_too(tenant, toms_person):
    reader = _login(tenant, "leser", role=User.Role.READ_ONLY, email="tom.wagner@brenner.de")
    assert link_on_sign_in(reader).person == toms_person
