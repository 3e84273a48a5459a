"""Tenants (one own company each) and the users who work in them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
