"""Connected accounts (a mailbox, a calendar, an address book) and what they brought in.

An account belongs to one user; what it captures is private to that user unless one of
their sharing rules shares it. Each record an account created is remembered
(:class:`CapturedRecord`), so that "disconnect and forget" removes exactly those.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geflecht.lib.models import TenantOwned


class AccountKind(models.TextChoices):
    MAIL = "imap", _("mailbox (IMAP)")
    CALENDAR = "caldav", _("calendar (CalDAV)")
    CONTACTS = "carddav", _("address book (CardDAV)")


class AccountStatus(models.TextChoices):
    NEW = "new", _("not synced yet")
    OK = "ok", _("synced")
    ERROR = "error", _("sync failed")
    #: The server refused the password: no automatic retry until the user acts, so a
    #: wrong password never locks the user out of their own mail server.
    AUTH_FAILED = "auth_failed", _("password refused")
    PAUSED = "paused", _("paused")


class Security(models.TextChoices):
    SSL = "ssl", _("TLS (port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    PLAIN = "plain", _("unencrypted (only on a trusted network)")


class ConnectedAccount(TenantOwned):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="connected_accounts",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind)
    label = models.CharField(_("name"), max_length=200, blank=True)
    #: The IMAP host, or the CalDAV/CardDAV URL.
    server = models.CharField(_("server"), max_length=500)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    security = models.CharField(
        _("security"), max_length=10, choices=Security, default=Security.SSL, blank=True
    )
    username = models.CharField(_("user name"), max_length=254)
    #: The password as a Fernet token (see capture/secrets.py); never shown again.
    secret = models.TextField(editable=False, blank=True)
    #: Mail: {"folders": [...], "keep_subject": bool, "aliases": [...]};
    #: calendars and address books: {"collection": url}.
    options = models.JSONField(_("options"), default=dict, blank=True)
    #: The connector's sync state (UIDs per folder, sync token, etags).
    state = models.JSONField(default=dict, blank=True, editable=False)
    interval_minutes = models.PositiveIntegerField(_("sync every (minutes)"), default=15)
    status = models.CharField(
        _("status"), max_length=12, choices=AccountStatus, default=AccountStatus.NEW
    )
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful sync"), null=True, blank=True)
    next_sync_at = models.DateTimeField(_("next sync"), null=True, blank=True)
    #: Consecutive failed syncs: the back-off grows with them.
    failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(_("last error"), blank=True)
    #: What the last sync brought: counts by kind and the reasons things were left out.
    last_result = models.JSONField(default=dict, blank=True, editable=False)
    #: Everything synced so far, the same counts summed.
    totals = models.JSONField(default=dict, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("connected account")
        verbose_name_plural = _("connected accounts")
        ordering = ["kind", "label", "id"]
        indexes = [models.Index(fields=["status", "next_sync_at"], name="capture_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "server", "username"], name="capture_account_once"
            )
        ]

    def __str__(self) -> str:
        return self.label or f"{self.username} @ {self.server}"


class CapturedRecord(models.Model):
    """A record a connected account created: what "disconnect and forget" removes."""

    account = models.ForeignKey(
        ConnectedAccount, on_delete=models.CASCADE, related_name="captured", db_index=False
    )
    #: A key of ImportReport.created_ids: "people", "interactions", "upcoming_meetings" ...
    model = models.CharField(max_length=20)
    object_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "model", "object_id"], name="captured_record_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.model} {self.object_id}"


class SharingRule(TenantOwned):
    """What of a user's captured interactions the company may see.

    A rule shares an interaction only when every other participant works at an
    organisation of one of ``org_kinds`` (known by its web or e-mail domain) and none
    of them is on an exclusion list or writes from a private mail domain.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="sharing_rules",
    )
    org_kinds = models.JSONField(
        _("organisation kinds"),
        default=list,
        help_text=_("Share interactions with people at these kinds of organisation."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("sharing rule")
        verbose_name_plural = _("sharing rules")
        constraints = [models.UniqueConstraint(fields=["owner"], name="sharing_rule_per_user")]

    def __str__(self) -> str:
        return f"{self.owner}: {', '.join(self.org_kinds)}"


class Exclusion(TenantOwned):
    """An address or a domain whose mail and meetings are never shared.

    A user's own entry (``owner`` set) applies to what they capture; an entry without an
    owner, kept by a tenant admin, applies to everybody in the company.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="capture_exclusions",
        null=True,
        blank=True,
    )
    value = models.CharField(
        _("address or domain"),
        max_length=254,
        help_text=_("An e-mail address (jana@example.com) or a whole domain (example.com)."),
    )

    class Meta:
        verbose_name = _("exclusion")
        verbose_name_plural = _("exclusions")
        ordering = ["value"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "owner", "value"],
                condition=Q(owner__isnull=False),
                name="exclusion_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["tenant", "value"],
                condition=Q(owner__isnull=True),
                name="exclusion_once_per_company",
            ),
        ]

    def __str__(self) -> str:
        return self.value
