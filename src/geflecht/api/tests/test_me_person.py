"""GET/PUT/DELETE /api/v1/me/person: the same rules and messages as the settings page."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from geflecht.accounts.models import User
from geflecht.api.tests.conftest import Api
from geflecht.people.models import ContactEmail, Person

URL = "/api/v1/me/person"


@pytest.fixture
def tom(tenant) -> User:
    return User.objects.create_user(
        username="tom", password="x-Geflecht-2026", tenant=tenant, email="tom.wagner@brenner.de"
    )


@pytest.fixture
def toms_person(tenant) -> Person:
    person = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Wagner")
    ContactEmail.objects.create(person=person, email="tom.wagner@brenner.de")
    return person


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_get_shows_the_linked_person(owner):
    got = Api(owner).get(URL)
    assert got.status_code == 200
    assert got.json() == {
        "person_id": owner.person_id,
        "name": "Anna Schmidt",
        "suggested_person_id": None,
    }


def test_an_unlinked_web_session_sees_its_match(tom, toms_person):
    got = _web(tom).get(URL).json()
    assert got["person_id"] is None and got["suggested_person_id"] == toms_person.pk


def test_a_tokens_first_request_links_the_match_by_itself(tom, toms_person):
    assert Api(tom).get(URL).json()["person_id"] == toms_person.pk


def test_put_links_a_chosen_person(tenant, tom):
    other = Person.objects.create(tenant=tenant, first_name="Thomas", last_name="Wagner")
    api = Api(tom)
    put = api.put(URL, {"person_id": other.pk})
    assert put.status_code == 200
    assert put.json() == {
        "person_id": other.pk,
        "name": "Thomas Wagner",
        "suggested_person_id": None,
    }
    assert User.objects.get(pk=tom.pk).person_id == other.pk
    assert api.get("/api/v1/me").json()["person_id"] == other.pk


def test_delete_unlinks(owner):
    api = Api(owner)
    gone = api.delete(URL)
    assert gone.status_code == 200 and gone.json()["person_id"] is None
    assert User.objects.get(pk=owner.pk).person_id is None


def test_a_colleagues_private_person_answers_like_a_missing_one_on_api_and_web(tenant, owner, tom):
    secret = Person.objects.create(
        tenant=tenant, last_name="Geheimnis", visibility="private", owner=owner
    )
    api = Api(tom)
    hidden = api.put(URL, {"person_id": secret.pk})
    missing = api.put(URL, {"person_id": 999_999})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["message"] == f"No person with id {secret.pk}."
    assert missing.json()["message"] == "No person with id 999999."
    assert "Geheimnis" not in hidden.content.decode()
    web = _web(tom).post("/settings/person/", {"person": secret.pk})
    assert web.status_code == 404 and hidden.json()["message"] in web.content.decode()


def test_a_person_of_another_login_is_409_with_the_web_pages_message(owner, tom):
    refused = Api(tom).put(URL, {"person_id": owner.person_id})
    assert refused.status_code == 409
    assert refused.json()["message"] == "This person is already linked to another login."
    web = _web(tom).post("/settings/person/", {"person": owner.person_id})
    assert web.status_code == 409 and refused.json()["message"] in web.content.decode()


def test_a_bad_body_is_a_clear_422(tom):
    refused = Api(tom).put(URL, {"person_id": "zwei"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "person_id"


def test_without_a_token_the_answer_is_401(db):
    assert Client().get(URL).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_two_logins_racing_through_the_api_one_wins_one_gets_409(tenant):
    person = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Wagner")
    apis = [
        Api(User.objects.create_user(username=n, password="x-Geflecht-2026", tenant=tenant))
        for n in ("tom1", "tom2")
    ]
    statuses: list[int] = []

    def claim(api):
        statuses.append(api.put(URL, {"person_id": person.pk}).status_code)
        connection.close()

    threads = [threading.Thread(target=claim, args=(a,)) for a in apis]
    for t in threads:
        t.start()
        if connection.vendor == "sqlite":
            t.join()  # SQLite's test database serialises threads anyway
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]
    assert User.objects.filter(person=person).count() == 1
