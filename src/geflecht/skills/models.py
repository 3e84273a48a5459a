"""Skills: a per-tenant taxonomy, what people can do (with evidence), what firms can do."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geflecht.lib.models import TenantOwned

LEVELS = [MinValueValidator(1), MaxValueValidator(5)]


class Skill(TenantOwned):
    """One entry of the taxonomy: German and English name, synonyms, a parent."""

    key = models.SlugField(
        _("key"),
        max_length=80,
        help_text=_("Stable identifier, e.g. '5-achs-fraesen'; the starter taxonomy uses it."),
    )
    name_de = models.CharField(_("German name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120)
    synonyms = models.JSONField(
        _("synonyms"),
        default=list,
        blank=True,
        help_text=_(
            "Other words for it, in any language: 'Kunststoffspritzguss', 'injection molding'."
        ),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        # Deleting a parent (admin) lifts its children to the top; tenants delete cleanly.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name_de"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="skill_key_unique_per_tenant"),
            models.CheckConstraint(condition=~Q(name_de=""), name="skill_name_de_required"),
            models.CheckConstraint(condition=~Q(name_en=""), name="skill_name_en_required"),
        ]

    def __str__(self) -> str:
        return self.name_de

    def name(self, lang: str = "de") -> str:
        return self.name_en if lang.startswith("en") else self.name_de

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.synonyms, list) or not all(
            isinstance(s, str) for s in self.synonyms
        ):
            raise ValidationError({"synonyms": _("Synonyms must be a list of words.")})
        if self.parent is not None:
            if self.parent.tenant_id != self.tenant_id:
                raise ValidationError({"parent": _("The parent belongs to another tenant.")})
            # Walk up: a skill may not become its own ancestor.
            seen = {self.pk}
            node: Skill | None = self.parent
            while node is not None:
                if node.pk in seen:
                    raise ValidationError({"parent": _("This parent would make a cycle.")})
                seen.add(node.pk)
                node = node.parent


class PersonSkill(TenantOwned):
    """What one person can do, with its evidence.

    Evidence comes in three kinds: ``self_declared`` (the person, or someone for them,
    said so, at ``level``), endorsements by colleagues (:class:`Endorsement`), and
    ``derived``: documents, interactions and projects about the subject that the person
    took part in, summed per source as ``{"interaction": {"n": 7, "weight": 4.2,
    "last": "2026-03-10", "examples": [...]}}``.
    """

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.ForeignKey(
        Skill, verbose_name=_("skill"), on_delete=models.CASCADE, related_name="holders"
    )
    level = models.PositiveSmallIntegerField(
        _("level"),
        default=3,
        validators=LEVELS,
        help_text=_("1 = basics, 3 = independent work, 5 = expert who teaches others."),
    )
    self_declared = models.BooleanField(_("self-declared"), default=False)
    note = models.CharField(
        _("note"),
        max_length=300,
        blank=True,
        help_text=_("Details that make the skill findable: materials, machines, products."),
    )
    derived = models.JSONField(_("derived evidence"), default=dict, blank=True)
    derived_weight = models.FloatField(_("derived weight"), default=0.0)

    class Meta:
        verbose_name = _("person skill")
        verbose_name_plural = _("person skills")
        ordering = ["skill__name_de"]
        indexes = [models.Index(fields=["tenant", "skill"])]
        constraints = [
            models.UniqueConstraint(fields=["person", "skill"], name="person_skill_unique"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5), name="person_skill_level_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.skill}"


class Endorsement(TenantOwned):
    """A colleague confirms that a person has a skill."""

    person_skill = models.ForeignKey(
        PersonSkill,
        verbose_name=_("person skill"),
        on_delete=models.CASCADE,
        related_name="endorsements",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("endorsed by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    comment = models.CharField(_("comment"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("endorsement")
        verbose_name_plural = _("endorsements")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["person_skill", "by"], name="endorsement_once"),
        ]

    def __str__(self) -> str:
        return f"{self.by} → {self.person_skill}"


class OrganizationCapability(TenantOwned):
    """What a firm can do (a skill at company level), e.g. a partner's laser cutting."""

    organization = models.ForeignKey(
        "people.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="capabilities",
    )
    skill = models.ForeignKey(
        Skill, verbose_name=_("skill"), on_delete=models.CASCADE, related_name="capable_firms"
    )
    level = models.PositiveSmallIntegerField(_("level"), default=3, validators=LEVELS)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("capability")
        verbose_name_plural = _("capabilities")
        ordering = ["skill__name_de"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "skill"], name="capability_unique_per_org"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5), name="capability_level_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} – {self.skill}"
