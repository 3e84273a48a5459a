"""Data protection records: the legal basis per person and the audit trail of access."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from geflecht.lib.models import TenantOwned


class LegalBasis(models.TextChoices):
    """The six lawful bases of GDPR Art. 6(1), letters (a) to (f)."""

    CONSENT = "consent", _("consent (Art. 6(1)(a))")
    CONTRACT = "contract", _("contract (Art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("legal obligation (Art. 6(1)(c))")
    VITAL_INTERESTS = "vital_interests", _("vital interests (Art. 6(1)(d))")
    PUBLIC_TASK = "public_task", _("public task (Art. 6(1)(e))")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("legitimate interests (Art. 6(1)(f))")


class PersonPrivacy(TenantOwned):
    """Why we may store a person's data: one record per person, erased with the person."""

    person = models.OneToOneField(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="privacy"
    )
    legal_basis = models.CharField(_("legal basis"), max_length=30, choices=LegalBasis)
    consent_given_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_withdrawn_at = models.DateTimeField(_("consent withdrawn at"), null=True, blank=True)
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("Where the data or the consent came from, e.g. 'business card, EMO 2025'."),
    )
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")
        indexes = [models.Index(fields=["tenant", "legal_basis"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_withdrawn_at__isnull=True)
                | Q(consent_given_at__isnull=True)
                | Q(consent_withdrawn_at__gte=F("consent_given_at")),
                name="privacy_withdrawn_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.get_legal_basis_display()}"

    @property
    def consent_active(self) -> bool:
        return self.consent_given_at is not None and self.consent_withdrawn_at is None

    @property
    def has_basis(self) -> bool:
        """False when processing rests on a consent that is missing or was withdrawn."""
        return self.legal_basis != LegalBasis.CONSENT or self.consent_active


class AuditEntry(models.Model):
    """Who read, changed, exported or erased which person's data, and when.

    The person is kept as a plain integer, not a foreign key: an erasure removes the
    person and their name but keeps the trail that the erasure (and earlier access)
    happened. ``detail`` must never hold personal data of the person (no names).
    """

    class Action(models.TextChoices):
        READ = "read", _("read")
        CHANGE = "change", _("change")
        EXPORT = "export", _("export")
        ERASE = "erase", _("erase")

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept when the user account is deleted later, so the trail still names who it was.
    username = models.CharField(_("username"), max_length=150, blank=True)
    person_id = models.BigIntegerField(_("person id"))
    action = models.CharField(_("action"), max_length=10, choices=Action)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "person_id", "at"], name="audit_person_idx"),
            models.Index(fields=["tenant", "at"], name="audit_tenant_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} person {self.person_id}"
