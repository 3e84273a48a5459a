"""Who is calling: a personal API token (Bearer) or the web session (with CSRF on writes)."""

from __future__ import annotations

import threading
import time

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from geflecht.accounts.actions import link_on_sign_in, user_for_token

#: When this process last tried to link each login without a person at its token's
#: sign-in: one try per login and ten minutes, so an unlinked sync tool does not pay the
#: e-mail lookup on every request of the API's hottest path.
_link_tried: dict[int, float] = {}
_link_lock = threading.Lock()
LINK_RETRY_SECONDS = 600


def _link_at_sign_in(user) -> None:
    """A token's request is the API's sign-in: link a login without a person to the one
    person with its e-mail address (the same step as the web login's)."""
    now = time.monotonic()
    with _link_lock:
        if now - _link_tried.get(user.pk, -LINK_RETRY_SECONDS) < LINK_RETRY_SECONDS:
            return
        if len(_link_tried) > 10_000:
            _link_tried.clear()
        _link_tried[user.pk] = now
    outcome = link_on_sign_in(user)
    if outcome.person is not None:
        user.person = outcome.person


class TokenAuth(HttpBearer):
    openapi_description = (
        "A personal API token (create one under /api/v1/tokens or with `geflecht token create`)."
    )

    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is None or user.tenant_id is None:
            return None
        if user.person_id is None:
            _link_at_sign_in(user)
        request.user = user
        return user


class TenantSessionAuth(SessionAuth):
    """The logged-in web session; installation admins without a tenant have no API data."""

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        if user is None or user.tenant_id is None:
            return None
        return user


def forget_link_tries() -> None:
    """Forget which logins were tried (tests reuse ids after rollbacks)."""
    with _link_lock:
        _link_tried.clear()
