"""API tokens: a revoked token (or a deactivated or demoted user) counts on the next
request in every process, at the cost of one indexed query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from geflecht.accounts.actions import create_token, user_for_token
from geflecht.accounts.models import ApiToken, User


def _api(secret):
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_token_revoked_by_another_process_is_refused_on_the_next_request(owner):
    token, secret = create_token(owner, "sync")
    client = _api(secret)
    assert client.get("/api/v1/me").status_code == 200
    # Another worker revokes it: this process's memory is not told.
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert client.get("/api/v1/me").status_code == 401
    assert user_for_token(secret) is None


def test_user_deactivated_elsewhere_loses_api_access_on_the_next_request(owner):
    _, secret = create_token(owner, "sync")
    assert user_for_token(secret) is not None
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert user_for_token(secret) is None


def test_user_made_read_only_elsewhere_cannot_write_on_the_next_request(owner):
    _, secret = create_token(owner, "sync")
    assert user_for_token(secret).can_write
    User.objects.filter(pk=owner.pk).update(role=User.Role.READ_ONLY)
    assert not user_for_token(secret).can_write


@pytest.mark.django_db
def test_checking_a_token_costs_one_query(owner):
    _, secret = create_token(owner, "sync")
    user_for_token(secret)  # the first use also stamps last_used_at
    with CaptureQueriesContext(connection) as queries:
        user = user_for_token(secret)
    assert user is not None and user.pk == owner.pk
    assert len(queries) == 1
    assert user.person.full_name == "Anna Schmidt"  # loaded with it, no second query
