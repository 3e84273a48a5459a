"""Writes on tenants and users."""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from geflecht.accounts.models import TOKEN_PREFIX, ApiToken, Team, Tenant, User, hash_token
from geflecht.lib.errors import Conflict, Invalid, NotAllowed, NotFound
from geflecht.lib.models import Visibility
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


# ------------------------------------------------------------------ a login's own person
# accounts sits below people (import-linter's layers), so the person model is reached
# through the login's own relation to it, never imported.
def _person_model() -> Any:
    return User._meta.get_field("person").related_model


def _may_link(actor: User, user: User, *, at_sign_in: bool = False) -> None:
    """A user links their own login; an admin of the company links any of its logins.
    A read-only user changes nothing through a door, this link included (an admin links
    them); only the sign-in's own match by e-mail links a read-only login."""
    if actor.tenant_id is None or user.tenant_id is None:
        raise NotAllowed(_("This login belongs to no company."))
    if not at_sign_in and not actor.can_write:
        # NotAllowed, the message of lib.visibility.require_writer, so every door maps it.
        raise NotAllowed(_("Your account is read-only."))
    if actor.pk == user.pk:
        return
    if not (actor.is_tenant_admin and actor.can_write and actor.tenant_id == user.tenant_id):
        raise NotAllowed(
            _("Only the login itself or an admin of its company may link it to a person.")
        )


def link_person(actor: User, user: User, person: Model | int) -> Model:
    """Make ``person`` (an instance or its id) the person ``user``'s login is in the
    network, and return it.

    The person must be one ``actor`` may see (else NotFound, the same as a missing id)
    in the login's company, one ``user`` may see too (not private to somebody else:
    Invalid), and not the person of another login (Conflict, naming nobody). Linking the
    person a login already has changes nothing.
    """
    return _link_person(actor, user, person)


@transaction.atomic
def _link_person(
    actor: User, user: User, person: Model | int, *, at_sign_in: bool = False
) -> Model:
    _may_link(actor, user, at_sign_in=at_sign_in)
    person_id = person.pk if isinstance(person, Model) else int(person)
    # The person's row is locked first: two logins racing for one person queue here, and
    # the second sees the first's link once it commits (the unique column is the net).
    found = (
        _person_model()
        .objects.visible_to(actor)
        .filter(pk=person_id, tenant_id=user.tenant_id)
        .select_for_update()
        .first()
    )
    if found is None:
        raise NotFound(_("No person with id %(id)s.") % {"id": person_id})
    if not can_see(user, found):
        raise Invalid(
            {
                "person": _(
                    "%(user)s may not see %(name)s, so it cannot be their person; share "
                    "it with the company first."
                )
                % {"user": user.username, "name": found.full_name}
            }
        )
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.person_id == found.pk:
        return found
    if User.objects.filter(person_id=found.pk).exclude(pk=locked.pk).exists():
        raise Conflict(_("This person is already linked to another login."))
    locked.person_id = found.pk
    try:
        with transaction.atomic():
            locked.save(update_fields=["person"])
    except IntegrityError:
        # Another login took the person between the check and the write (SQLite, which
        # has no row locks, or a person locked by no one): the unique column decides.
        raise Conflict(_("This person is already linked to another login.")) from None
    user.person_id = found.pk
    user.person = found
    return found


@transaction.atomic
def unlink_person(actor: User, user: User) -> Model | None:
    """Take the person off ``user``'s login; return the person it had (None: none)."""
    _may_link(actor, user)
    # of=self: PostgreSQL locks no row of the outer-joined person.
    locked = User.objects.select_for_update(of=("self",)).select_related("person").get(pk=user.pk)
    previous = locked.person
    if previous is not None:
        locked.person = None
        locked.save(update_fields=["person"])
    user.person = None
    return previous


def person_candidates_for(user: User, *, limit: int = 2) -> list[Model]:
    """Up to ``limit`` company-visible persons of the login's company whose e-mail address
    is the login's, linked or not (addresses are stored in lower case: ContactEmail.clean)."""
    email = (user.email or "").strip().lower()
    if not email or user.tenant_id is None:
        return []
    return list(
        _person_model()
        .objects.filter(
            tenant_id=user.tenant_id, visibility=Visibility.COMPANY, emails__email=email
        )
        .distinct()
        .order_by("pk")[:limit]
    )


def suggest_person_for(user: User) -> Model | None:
    """The person whose e-mail address equals the login's, if exactly one such person is
    visible company-wide and it is linked to no login; else None."""
    candidates = person_candidates_for(user)
    if len(candidates) != 1:
        return None
    person = candidates[0]
    if User.objects.filter(person_id=person.pk).exists():
        return None
    return person


@dataclass(frozen=True)
class SignInLink:
    """What signing in did about the login's person: ``person`` it was linked to now
    (None: nothing), or ``choices``, how many persons share the address (2 = several)."""

    person: Model | None = None
    choices: int = 0


def link_on_sign_in(user: User) -> SignInLink:
    """At sign-in, link a login without a person to the one unambiguous match by e-mail.

    Called explicitly by every sign-in door (the web login view, the API's token check),
    not from Django's ``user_logged_in`` signal: a token request signs nobody in, so the
    signal is not one hook for all doors. Several matches link none (the user chooses in
    the settings); a race lost to another login links none either.
    """
    if user.person_id is not None or user.tenant_id is None:
        return SignInLink()
    candidates = person_candidates_for(user)
    if len(candidates) > 1:
        return SignInLink(choices=len(candidates))
    person = suggest_person_for(user)
    if person is None:
        return SignInLink()
    try:
        _link_person(user, user, person, at_sign_in=True)
    except (Conflict, NotFound, NotAllowed, ValidationError):
        return SignInLink()
    return SignInLink(person=person)


def resolve_person(actor: User, reference: str) -> Model:
    """A person ``actor`` may see, by id ("42") or e-mail address ("tom@firma.de"), for
    the CLI; NotFound or Invalid (several share the address) in words."""
    reference = reference.strip()
    if reference.isdigit():
        found = _person_model().objects.visible_to(actor).filter(pk=int(reference)).first()
        if found is None:
            raise NotFound(_("No person with id %(id)s.") % {"id": reference})
        return found
    if "@" not in reference:
        raise Invalid(
            _("Name the person by id or e-mail address, not “%(ref)s”.") % {"ref": reference}
        )
    people = list(
        _person_model()
        .objects.visible_to(actor)
        .filter(emails__email=reference.lower())
        .distinct()
        .order_by("pk")[:10]
    )
    if not people:
        raise NotFound(_("No person with the e-mail address %(email)s.") % {"email": reference})
    if len(people) > 1:
        listing = "; ".join(f"{p.full_name} (id {p.pk})" for p in people)
        raise Invalid(
            _("Several people have the e-mail address %(email)s: %(list)s. Give the id.")
            % {"email": reference, "list": listing}
        )
    return people[0]


# ------------------------------------------------------------------ removing a user
