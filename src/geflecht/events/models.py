"""Trade fairs and other events: who attends, whom we want to meet there.

An :class:`Event` has dates and a place and may lie in the future (unlike interactions).
Its :class:`Attendance` rows come from an imported exhibitor or visitor list, from our
own staff planning, or from the past fair's event interaction. An :class:`EventTarget`
is a person or organisation we want to reach at the fair.

Attendance rows point at people; whoever may not see the person does not see the row
(a colleague's private contact on an imported list stays theirs).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from geflecht.lib.models import TenantOwned


class EventKind(models.TextChoices):
    TRADE_FAIR = "trade_fair", _("trade fair")
    CONFERENCE = "conference", _("conference")
    CUSTOMER_EVENT = "customer_event", _("customer event")
    OTHER = "other", _("other event")


class Event(TenantOwned):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=EventKind, default=EventKind.TRADE_FAIR
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    city = models.CharField(_("city"), max_length=100, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    site = models.ForeignKey(
        "people.Site",
        verbose_name=_("site"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    website = models.URLField(_("website"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-start_date", "name"]
        indexes = [models.Index(fields=["tenant", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="event_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["tenant", "name", "start_date"], name="event_unique_name_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_date:%Y-%m-%d})"

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def place(self) -> str:
        return ", ".join(p for p in (self.venue, self.city) if p)

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The last day cannot be before the first day.")})
        if self.start_date and self.end_date and (self.end_date - self.start_date).days > 30:
            raise ValidationError({"end_date": _("An event lasts at most 31 days.")})
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise ValidationError({"latitude": _("Latitude must be between -90 and 90.")})
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise ValidationError({"longitude": _("Longitude must be between -180 and 180.")})


class AttendanceRole(models.TextChoices):
    EXHIBITOR = "exhibitor", _("exhibitor")
    VISITOR = "visitor", _("visitor")
    SPEAKER = "speaker", _("speaker")
    STAFF = "staff", _("our staff")


class AttendanceStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    ATTENDED = "attended", _("attended")


class Attendance(TenantOwned):
    """A person (or an exhibiting organisation without a named person) at an event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attendances",
    )
    organization = models.ForeignKey(
        "people.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField(
        _("role"), max_length=10, choices=AttendanceRole, default=AttendanceRole.VISITOR
    )
    booth = models.CharField(_("booth (hall/stand)"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AttendanceStatus, default=AttendanceStatus.PLANNED
    )
    source = models.CharField(_("source"), max_length=30, default="manual")

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        indexes = [models.Index(fields=["person", "event"], name="attendance_person_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(organization__isnull=False),
                name="attendance_person_or_organization",
            ),
            models.UniqueConstraint(
                fields=["event", "person"],
                condition=Q(person__isnull=False),
                name="attendance_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["event", "organization"],
                condition=Q(person__isnull=True),
                name="attendance_once_per_exhibitor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.organization} @ {self.event}"


class EventTarget(TenantOwned):
    """Someone we want to reach at the event: a person, or anyone at an organisation."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="targets")
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    organization = models.ForeignKey(
        "people.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chosen by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("event target")
        verbose_name_plural = _("event targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, organization__isnull=True)
                | Q(person__isnull=True, organization__isnull=False),
                name="event_target_person_xor_organization",
            ),
            models.UniqueConstraint(
                fields=["event", "person"],
                condition=Q(person__isnull=False),
                name="event_target_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["event", "organization"],
                condition=Q(organization__isnull=False),
                name="event_target_once_per_organization",
            ),
        ]

    @property
    def label(self) -> str:
        """The target person's name, or the organisation's (one of the two is set)."""
        if self.person is not None:
            return self.person.full_name
        return self.organization.name if self.organization is not None else ""

    def __str__(self) -> str:
        return f"{self.person or self.organization} @ {self.event}"
