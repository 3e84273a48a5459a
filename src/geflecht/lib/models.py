"""Small model building blocks shared by the domain apps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PRIVATE = "private", _("private (only me)")
    TEAM = "team", _("my team")
    COMPANY = "company", _("whole company")


class TenantOwned(models.Model):
    """A record that belongs to one tenant and was entered by one user."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class OwnedVisible(TenantOwned):
    """A record with an owner and a visibility: private records are the owner's alone."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility, default=Visibility.COMPANY
    )

    class Meta:
        abstract = True
