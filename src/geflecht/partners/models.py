"""The partner network: joint projects with partner firms and how they went."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from geflecht.lib.models import TenantOwned

STARS = [MinValueValidator(1), MaxValueValidator(5)]


class JointProject(TenantOwned):
    """Work done together with a partner organisation (outsourcing, co-development)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")

    partner = models.ForeignKey(
        "people.Organization",
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="joint_projects",
    )
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.RUNNING)
    our_people = models.ManyToManyField(
        "people.Person", verbose_name=_("our contact people"), related_name="+", blank=True
    )
    their_people = models.ManyToManyField(
        "people.Person", verbose_name=_("their contact people"), related_name="+", blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("joint project")
        verbose_name_plural = _("joint projects")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["tenant", "partner"])]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="joint_project_title_required"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="joint_project_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("A project cannot end before it starts.")})


class Rating(TenantOwned):
    """One user's rating of a finished joint project, 1-5 stars on three counts."""

    project = models.ForeignKey(
        JointProject, verbose_name=_("joint project"), on_delete=models.CASCADE,
        related_name="ratings",
    )  # fmt: skip
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rated by"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    quality = models.PositiveSmallIntegerField(_("quality"), validators=STARS)
    on_time = models.PositiveSmallIntegerField(_("on time"), validators=STARS)
    communication = models.PositiveSmallIntegerField(_("communication"), validators=STARS)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "by"], name="rating_once_per_user"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{f}__gte": 1, f"{f}__lte": 5}), name=f"rating_{f}_range"
                )
                for f in ("quality", "on_time", "communication")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.mean:.1f}"

    @property
    def mean(self) -> float:
        return (self.quality + self.on_time + self.communication) / 3
