"""Writes on tenants and users."""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

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
@dataclass(frozen=True)
class RemovalReport:
    """What removing a user did with their private records (counts)."""

    username: str
    private_records: str
    handed_to: str | None
    people: int
    organizations: int
    relationships: int
    interactions: int
    projects: int


def _may_remove(acting_user: User, user: User) -> None:
    if acting_user.pk == user.pk:
        raise PermissionDenied(_("You cannot remove yourself; another admin removes you."))
    admin_here = acting_user.is_tenant_admin and acting_user.tenant_id == user.tenant_id
    if not (admin_here or acting_user.is_superuser):
        raise PermissionDenied(_("Only an admin of their company may remove a user."))


@transaction.atomic
def remove_user(
    acting_user: User,
    user: User,
    *,
    private_records: str = "erase",
    to: User | None = None,
    now: datetime | None = None,
) -> RemovalReport:
    """Remove a login for good (someone leaves the company), in one transaction.

    The records only they could see (persons, organisations, relationships,
    interactions and projects with visibility ``private``) are erased
    (``private_records="erase"``: persons as by a GDPR erasure, with their ties and
    interactions) or handed over to ``to`` (``"hand_over"``: ``to`` owns them, and
    their team records, from now on; a private tie both kept becomes one, recomputed
    from both histories). Company records (and, when erasing, team records) stay for the
    colleagues, without an owner; their own person stays
    as a former colleague; their API tokens go. The graph forgets their private ties:
    the version bumps and every snapshot rebuilds. Only an admin of their tenant (or an
    installation superuser) removes a user, never themselves.
    """
    from geflecht.network import snapshot
    from geflecht.network.actions import bump_graph_version, recompute_pairs
    from geflecht.network.models import GraphChange, Interaction, Relationship
    from geflecht.people.models import Organization, Person
    from geflecht.privacy.actions import _pairs_sharing, erase_person
    from geflecht.projects.models import Project

    if private_records not in ("erase", "hand_over"):
        raise ValidationError(
            {"private_records": _("Say what happens to their private records: erase or hand_over.")}
        )
    _may_remove(acting_user, user)
    if private_records == "hand_over":
        if to is None:
            raise ValidationError({"to": _("Say to whom to hand their private records over.")})
        if to.pk == user.pk or to.tenant_id != user.tenant_id or not to.is_active:
            raise ValidationError(
                {"to": _("Hand the records over to another active user of the same company.")}
            )
    elif to is not None:
        raise ValidationError({"to": _("Records that are erased are handed to nobody.")})
    now = now or timezone.now()
    tenant_id = user.tenant_id
    mine = {"owner_id": user.pk, "visibility": "private"}
    rels = Relationship.objects.filter(tenant_id=tenant_id, **mine)
    pairs = set(rels.values_list("person_a_id", "person_b_id"))
    removed = [(a, b, user.pk) for a, b in pairs]
    counts = {
        "people": Person.objects.filter(tenant_id=tenant_id, **mine).count(),
        "organizations": Organization.objects.filter(tenant_id=tenant_id, **mine).count(),
        "relationships": len(pairs),
        "interactions": Interaction.objects.filter(tenant_id=tenant_id, **mine).count(),
        "projects": Project.objects.filter(tenant_id=tenant_id, **mine).count(),
    }
    if private_records == "erase":
        projects = Project.objects.filter(tenant_id=tenant_id, **mine)
        _delete_project_files(projects)
        projects.delete()
        interactions = Interaction.objects.filter(tenant_id=tenant_id, **mine)
        ids = list(interactions.values_list("pk", flat=True))
        pairs |= _pairs_sharing(tenant_id, ids)
        interactions.delete()
        rels.delete()
        for person in Person.objects.filter(tenant_id=tenant_id, **mine):
            # As their owner: members may erase their own private contacts.
            erase_person(user, person, now=now)
        Organization.objects.filter(tenant_id=tenant_id, **mine).delete()
    else:
        # A tie both kept privately becomes the receiver's one row: theirs stays, and
        # the handed-over interactions count for it when it is recomputed below.
        theirs = set(
            Relationship.objects.filter(
                tenant_id=tenant_id, owner_id=to.pk, visibility="private"
            ).values_list("person_a_id", "person_b_id")
        )
        for a, b in pairs & theirs:
            rels.filter(person_a_id=a, person_b_id=b).delete()
        # Their team records go along: without an owner nobody would see them any more.
        theirs_too = {"owner_id": user.pk, "visibility__in": ("private", "team")}
        team_pairs = set(
            Relationship.objects.filter(
                tenant_id=tenant_id, owner_id=user.pk, visibility="team"
            ).values_list("person_a_id", "person_b_id")
        )
        removed += [(a, b, user.pk) for a, b in team_pairs]
        for model in (Organization, Person, Relationship, Interaction, Project):
            model.objects.filter(tenant_id=tenant_id, **theirs_too).update(owner_id=to.pk)
    # Older log rows name the leaver as owner; the removals below supersede them.
    GraphChange.objects.filter(tenant_id=tenant_id, owner_id=user.pk).delete()
    username = user.get_username()
    user.delete()
    recompute_pairs(tenant_id, sorted(pairs), now=now)
    bump_graph_version(tenant_id, removed=removed, full=True)
    transaction.on_commit(lambda: snapshot.forget(tenant_id))
    return RemovalReport(
        username=username,
        private_records=private_records,
        handed_to=to.get_username() if to is not None else None,
        **counts,
    )


def _delete_project_files(projects) -> None:
    from geflecht.projects.models import DocumentVersion

    names = list(
        DocumentVersion.objects.filter(document__project__in=projects).values_list(
            "file", flat=True
        )
    )
    storage = DocumentVersion._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(n) for n in names if n])
