"""The settings page: who the login is, and linking it to its own person."""

from __future__ import annotations

import pytest
from django.test import Client

from geflecht.accounts.models import User
from geflecht.people.models import ContactEmail, Person

PASSWORD = "x-Geflecht-2026"


@pytest.fixture
def tom(tenant) -> User:
    return User.objects.create_user(
        username="tom", password=PASSWORD, tenant=tenant, email="tom.wagner@brenner.de"
    )


@pytest.fixture
def toms_person(tenant) -> Person:
    person = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Wagner")
    ContactEmail.objects.create(person=person, email="tom.wagner@brenner.de")
    return person


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_settings_page_shows_the_login_and_its_person(owner):
    page = _client(owner).get("/settings/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "anna" in html and f'href="/people/{owner.person_id}/"' in html
    assert "Anna Schmidt" in html and 'href="/password/"' in html
    assert 'aria-current="page">Profile' in html


def test_every_page_has_a_settings_link_in_the_user_menu(owner):
    assert 'href="/settings/"' in _client(owner).get("/").content.decode()


def test_the_settings_page_in_german(owner):
    client = _client(owner)
    client.cookies["django_language"] = "de"
    html = client.get("/settings/", headers={"Accept-Language": "de"}).content.decode()
    assert "Einstellungen" in html and "Profil" in html


def test_anonymous_visitors_are_sent_to_the_login(db):
    page = Client().get("/settings/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")


def test_an_unlinked_login_is_offered_its_match_and_links_it(tom, toms_person):
    client = _client(tom)
    html = client.get("/settings/").content.decode()
    assert "not linked to a person yet" in html and "Tom Wagner has your e-mail address" in html
    done = client.post("/settings/person/", {"person": toms_person.pk}, follow=True)
    assert done.status_code == 200
    assert User.objects.get(pk=tom.pk).person_id == toms_person.pk
    assert "Your login is now linked to Tom Wagner." in done.content.decode()


def test_unlink_takes_the_person_off(owner):
    client = _client(owner)
    done = client.post("/settings/person/", {"action": "unlink"}, follow=True)
    assert User.objects.get(pk=owner.pk).person_id is None
    assert "no longer linked to Anna Schmidt" in done.content.decode()


def test_a_colleagues_private_person_reads_like_a_missing_one(tenant, owner, tom):
    secret = Person.objects.create(
        tenant=tenant, last_name="Geheimnis", visibility="private", owner=owner
    )
    client = _client(tom)
    hidden = client.post("/settings/person/", {"person": secret.pk})
    missing = client.post("/settings/person/", {"person": 999_999})
    assert hidden.status_code == missing.status_code == 404
    assert f"No person with id {secret.pk}." in hidden.content.decode()
    assert "Geheimnis" not in hidden.content.decode()
    assert User.objects.get(pk=tom.pk).person_id is None


def test_a_person_linked_to_another_login_is_a_conflict(owner, tom):
    refused = _client(tom).post("/settings/person/", {"person": owner.person_id})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "This person is already linked to another login." in html
    assert "Anna Schmidt" not in html.split("settings-error")[1].split("</p>")[0]


def test_no_choice_is_a_clear_error(tom):
    refused = _client(tom).post("/settings/person/", {"person": ""})
    assert refused.status_code == 422
    assert "Choose a person from the list." in refused.content.decode()


def test_the_person_search_lists_only_visible_unlinked_people(tenant, owner, tom, toms_person):
    Person.objects.create(tenant=tenant, last_name="Wagner", visibility="private", owner=owner)
    linked = Person.objects.create(tenant=tenant, first_name="Tim", last_name="Wagner")
    User.objects.create_user(username="tim", password=PASSWORD, tenant=tenant, person=linked)
    html = _client(tom).get("/settings/person/suggest/", {"q": "Wagner"}).content.decode()
    assert f'data-id="{toms_person.pk}"' in html and 'data-pick="target"' in html
    assert f'data-id="{linked.pk}"' not in html
    assert html.count("data-id=") == 1


def test_the_settings_answer_only_get_and_post(owner):
    assert _client(owner).post("/settings/").status_code == 405
    assert _client(owner).get("/settings/person/").status_code == 405


def test_the_demos_unlinked_login_is_linked_at_its_first_sign_in(demo):
    password = dict(demo.logins)["tom@web"]
    client = Client()
    page = client.post("/login/", {"username": "tom@web", "password": password}, follow=True)
    tom = User.objects.select_related("person").get(username="tom@web")
    assert tom.person is not None
    assert f"Your login is now linked to {tom.person.full_name}" in page.content.decode()
    settings_page = client.get("/settings/").content.decode()
    assert f'href="/people/{tom.person_id}/"' in settings_page
