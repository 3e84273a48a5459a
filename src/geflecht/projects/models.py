"""Projects at customer sites, the two teams on them, and their documents with versions.

A project is an opportunity or sub-project at one customer organisation (optionally at
one of its sites). Two teams work on it: ours (account owner, sales, ...) and theirs,
the buying centre (decision maker, economic buyer, ...). Documents attached to a
project keep every uploaded version; sending a version to people is an interaction of
kind ``document`` (so it strengthens ties through the real strength model) that a
:class:`DocumentSend` row links back to the project and the version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from geflecht.lib.models import OwnedVisible, TenantOwned
from geflecht.lib.visibility import VisibleQuerySet
from geflecht.people.models import BuyingRole

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def document_storage():
    """The storage documents live in: ``STORAGES["documents"]`` (the data directory unless
    configured otherwise). A callable, so the storage can change without a migration."""
    return storages["documents"]


class Stage(models.TextChoices):
    LEAD = "lead", _("lead")
    QUALIFIED = "qualified", _("qualified")
    PROPOSAL = "proposal", _("proposal")
    NEGOTIATION = "negotiation", _("negotiation")
    WON = "won", _("won")
    LOST = "lost", _("lost")
    RUNNING = "running", _("running project")


class OurRole(models.TextChoices):
    ACCOUNT_OWNER = "account_owner", _("account owner")
    SALES = "sales", _("sales")
    APPLICATION_ENGINEER = "application_engineer", _("application engineer")
    SERVICE = "service", _("service")
    MANAGEMENT = "management", _("management")


class Side(models.TextChoices):
    OURS = "ours", _("our team")
    THEIRS = "theirs", _("buying centre")


class Project(OwnedVisible):
    """An opportunity or sub-project at a customer organisation and site."""

    objects = VisibleQuerySet.as_manager()

    organization = models.ForeignKey(
        "people.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="projects",
    )
    site = models.ForeignKey(
        "people.Site",
        verbose_name=_("site"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subprojects",
    )
    name = models.CharField(_("name"), max_length=200)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage, default=Stage.LEAD)
    value = models.DecimalField(
        _("value (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    start_date = models.DateField(_("start"), null=True, blank=True)
    close_date = models.DateField(_("expected close"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    skills_needed = models.ManyToManyField(
        "skills.Skill",
        verbose_name=_("skills needed"),
        blank=True,
        related_name="projects",
        help_text=_("What the project asks of our team: the team builder ranks by it."),
    )
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Raised by every edit; guards concurrent edits.")
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "organization"]),
            models.Index(fields=["tenant", "stage"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="project_name_required"),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0), name="project_value_positive"
            ),
            models.CheckConstraint(
                condition=Q(close_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(close_date__gte=F("start_date")),
                name="project_closes_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(visibility="private") | Q(owner__isnull=False),
                name="project_private_needs_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors: dict[str, StrOrPromise] = {}
        if (
            self.site is not None
            and self.organization_id
            and self.site.organization_id != self.organization_id
        ):
            errors["site"] = _("The site belongs to another organisation.")
        if self.start_date and self.close_date and self.close_date < self.start_date:
            errors["close_date"] = _("A project cannot close before it starts.")
        if self.parent_id and self.parent_id == self.pk:
            errors["parent"] = _("A project cannot be part of itself.")
        if self.parent is not None and self.parent.organization_id != self.organization_id:
            errors["parent"] = _("A sub-project belongs to the same organisation.")
        if self.visibility == "private" and self.owner_id is None:
            errors["owner"] = _("A private project needs an owner.")
        if errors:
            raise ValidationError(errors)


class ProjectMember(TenantOwned):
    """A person on one of the two teams of a project, with their role there."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="members"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="project_memberships",
    )
    side = models.CharField(_("team"), max_length=10, choices=Side)
    role = models.CharField(_("role"), max_length=30, choices=OurRole.choices + BuyingRole.choices)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["side", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "person"], name="member_once_per_project"),
            models.CheckConstraint(
                condition=Q(side="ours", role__in=OurRole.values)
                | Q(side="theirs", role__in=BuyingRole.values),
                name="member_role_fits_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class Document(TenantOwned):
    """A document of a project; its content lives in its versions."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["title", "id"]
        constraints = [models.CheckConstraint(condition=~Q(title=""), name="document_title")]

    def __str__(self) -> str:
        return self.title


class DocumentVersion(TenantOwned):
    """One uploaded file of a document; numbers count up from 1 per document."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), storage=document_storage, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    note = models.CharField(_("note"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="version_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.document.title} v{self.number}"


class DocumentSend(TenantOwned):
    """A document version sent to people: the interaction (kind ``document``) that
    recorded it, tied to the project and the version.

    The link lives here rather than as a project column on Interaction so that the
    network app stays unaware of projects (projects depend on network, not the reverse)
    and every interaction that is not a document send carries nothing extra.
    """

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="sends"
    )
    version = models.ForeignKey(
        DocumentVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="sends"
    )
    interaction = models.OneToOneField(
        "network.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.CASCADE,
        related_name="document_send",
    )

    class Meta:
        verbose_name = _("document sent")
        verbose_name_plural = _("documents sent")
        ordering = ["-id"]
        indexes = [models.Index(fields=["project", "version"])]

    def __str__(self) -> str:
        return f"{self.version} → {self.interaction_id}"
