"""Introduction requests: a user asks a broker on a path for an introduction to a target.

The request is handled by ``broker_user``: the colleague asked (a colleague on the path,
or the colleague whose private contact carries a hidden stretch of it). When the broker
is someone outside without a login, the requester handles the request themselves and
records what the broker answered.

Private stays private: ``path`` keeps the path exactly as the requester saw it (hidden
stretches only as "ask <colleague>"), so nothing the requester may not see is stored
where they can read it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from geflecht.lib.models import TenantOwned


class IntroStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    INTRODUCED = "introduced", _("introduced")
    WITHDRAWN = "withdrawn", _("withdrawn")


#: Statuses a request can still move on from.
ACTIVE = (IntroStatus.OPEN, IntroStatus.ACCEPTED)


class IntroRequest(TenantOwned):
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    broker = models.ForeignKey(
        "people.Person",
        verbose_name=_("broker"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The person asked; for a hidden stretch, the colleague who owns it."),
    )
    broker_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The colleague who answers; empty when the broker has no login."),
    )
    target = models.ForeignKey(
        "people.Person", verbose_name=_("target"), on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_hop = models.BooleanField(
        _("through a colleague's private contact"),
        default=False,
        help_text=_("The broker is a colleague asked on behalf of a contact only they see."),
    )
    path = models.JSONField(_("path as the requester saw it"), default=list, blank=True)
    path_strength = models.FloatField(_("path strength"), null=True, blank=True)
    message = models.TextField(_("message"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=10, choices=IntroStatus, default=IntroStatus.OPEN
    )
    broker_note = models.TextField(
        _("broker's note"),
        max_length=2000,
        blank=True,
        help_text=_("Shown to the requester."),
    )
    relationship = models.ForeignKey(
        "network.Relationship",
        verbose_name=_("relationship created"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    interaction = models.ForeignKey(
        "network.Interaction",
        verbose_name=_("introduction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("introduction request")
        verbose_name_plural = _("introduction requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "broker_user", "status"], name="intro_broker_idx"),
            models.Index(fields=["tenant", "requester", "status"], name="intro_requester_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def handler_id(self) -> int:
        """The user who answers: the colleague asked, else the requester."""
        return self.broker_user_id or self.requester_id
