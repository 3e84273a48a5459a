"""The login page, the home page and the admin over the demo data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from geflecht.accounts.models import User
from geflecht.people.models import Person


def test_login_page_is_served_with_its_stylesheet(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"/static/web/geflecht.css" in response.content
    css = client.get("/static/web/geflecht.css")
    assert css.status_code == 200


def test_home_requires_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_with_demo_credentials_shows_the_network(client, demo):
    username, password = demo.logins[0]
    response = client.post(
        reverse("login"), {"username": username, "password": password}, follow=True
    )
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("home")
    overview = client.get(reverse("dashboard_overview")).context["overview"]
    everyone = Person.objects.filter(tenant=demo.tenant)
    jana_private = everyone.filter(visibility="private", owner__username="jana@web")
    assert jana_private.exists()
    assert overview.people == everyone.count() - jana_private.count()
    assert overview.relationships > 1000


def test_wrong_password_gets_a_message_not_an_error(client, demo):
    response = client.post(reverse("login"), {"username": "anna@web", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_home_counts_only_what_the_user_may_see(client, demo):
    anna = User.objects.get(username="anna@web")
    jana = User.objects.get(username="jana@web")
    client.force_login(jana)
    seen_by_jana = client.get(reverse("dashboard_overview")).context["overview"].people
    assert seen_by_jana == Person.objects.filter(tenant=demo.tenant).exclude(owner=anna).count()


@pytest.mark.parametrize(
    "model", ["person", "organization", "site", "position", "relationship", "interaction"]
)
def test_admin_lists_the_demo_network_without_n_plus_one(
    client, demo, model, django_assert_max_num_queries
):
    app = {"person": "people", "organization": "people", "site": "people", "position": "people"}
    client.force_login(User.objects.get(username="anna@web"))
    url = reverse(f"admin:{app.get(model, 'network')}_{model}_changelist")
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


def test_admin_shows_a_field_message_for_an_invalid_phone(client, demo):
    client.force_login(User.objects.get(username="anna@web"))
    person = Person.objects.filter(tenant=demo.tenant, visibility="company").first()
    url = reverse("admin:people_person_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("tags",)}
    data.update(
        {
            "tenant": demo.tenant.pk,
            "tags": "[]",
            "emails-TOTAL_FORMS": "0",
            "emails-INITIAL_FORMS": "0",
            "phones-TOTAL_FORMS": "1",
            "phones-INITIAL_FORMS": "0",
            "phones-0-number": "12",
            "phones-0-label": "mobil",
            "positions-TOTAL_FORMS": "0",
            "positions-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200  # the form comes back, nothing saved
    errors = response.context["inline_admin_formsets"][1].formset.errors
    assert "number" in errors[0]
    assert not person.phones.filter(number="12").exists()
