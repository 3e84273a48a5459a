"""Signing in links a login without a person to the one person with its e-mail address:
at the web login (with a message on the next page) and at an API token's first request."""

from __future__ import annotations

import pytest
from django.test import Client

from geflecht.accounts.actions import create_token
from geflecht.accounts.models import User
from geflecht.api.auth import forget_link_tries
from geflecht.people.models import ContactEmail, Person

PASSWORD = "x-Geflecht-2026"


@pytest.fixture(autouse=True)
def _fresh_tries():
    forget_link_tries()
    yield
    forget_link_tries()


@pytest.fixture
def tom(tenant) -> User:
    return User.objects.create_user(
        username="tom", password=PASSWORD, tenant=tenant, email="tom.wagner@brenner.de"
    )


def _person_with(tenant, email, last_name="Wagner") -> Person:
    person = Person.objects.create(tenant=tenant, first_name="Tom", last_name=last_name)
    ContactEmail.objects.create(person=person, email=email)
    return person


def _sign_in(username):
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200 and response.wsgi_request.user.is_authenticated
    return response


def test_web_sign_in_links_the_one_match_and_says_so_on_the_next_page(tenant, tom):
    person = _person_with(tenant, "tom.wagner@brenner.de")
    page = _sign_in("tom").content.decode()
    assert User.objects.get(pk=tom.pk).person_id == person.pk
    assert "Your login is now linked to Tom Wagner" in page


def test_web_sign_in_with_several_matches_links_none_and_points_to_the_settings(tenant, tom):
    _person_with(tenant, "tom.wagner@brenner.de")
    _person_with(tenant, "tom.wagner@brenner.de", last_name="Wagner-Alt")
    page = _sign_in("tom").content.decode()
    assert User.objects.get(pk=tom.pk).person_id is None
    assert "Several people have your e-mail address" in page


def test_web_sign_in_of_a_linked_login_changes_nothing(tenant, owner):
    _person_with(tenant, "anna@brenner.de")
    owner.email = "anna@brenner.de"
    owner.save(update_fields=["email"])
    page = _sign_in("anna").content.decode()
    assert User.objects.get(pk=owner.pk).person_id == owner.person_id
    assert "now linked" not in page


def test_a_colleagues_private_person_with_the_address_is_not_linked_nor_named(tenant, owner, tom):
    private = Person.objects.create(
        tenant=tenant, last_name="Geheimnis", visibility="private", owner=owner
    )
    ContactEmail.objects.create(person=private, email="tom.wagner@brenner.de")
    page = _sign_in("tom").content.decode()
    assert User.objects.get(pk=tom.pk).person_id is None
    assert "Geheimnis" not in page and "Several" not in page


def test_an_api_tokens_first_request_links_the_one_match(tenant, tom):
    person = _person_with(tenant, "tom.wagner@brenner.de")
    _, secret = create_token(tom, "sync")
    me = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me")
    assert me.status_code == 200 and me.json()["person_id"] == person.pk
    assert User.objects.get(pk=tom.pk).person_id == person.pk


def test_an_api_token_with_several_matches_links_none(tenant, tom):
    _person_with(tenant, "tom.wagner@brenner.de")
    _person_with(tenant, "tom.wagner@brenner.de", last_name="Wagner-Alt")
    _, secret = create_token(tom, "sync")
    me = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me")
    assert me.status_code == 200 and me.json()["person_id"] is None
