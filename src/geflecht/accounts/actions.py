"""Writes on tenants and users."""

from __future__ import annotations

import copy
import threading
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from geflecht.accounts.models import TOKEN_PREFIX, ApiToken, Team, Tenant, User, hash_token


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str,
    tenant_slug: str,
    email: str = "",
    role: str = "member",
    staff: bool = False,
) -> User:
    """Create a login in the tenant ``tenant_slug``, creating the tenant on first use."""
    UserModel = get_user_model()
    if UserModel.objects.filter(username=username).exists():
        raise ValidationError(f"A user named {username!r} already exists.")
    tenant, _ = Tenant.objects.get_or_create(
        slug=slugify(tenant_slug), defaults={"name": tenant_slug}
    )
    user = UserModel(username=username, email=email, tenant=tenant, role=role, is_staff=staff)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def add_to_team(user: User, team_name: str) -> Team:
    """Put ``user`` into the team ``team_name`` of their tenant, creating the team on first use."""
    if user.tenant_id is None:
        raise ValidationError("Installation administrators belong to no tenant and no team.")
    team, _ = Team.objects.get_or_create(tenant_id=user.tenant_id, name=team_name.strip())
    user.teams.add(team)
    return team


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token for ``user``; the secret is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the tool that will use it."})
    if user.tenant_id is None:
        raise ValidationError("Only users of a tenant can have API tokens.")
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=hash_token(secret), hint=secret[:10]
    )
    return token, secret


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; other users' tokens look like missing ones."""
    try:
        token = ApiToken.objects.get(pk=token_id, user=user)
    except ApiToken.DoesNotExist:
        raise ApiToken.DoesNotExist(f"You have no API token with id {token_id}.") from None
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    _forget_token(token.key_hash)
    return token


#: Seconds a verified token is trusted without asking the database again. Revoking a
#: token takes effect at once in the process that revoked it and within this time in
#: the others; it saves one query per API request (the API's most frequent one).
TOKEN_CACHE_SECONDS = 10.0
_token_cache: dict[str, tuple[float, User]] = {}
_token_lock = threading.Lock()


def user_for_token(secret: str) -> User | None:
    """The active user a presented token belongs to, or None (unknown, revoked, inactive)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    key = hash_token(secret)
    now_mono = time.monotonic()
    cached = _token_cache.get(key)
    if cached is not None and now_mono - cached[0] < TOKEN_CACHE_SECONDS:
        # A copy per request: per-request caches set on the user must not leak across.
        return copy.copy(cached[1])
    token = (
        ApiToken.objects.select_related("user", "user__person")
        .filter(key_hash=key, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        _forget_token(key)
        return None
    now = timezone.now()
    # Writing on every request would serialise API readers on SQLite; a minute is precise
    # enough for "last used".
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    with _token_lock:
        if len(_token_cache) > 10_000:
            _token_cache.clear()
        _token_cache[key] = (now_mono, token.user)
    return copy.copy(token.user)


def _forget_token(key: str | None = None) -> None:
    with _token_lock:
        if key is None:
            _token_cache.clear()
        else:
            _token_cache.pop(key, None)
