"""Relationships between people and the interactions that are their evidence."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from geflecht.lib.models import OwnedVisible
from geflecht.lib.visibility import VisibleQuerySet


class RelationshipKind(models.TextChoices):
    COLLEAGUE = "colleague", _("colleague")
    BUSINESS = "business", _("business")
    FORMER_COLLEAGUE = "former_colleague", _("former colleague")
    FRIEND = "friend", _("friend")
    FAMILY = "family", _("family")
    INTRODUCED = "introduced", _("introduced")


class Relationship(OwnedVisible):
    """An unordered pair of people, stored once per pair and owner scope.

    The pair is canonical (``person_a_id < person_b_id``), which also rules out a
    relationship of a person with themselves. Shared relationships (team or company
    visibility) exist once per pair; a private one exists once per pair and owner.
    """

    person_a = models.ForeignKey(
        "people.Person",
        verbose_name=_("person A"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the (person_a, person_b) index below serves lookups by A
    )
    person_b = models.ForeignKey(
        "people.Person", verbose_name=_("person B"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=RelationshipKind, default=RelationshipKind.BUSINESS
    )
    rating = models.PositiveSmallIntegerField(
        _("own rating"),
        null=True,
        blank=True,
        choices=[(i, str(i)) for i in range(1, 6)],
        help_text=_("How well do they know each other, 1 (barely) to 5 (very well)?"),
    )
    strength = models.FloatField(
        _("strength"), default=0.05, help_text=_("Computed from the evidence, in (0, 1].")
    )
    evidence = models.JSONField(
        _("evidence"), default=dict, blank=True, help_text=_("The inputs behind the strength.")
    )
    last_interaction_at = models.DateTimeField(_("last interaction"), null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        indexes = [
            # Pair lookups and everything by person A; person B has its foreign-key index.
            models.Index(fields=["person_a", "person_b"], name="rel_pair_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person_a__lt=F("person_b")), name="relationship_canonical_pair"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="relationship_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(strength__gt=0, strength__lte=1), name="relationship_strength_range"
            ),
            models.CheckConstraint(
                condition=~Q(visibility="private") | Q(owner__isnull=False),
                name="relationship_private_needs_owner",
            ),
            models.UniqueConstraint(
                fields=["tenant", "person_a", "person_b"],
                condition=~Q(visibility="private"),
                name="relationship_unique_shared_pair",
            ),
            models.UniqueConstraint(
                fields=["tenant", "person_a", "person_b", "owner"],
                condition=Q(visibility="private"),
                name="relationship_unique_private_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_a} – {self.person_b}"

    def clean(self) -> None:
        super().clean()
        if self.person_a_id is None or self.person_b_id is None:
            return
        if self.person_a_id == self.person_b_id:
            raise ValidationError(
                {"person_b": _("A person cannot have a relationship with themselves.")}
            )
        if self.person_a_id > self.person_b_id:
            # Store the pair the one canonical way, whatever order the user chose.
            self.person_a_id, self.person_b_id = self.person_b_id, self.person_a_id
        if self.visibility == "private" and self.owner_id is None:
            raise ValidationError({"owner": _("A private relationship needs an owner.")})
        if not 0 < self.strength <= 1:
            raise ValidationError({"strength": _("Strength must be above 0 and at most 1.")})


class InteractionKind(models.TextChoices):
    MEETING = "meeting", _("in-person meeting")
    VIDEO = "video", _("video call")
    PHONE = "phone", _("phone call")
    EMAIL = "email", _("e-mail")
    MESSAGE = "message", _("message")
    EVENT = "event", _("event / trade fair")
    DOCUMENT = "document", _("document exchange")


class Interaction(OwnedVisible):
    """Something that happened between people: the evidence behind relationships."""

    kind = models.CharField(_("kind"), max_length=10, choices=InteractionKind)
    occurred_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    site = models.ForeignKey(
        "people.Site",
        verbose_name=_("site"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    source = models.CharField(
        _("source"), max_length=30, default="manual", help_text=_("Where the record came from.")
    )
    external_id = models.CharField(
        _("external id"),
        max_length=300,
        blank=True,
        help_text=_("Id in the source (UID, Message-ID) so a re-import creates nothing new."),
    )
    participant_count = models.PositiveIntegerField(
        _("participants"),
        default=0,
        help_text=_("Kept in step by the actions; the group size weighs the evidence."),
    )
    participants = models.ManyToManyField(
        "people.Person",
        through="InteractionParticipant",
        related_name="interactions",
        verbose_name=_("participants"),
    )

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["tenant", "occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "external_id"],
                condition=~Q(external_id=""),
                name="interaction_unique_external_id",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__gt=0),
                name="interaction_positive_duration",
            ),
            models.CheckConstraint(
                condition=~Q(visibility="private") | Q(owner__isnull=False),
                name="interaction_private_needs_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}: {self.subject}"


class InteractionParticipant(models.Model):
    class Role(models.TextChoices):
        ORGANISER = "organiser", _("organiser")
        ATTENDEE = "attendee", _("attendee")
        SENDER = "sender", _("sender")
        RECIPIENT = "recipient", _("recipient")
        CC = "cc", _("cc")

    interaction = models.ForeignKey(
        Interaction,
        on_delete=models.CASCADE,
        related_name="participations",
        db_index=False,  # the unique (interaction, person) index serves these lookups
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="participations"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.ATTENDEE)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "person"], name="participant_once_per_interaction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class GraphState(models.Model):
    """The tenant's graph version: every relationship write raises it.

    Each process caches a graph snapshot keyed by this number and refreshes it when
    the number it reads is newer than its own.
    """

    tenant = models.OneToOneField(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="graph_state"
    )
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("graph version")
        verbose_name_plural = _("graph versions")

    def __str__(self) -> str:
        return f"{self.tenant} v{self.version}"


class GraphChange(models.Model):
    """One relationship change since a graph version: the log snapshots catch up from.

    Written in the same transaction as the version bump. ``strength`` is null for a
    removed relationship; a row without people (``full=True``) tells snapshots to
    rebuild, after bulk work such as a full strength recomputation.
    """

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    version = models.BigIntegerField()
    person_a_id = models.BigIntegerField(null=True)
    person_b_id = models.BigIntegerField(null=True)
    strength = models.FloatField(null=True)
    owner_id = models.BigIntegerField(null=True, help_text=_("Set for private relationships."))
    full = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("graph change")
        verbose_name_plural = _("graph changes")
        indexes = [models.Index(fields=["tenant", "version"])]

    def __str__(self) -> str:
        return f"v{self.version}: {self.person_a_id}-{self.person_b_id}"


class UpcomingMeeting(OwnedVisible):
    """A meeting in the calendar that has not happened yet.

    Not evidence: strengths ignore it until its time has passed, when the periodic job
    ``promote_upcoming_meetings`` turns it into an :class:`Interaction` with the same
    source and external id (so a later import of the past calendar adds nothing).
    """

    kind = models.CharField(_("kind"), max_length=10, choices=InteractionKind)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=30, default="manual")
    external_id = models.CharField(_("external id"), max_length=300, blank=True)
    participants = models.ManyToManyField(
        "people.Person",
        through="UpcomingParticipant",
        related_name="upcoming_meetings",
        verbose_name=_("participants"),
    )

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("upcoming meeting")
        verbose_name_plural = _("upcoming meetings")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["tenant", "starts_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "external_id"],
                condition=~Q(external_id=""),
                name="upcoming_unique_external_id",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__gt=0),
                name="upcoming_positive_duration",
            ),
            models.CheckConstraint(
                condition=~Q(visibility="private") | Q(owner__isnull=False),
                name="upcoming_private_needs_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}: {self.subject}"


class UpcomingParticipant(models.Model):
    meeting = models.ForeignKey(
        UpcomingMeeting,
        on_delete=models.CASCADE,
        related_name="participations",
        db_index=False,  # the unique (meeting, person) index serves these lookups
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="upcoming_participations"
    )
    role = models.CharField(
        _("role"),
        max_length=10,
        choices=InteractionParticipant.Role,
        default=InteractionParticipant.Role.ATTENDEE,
    )

    class Meta:
        verbose_name = _("participant of an upcoming meeting")
        verbose_name_plural = _("participants of upcoming meetings")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="upcoming_participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"
