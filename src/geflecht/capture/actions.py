"""Connecting, changing, syncing and forgetting accounts; sharing rules and exclusions.

Every door (the settings page, the API, ``geflecht connect``) calls these. A user acts
on their own accounts only; nobody, not even a tenant admin, reads another user's
account or its password (it is encrypted, and no door shows it again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.jobs.models import Job
from geflecht.jobs.runner import start_job
from geflecht.lib.errors import Conflict, Invalid, NotFound
from geflecht.lib.maildomains import domain_of
from geflecht.lib.visibility import require_writer
from geflecht.people.models import Organization

from . import secrets
from .models import (
    AccountKind,
    AccountStatus,
    CapturedRecord,
    ConnectedAccount,
    Exclusion,
    Security,
    SharingRule,
)

__all__ = [
    "AccountInput",
    "connect_account",
    "disconnect_account",
    "set_exclusions",
    "set_sharing",
    "sync_now",
    "update_account",
]

#: The shortest interval a user may choose (minutes): a mail server is not polled harder.
MIN_INTERVAL_MINUTES = 5
SYNC_KIND = "capture.sync"
FORGET_KIND = "capture.forget"
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^@?([a-z0-9-]+\.)+[a-z]{2,}$")


@dataclass
class AccountInput:
    """What a user gives to connect an account (every door parses into this)."""

    kind: str
    server: str
    username: str
    password: str = field(default="", repr=False)
    port: int | None = None
    security: str = Security.SSL
    label: str = ""
    folders: list[str] = field(default_factory=list)
    keep_subject: bool = False
    aliases: list[str] = field(default_factory=list)
    collection: str = ""
    interval_minutes: int | None = None


def _clean(data: AccountInput) -> dict:
    """Validated fields of an account, or Invalid naming what is wrong."""
    errors: dict[str, str] = {}
    if data.kind not in AccountKind.values:
        errors["kind"] = _("Choose a mailbox, a calendar or an address book.")
    server = data.server.strip()
    username = data.username.strip()
    if not username:
        errors["username"] = _("Enter the user name (often your e-mail address).")
    if data.kind == AccountKind.MAIL:
        if not _HOST.match(server):
            errors["server"] = _("Enter the mail server's host name, e.g. imap.example.com.")
        if data.security not in Security.values:
            errors["security"] = _("Choose TLS, STARTTLS or unencrypted.")
        if data.port is not None and not 0 < data.port < 65536:
            errors["port"] = _("A port is a number from 1 to 65535.")
    elif data.kind in AccountKind.values and not re.match(r"^https?://[^\s/]+", server):
        errors["server"] = _(
            "Enter the server's address starting with https://, e.g. https://dav.example.com/."
        )
    interval = data.interval_minutes or settings.GEFLECHT_SYNC_INTERVAL_MINUTES
    if interval < MIN_INTERVAL_MINUTES:
        errors["interval_minutes"] = _("Sync at most every %(n)d minutes.") % {
            "n": MIN_INTERVAL_MINUTES
        }
    aliases = sorted({a.strip().lower() for a in data.aliases if a.strip()})
    bad = [a for a in aliases if not _EMAIL.match(a)]
    if bad:
        errors["aliases"] = _("Not an e-mail address: %(values)s") % {"values": ", ".join(bad)}
    if errors:
        raise Invalid(errors)
    options: dict = {}
    if data.kind == AccountKind.MAIL:
        options = {
            "folders": [f.strip() for f in data.folders if f.strip()],
            "keep_subject": bool(data.keep_subject),
            "aliases": aliases,
        }
    elif data.collection.strip():
        options = {"collection": data.collection.strip()}
    label = data.label.strip() or f"{username} @ {_host_of(server)}"
    return {
        "kind": data.kind,
        "server": server,
        "username": username,
        "port": data.port if data.kind == AccountKind.MAIL else None,
        "security": data.security if data.kind == AccountKind.MAIL else "",
        "label": label[:200],
        "options": options,
        "interval_minutes": interval,
    }


def _host_of(server: str) -> str:
    return re.sub(r"^https?://", "", server).split("/")[0]


def connect_account(user: User, data: AccountInput, *, check: bool = True) -> ConnectedAccount:
    """Connect an account of ``user`` and queue its first sync.

    With ``check`` the server is asked first (sign-in and, for a mailbox, its folders), so
    a wrong password or address is said now, in words, and nothing is stored. The
    password is stored encrypted and never shown again.
    """
    require_writer(user)
    fields = _clean(data)
    if not data.password:
        raise Invalid({"password": _("Enter the password (or an app password).")})
    if check:
        from .connectors import probe  # the connectors load only when an account is used

        probe(fields, data.password)
    try:
        with transaction.atomic():
            account = ConnectedAccount.objects.create(
                tenant_id=user.tenant_pk,
                owner=user,
                secret=secrets.encrypt(data.password),
                next_sync_at=timezone.now(),
                **fields,
            )
    except IntegrityError:
        raise Conflict(_("This account is connected already.")) from None
    sync_now(user, account)
    return account


def account_of(user: User, account_id: int) -> ConnectedAccount:
    """``user``'s own account ``account_id`` (NotFound for anyone else's)."""
    try:
        return ConnectedAccount.objects.get(pk=account_id, owner=user)
    except ConnectedAccount.DoesNotExist:
        raise NotFound(_("No such connected account.")) from None


def update_account(
    user: User,
    account: ConnectedAccount,
    *,
    password: str | None = None,
    interval_minutes: int | None = None,
    folders: list[str] | None = None,
    keep_subject: bool | None = None,
    aliases: list[str] | None = None,
    paused: bool | None = None,
    version: int | None = None,
) -> ConnectedAccount:
    """Change an account. A new password is tried at the next sync, which it queues, and
    lifts the stop a refused password put on automatic syncs."""
    require_writer(user)
    with transaction.atomic():
        locked = ConnectedAccount.objects.select_for_update().get(pk=account.pk, owner=user)
        if version is not None and version != locked.version:
            raise Conflict(
                _("The account was changed meanwhile. Reload and try again."),
                current_version=locked.version,
            )
        changed: list[str] = ["version", "updated_at"]
        options = dict(locked.options)
        if interval_minutes is not None:
            if interval_minutes < MIN_INTERVAL_MINUTES:
                raise Invalid(
                    {
                        "interval_minutes": _("Sync at most every %(n)d minutes.")
                        % {"n": MIN_INTERVAL_MINUTES}
                    }
                )
            locked.interval_minutes = interval_minutes
            changed.append("interval_minutes")
        if locked.kind == AccountKind.MAIL:
            if folders is not None:
                options["folders"] = [f.strip() for f in folders if f.strip()]
            if keep_subject is not None:
                options["keep_subject"] = keep_subject
            if aliases is not None:
                cleaned = sorted({a.strip().lower() for a in aliases if a.strip()})
                bad = [a for a in cleaned if not _EMAIL.match(a)]
                if bad:
                    raise Invalid(
                        {
                            "aliases": _("Not an e-mail address: %(values)s")
                            % {"values": ", ".join(bad)}
                        }
                    )
                options["aliases"] = cleaned
        if options != locked.options:
            locked.options = options
            changed.append("options")
        if password:
            locked.secret = secrets.encrypt(password)
            changed.append("secret")
        if paused is True:
            locked.status = AccountStatus.PAUSED
            changed.append("status")
        elif (paused is False and locked.status == AccountStatus.PAUSED) or (
            password and locked.status == AccountStatus.AUTH_FAILED
        ):
            locked.status = (
                AccountStatus.NEW if locked.last_success_at is None else AccountStatus.OK
            )
            locked.failures = 0
            locked.next_sync_at = timezone.now()
            changed += ["status", "failures", "next_sync_at"]
        locked.version = F("version") + 1
        locked.save(update_fields=sorted(set(changed)))
        locked.refresh_from_db()
    if password:
        sync_now(user, locked)
    return locked


def sync_now(user: User, account: ConnectedAccount) -> Job:
    """Queue a sync of ``account`` now (the running or waiting one if there is one).

    "Sync now" also tries an account whose password was refused: the user asked for it,
    once; automatic syncs stay stopped until the password is changed.
    """
    require_writer(user)
    if account.owner_id != user.pk:
        raise NotFound(_("No such connected account."))
    if account.status == AccountStatus.PAUSED:
        raise Conflict(_("The account is paused. Resume it to sync."))
    return _start_sync(account)


def _start_sync(account: ConnectedAccount) -> Job:
    # Unique: a sync that waits or runs is the one "sync now" and the schedule get.
    return start_job(
        SYNC_KIND,
        tenant_id=account.tenant_id,
        owner_id=account.owner_id,
        label=str(account),
        args={"account": account.pk},
        unique=True,
    )


def disconnect_account(user: User, account: ConnectedAccount, *, forget: bool = True) -> int:
    """Disconnect ``account``. With ``forget`` everything it brought in is removed (the
    interactions, upcoming meetings, ties and the people nobody else knows) and the
    graph forgets them; returns how many records were removed."""
    require_writer(user)
    if account.owner_id != user.pk:
        raise NotFound(_("No such connected account."))
    from .sync import forget_account

    removed = forget_account(account) if forget else 0
    # Its jobs stay on the Jobs page as history; a waiting sync finds no account.
    ConnectedAccount.objects.filter(pk=account.pk).delete()
    return removed


def captured_counts(account: ConnectedAccount) -> dict[str, int]:
    """How many records of each kind the account brought in and still holds."""
    rows = (
        CapturedRecord.objects.filter(account=account)
        .values_list("model")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


def set_sharing(user: User, org_kinds: list[str]) -> SharingRule | None:
    """Share ``user``'s captured interactions with people at organisations of these
    kinds with the company (an empty list: share nothing). Applies to what is captured
    from now on."""
    require_writer(user)
    valid = [k for k in Organization.Kind.values if k != Organization.Kind.OWN]
    unknown = [k for k in org_kinds if k not in valid]
    if unknown:
        raise Invalid({"org_kinds": _("Unknown kind: %(kinds)s") % {"kinds": ", ".join(unknown)}})
    kinds = [k for k in valid if k in org_kinds]
    with transaction.atomic():
        if not kinds:
            SharingRule.objects.filter(owner=user).delete()
            return None
        rule, _created = SharingRule.objects.update_or_create(
            owner=user,
            defaults={"tenant_id": user.tenant_pk, "org_kinds": kinds, "enabled": True},
        )
    return rule


def set_exclusions(user: User, values: list[str], *, company: bool = False) -> list[str]:
    """Replace ``user``'s exclusion list (or, for a tenant admin with ``company``, the
    company's): addresses and domains whose mail and meetings are never shared."""
    require_writer(user)
    if company and not user.is_tenant_admin:
        raise NotFound(_("Only an admin keeps the company's exclusion list."))
    cleaned: list[str] = []
    bad: list[str] = []
    for raw in values:
        value = raw.strip().lower()
        if not value:
            continue
        if _EMAIL.match(value):
            cleaned.append(value)
        elif _DOMAIN.match(value):
            cleaned.append(value.lstrip("@"))
        else:
            bad.append(raw.strip())
    if bad:
        raise Invalid(
            {"exclusions": _("Neither an address nor a domain: %(v)s") % {"v": ", ".join(bad)}}
        )
    owner = None if company else user
    with transaction.atomic():
        Exclusion.objects.filter(tenant_id=user.tenant_pk, owner=owner).delete()
        Exclusion.objects.bulk_create(
            [
                Exclusion(tenant_id=user.tenant_pk, owner=owner, value=v)
                for v in sorted(set(cleaned))
            ]
        )
    return sorted(set(cleaned))


