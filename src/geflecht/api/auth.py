"""Who is calling: a personal API token (Bearer) or the web session (with CSRF on writes)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from geflecht.accounts.actions import user_for_token


class TokenAuth(HttpBearer):
    openapi_description = (
        "A personal API token (create one under /api/v1/tokens or with `geflecht token create`)."
    )

    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is None or user.tenant_id is None:
            return None
        request.user = user
        return user


class TenantSessionAuth(SessionAuth):
    """The logged-in web session; installation admins without a tenant have no API data."""

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        if user is None or user.tenant_id is None:
            return None
        return user
