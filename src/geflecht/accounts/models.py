"""Tenants (one own company each) and the users who work in them."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from geflecht.lib.errors import NotAllowed


class Tenant(models.Model):
    """One own company. Every domain record belongs to exactly one tenant."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A login. Linked to the tenant it works in and to the Person it is in the network."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("admin")
        MEMBER = "member", _("member")
        READ_ONLY = "read_only", _("read-only")

    tenant = models.ForeignKey(
        Tenant,
        verbose_name=_("tenant"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text=_("Empty only for installation administrators."),
    )
    person = models.OneToOneField(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.SET_NULL,
        related_name="user",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.MEMBER)
    teams = models.ManyToManyField(
        "accounts.Team", verbose_name=_("teams"), related_name="members", blank=True
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def tenant_pk(self) -> int:
        """The id of the tenant this user works in. An installation administrator has
        none and so no tenant data: NotAllowed, as the API's sign-in refuses them."""
        if self.tenant_id is None:
            raise NotAllowed(_("This login belongs to no company."))
        return self.tenant_id

    @property
    def company(self) -> Tenant:
        """The tenant this user works in (NotAllowed for an installation administrator)."""
        if self.tenant is None:
            raise NotAllowed(_("This login belongs to no company."))
        return self.tenant

    @property
    def is_tenant_admin(self) -> bool:
        return self.role == self.Role.ADMIN and self.tenant_id is not None

    @property
    def can_write(self) -> bool:
        return self.role != self.Role.READ_ONLY


class Team(models.Model):
    """A group of users inside one tenant (sales north, application engineering, ...).

    Records with visibility "team" are visible to their owner and to every user who shares
    a team with the owner.
    """

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="team_name_unique_in_tenant")
        ]

    def __str__(self) -> str:
        return self.name


TOKEN_PREFIX = "gft_"


def hash_token(secret: str) -> str:
    """Tokens are 256 random bits, so one SHA-256 is enough (no password stretching needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the secret is shown once at creation."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(
        _("hint"), max_length=12, editable=False, help_text=_("The first characters.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def new_secret() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)