def _due(now=None):
    """Accounts whose automatic sync is due (not paused, not stopped by a refused
    password)."""
    return ConnectedAccount.objects.filter(
        status__in=(AccountStatus.NEW, AccountStatus.OK, AccountStatus.ERROR),
        next_sync_at__lte=now or timezone.now(),
    )


def due_accounts(now=None) -> list[int]:
    """The ids of the accounts whose automatic sync is due."""
    return list(_due(now).values_list("pk", flat=True))


def start_due_syncs(now=None) -> list[Job]:
    """Queue a sync of every account that is due (the schedule's every minute)."""
    return [_start_sync(account) for account in _due(now).order_by("pk")]


def backoff(failures: int, interval_minutes: int) -> timedelta:
    """How long to wait after ``failures`` failed syncs in a row: the interval doubled
    for each, at most a day."""
    return min(timedelta(minutes=interval_minutes * 2 ** max(0, failures - 1)), timedelta(days=1))


def me_addresses(user: User, account: ConnectedAccount | None = None) -> set[str]:
    """The addresses that are ``user`` themselves: the login's, their person's, the
    account's user name when it is an address, and the aliases they listed."""
    found = {user.email.lower()} if user.email else set()
    if user.person is not None:
        found.update(e.lower() for e in user.person.emails.values_list("email", flat=True))
    if account is not None:
        if "@" in account.username and domain_of(account.username):
            found.add(account.username.lower())
        found.update(account.options.get("aliases", []))
    return {a for a in found if a}
