"""Writes on tenants and users."""

from __future__ import annotations

import copy
import threading
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from geflecht.accounts.models import TOKEN_PREFIX, ApiToken, Team, Tenant, User, hash_token
from geflecht.lib.visibility import can_see


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


#: What an admin of the company sets on a login; the installation's superusers also
#: set the rights that reach beyond one tenant.
_USER_FIELDS = {
    "username", "first_name", "last_name", "email", "is_active", "is_staff", "person",
    "role", "last_login", "date_joined",
}  # fmt: skip
_INSTALLATION_FIELDS = {"tenant", "is_superuser"}
_USER_SETS = {"teams"}
_INSTALLATION_SETS = {"groups", "user_permissions"}


def _may_manage(acting: User, tenant_id: int | None, fields=()) -> None:
    """An admin of the company manages its logins; only the installation's superusers
    move a login to another company or give rights beyond one."""
    if acting.is_superuser:
        return
    if not (acting.is_tenant_admin and acting.can_write and acting.tenant_id == tenant_id):
        raise PermissionDenied(_("Only an admin of their company may manage its users."))
    if beyond := sorted(set(fields) & (_INSTALLATION_FIELDS | _INSTALLATION_SETS)):
        raise PermissionDenied(
            _("Only an installation administrator may set %(f)s.") % {"f": ", ".join(beyond)}
        )


def _check_user_fields(fields: dict) -> None:
    allowed = _USER_FIELDS | _INSTALLATION_FIELDS | _USER_SETS | _INSTALLATION_SETS
    if unknown := set(fields) - allowed:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})


def _check_links(acting: User, tenant_id: int | None, fields: dict) -> None:
    person = fields.get("person")
    if person is not None and (person.tenant_id != tenant_id or not can_see(acting, person)):
        raise ValidationError({"person": _("This person does not exist.")})
    teams = fields.get("teams") or ()
    if any(team.tenant_id != tenant_id for team in teams):
        raise ValidationError({"teams": _("A user joins only teams of their own company.")})


def _set_many(user: User, fields: dict) -> None:
    for name in (_USER_SETS | _INSTALLATION_SETS) & set(fields):
        getattr(user, name).set(fields[name])


@transaction.atomic
def add_user(
    acting: User, *, username: str, password: str | None, tenant: Tenant | None = None, **fields
) -> User:
    """A new login in the acting admin's company (an installation superuser may name
    another). ``password`` None leaves it without one (it cannot log in until set)."""
    tenant_id = tenant.pk if tenant is not None else acting.tenant_id
    _may_manage(acting, tenant_id, [name for name, value in fields.items() if value])
    _check_user_fields(fields)
    _check_links(acting, tenant_id, fields)
    plain = {k: v for k, v in fields.items() if k not in _USER_SETS | _INSTALLATION_SETS}
    user = User(username=username, tenant_id=tenant_id, **plain)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    _set_many(user, fields)
    return user


@transaction.atomic
def update_user(acting: User, user: User, **fields) -> User:
    """Change a login: names, e-mail, role, staff access, being active, the person it is
    in the network, teams (an installation superuser also its company and rights).

    An admin of the company manages its logins, except a superuser's; nobody takes
    their own admin rights or access away (another admin does: no company is left
    without one by a slip)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    _may_manage(acting, locked.tenant_id, fields)
    if locked.is_superuser and not acting.is_superuser:
        raise PermissionDenied(_("Only an installation administrator may change this login."))
    _check_user_fields(fields)
    if locked.pk == acting.pk and (
        fields.get("role", locked.role) != locked.role
        or fields.get("is_active", True) is False
        or fields.get("is_staff", locked.is_staff) != locked.is_staff
    ):
        raise PermissionDenied(_("You cannot take your own rights away; another admin can."))
    tenant = fields.get("tenant", locked.tenant)
    _check_links(acting, getattr(tenant, "pk", None), fields)
    plain = {k: v for k, v in fields.items() if k not in _USER_SETS | _INSTALLATION_SETS}
    for name, value in plain.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["password"])
    if plain:
        locked.save(update_fields=list(plain))
    _set_many(locked, fields)
    return locked


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


#: Verified users by token hash, with the fields their rights depend on and when this
#: process last stamped the token's "last used". Only a shortcut past loading the user:
#: every request still asks the database whether the token is valid (see below).
_token_cache: dict[str, tuple[tuple, User, float]] = {}
_token_lock = threading.Lock()


def _token_state(key: str) -> tuple | None:
    """(user id, role, tenant, person, staff, superuser) of a valid token, else None.

    One query on the unique ``key_hash`` index, written as SQL: the ORM would spend
    about ten times as long building it as the database takes to answer, on the API's
    most frequent query.
    """
    tokens = connection.ops.quote_name(ApiToken._meta.db_table)
    users = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.id, u.role, u.tenant_id, u.person_id, u.is_staff, u.is_superuser "
            f"FROM {tokens} t JOIN {users} u ON u.id = t.user_id "
            "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND u.is_active = %s",
            [key, True],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]))


def user_for_token(secret: str) -> User | None:
    """The active user a presented token belongs to, or None (unknown, revoked, inactive).

    Every call asks the database (one indexed query), so a token revoked, or a user
    deactivated, moved or made read-only, in any process counts from the next request
    on. The user object itself comes from a per-process cache while the fields their
    rights depend on are unchanged.
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    key = hash_token(secret)
    state = _token_state(key)
    if state is None:
        _forget_token(key)
        return None
    now_mono = time.monotonic()
    cached = _token_cache.get(key)
    if cached is not None and cached[0] == state:
        _, user, stamped = cached
        if now_mono - stamped > 60:
            ApiToken.objects.filter(key_hash=key).update(last_used_at=timezone.now())
            stamped = now_mono
    else:
        token = ApiToken.objects.select_related("user", "user__person").filter(key_hash=key).first()
        if token is None:
            return None
        user, stamped = token.user, now_mono
        now = timezone.now()
        # Writing on every request would serialise API readers on SQLite; a minute is
        # precise enough for "last used".
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    with _token_lock:
        if len(_token_cache) > 10_000:
            _token_cache.clear()
        _token_cache[key] = (state, user, stamped)
    # A copy per request: per-request caches set on the user must not leak across.
    return copy.copy(user)


def _forget_token(key: str | None = None) -> None:
    with _token_lock:
        if key is None:
            _token_cache.clear()
        else:
            _token_cache.pop(key, None)


# ------------------------------------------------------------------ removing a user
