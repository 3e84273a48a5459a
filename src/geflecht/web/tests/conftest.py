"""Fixtures of the web tests: the demo network with Anna's private address book."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import transaction

from geflecht.accounts.models import User
from geflecht.demo.generator import DemoOptions, generate_demo
from geflecht.people import queries
from geflecht.people.models import Person


@pytest.fixture(autouse=True)
def _fresh_caches():
    """The search index and the page caches live in the process; tests reuse ids after
    rollbacks, so each test starts with empty ones."""
    queries.forget_search_index()
    cache.clear()
    yield
    queries.forget_search_index()
    cache.clear()


@pytest.fixture(scope="module")
def _module_demo(django_db_setup, django_db_blocker):
    """The demo network, generated once per test module inside an outer transaction that
    is rolled back at the module's end. Each test runs in a savepoint within it (as
    Django's ``TestCase.setUpTestData`` does), so what a test writes is gone for the next
    one, and 150 people are generated once per module instead of once per test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield generate_demo(
            DemoOptions(
                people=150, seed=11, now=datetime(2026, 11, 1, tzinfo=UTC), tenant_slug="web"
            )
        )
        transaction.set_rollback(True)


@pytest.fixture
def demo(_module_demo, db):
    return _module_demo


@pytest.fixture
def anna(demo) -> User:
    return User.objects.get(username="anna@web")


@pytest.fixture
def jana(demo) -> User:
    return User.objects.get(username="jana@web")


@pytest.fixture
def annas_private(anna) -> list[Person]:
    """Anna's private friends and family: nobody else may ever see them."""
    people = list(Person.objects.filter(owner=anna, visibility="private"))
    assert people
    return people
