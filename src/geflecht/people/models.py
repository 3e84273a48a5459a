"""People, organisations, their sites, and the positions that tie a person to a firm."""

from __future__ import annotations

from typing import TYPE_CHECKING

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from geflecht.lib.models import OwnedVisible, TenantOwned
from geflecht.lib.visibility import VisibleQuerySet, covers

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Industry(models.TextChoices):
    MACHINE_BUILDING = "machine_building", _("machine building")
    TOOL_MAKING = "tool_making", _("tool making")
    PRECISION_TOOLS = "precision_tools", _("precision tools")
    WEIGHING_MEASURING = "weighing_measuring", _("weighing and measuring devices")
    PLASTICS = "plastics", _("plastics processing")
    AUTOMOTIVE = "automotive", _("automotive supply")
    ELECTRONICS = "electronics", _("electronics and automation")
    METALWORKING = "metalworking", _("metalworking")
    MEDICAL = "medical", _("medical technology")
    FOOD = "food", _("food processing")
    SOFTWARE = "software", _("software and IT services")
    LOGISTICS = "logistics", _("logistics")
    ASSOCIATION = "association", _("association")
    OTHER = "other", _("other")


class Organization(OwnedVisible):
    """A firm. Shared company-wide unless a private import brought it in: then it stays
    with its owner (and team) like the private contacts who work there."""

    class Kind(models.TextChoices):
        OWN = "own", _("own company")
        CUSTOMER = "customer", _("customer")
        PROSPECT = "prospect", _("prospect")
        PARTNER = "partner", _("partner")
        SUPPLIER = "supplier", _("supplier")
        COMPETITOR = "competitor", _("competitor")
        ASSOCIATION = "association", _("association")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.PROSPECT)
    industry = models.CharField(
        _("industry"), max_length=30, choices=Industry, default=Industry.OTHER
    )
    employees = models.PositiveIntegerField(
        _("employees"), null=True, blank=True, help_text=_("Approximate head count.")
    )
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(fields=["tenant", "name"]), models.Index(fields=["tenant", "kind"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.visibility != "company" and self.owner_id is None:
            raise ValidationError(
                {"owner": _("An organisation not shared company-wide needs an owner.")}
            )
        # Narrowing it must not hide the employer of anyone seen more widely.
        if self.pk and self.visibility != "company":
            staff = Person.objects.filter(positions__organization_id=self.pk).distinct()
            if any(not covers(self, person) for person in staff):
                raise ValidationError(
                    {
                        "visibility": _(
                            "People who are shared more widely work at %(name)s; it cannot "
                            "be seen by fewer people than they are."
                        )
                        % {"name": self.name}
                    }
                )

    @property
    def size_band(self) -> str:
        """The EU SME size class, which is how Mittelstand firms describe themselves."""
        if self.employees is None:
            return ""
        if self.employees < 10:
            return str(_("micro"))
        if self.employees < 50:
            return str(_("small"))
        if self.employees < 250:
            return str(_("medium-sized"))
        return str(_("large"))


class Site(TenantOwned):
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="sites"
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("For example 'Werk Ulm'."))
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(
        _("country"), max_length=2, default="DE", help_text=_("ISO 3166 code, e.g. DE, AT, CH.")
    )
    latitude = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    #: Seen with its organization: see lib.visibility.VisibleQuerySet.
    visible_through = "organization"
    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["organization__name", "name"]
        indexes = [models.Index(fields=["tenant", "city"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="site_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="site_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="site_coordinates_both_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name}, {self.name}" if self.name else self.city

    def clean(self) -> None:
        super().clean()
        if self.country:
            self.country = self.country.upper()
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError({"longitude": _("Give both latitude and longitude, or neither.")})


class Person(OwnedVisible):
    class Classification(models.TextChoices):
        BUSINESS = "business", _("business")
        PRIVATE = "private", _("private")

    class Importance(models.TextChoices):
        A = "A", _("A – key contact")
        B = "B", _("B – important")
        C = "C", _("C – occasional")

    title = models.CharField(
        _("title"), max_length=50, blank=True, help_text=_("Academic title, e.g. 'Dr.'.")
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    classification = models.CharField(
        _("classification"),
        max_length=10,
        choices=Classification,
        default=Classification.BUSINESS,
    )
    importance = models.CharField(_("importance"), max_length=1, choices=Importance, blank=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Raised by every edit; guards concurrent edits.")
    )
    #: Known only by an e-mail address (a mail or calendar participant without a display
    #: name): ``last_name`` holds the address, so every page, search and the API show it
    #: instead of a name guessed from the local part; a later import with a name fills it.
    name_unknown = models.BooleanField(
        _("name unknown"),
        default=False,
        db_default=False,  # rows written by bulk inserts that predate the column
        help_text=_("Only the e-mail address is known; it stands in for the name."),
    )

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["tenant", "last_name", "first_name"]),
            models.Index(fields=["tenant", "importance"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(last_name=""), name="person_last_name_required"),
            models.CheckConstraint(
                condition=~Q(visibility="private") | Q(owner__isnull=False),
                name="person_private_needs_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.title, self.first_name, self.last_name) if part)

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.tags, list) or not all(isinstance(t, str) for t in self.tags):
            raise ValidationError({"tags": _("Tags must be a list of words.")})
        if self.visibility == "private" and self.owner_id is None:
            raise ValidationError({"owner": _("A private person needs an owner.")})
        if self.pk:
            # Everyone who may see the person must be able to see where they work.
            narrow = sorted(
                {
                    org.name
                    for org in Organization.objects.filter(positions__person_id=self.pk)
                    if not covers(org, self)
                }
            )
            if narrow:
                raise ValidationError(
                    {
                        "visibility": _(
                            "%(name)s works at %(orgs)s, which fewer people may see; share "
                            "the organisation first."
                        )
                        % {"name": self.full_name, "orgs": ", ".join(narrow)}
                    }
                )


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Parse a phone number as written by a person and return it in E.164 form.

    Numbers without a country code are read as numbers of ``region`` (the
    installation's default, Germany unless configured).

    >>> normalize_phone("0731 / 123 45-0")
    '+49731123450'
    """
    region = region or settings.GEFLECHT_PHONE_REGION
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(raw)s” is not a phone number: %(reason)s"),
            params={"raw": raw, "reason": str(exc)},
            code="invalid_phone",
        ) from None
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("“%(raw)s” is not a valid phone number."), params={"raw": raw}, code="invalid_phone"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class ContactEmail(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="emails"
    )
    email = models.EmailField(_("e-mail"), max_length=254)
    label = models.CharField(_("label"), max_length=30, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("e-mail address")
        verbose_name_plural = _("e-mail addresses")
        ordering = ["-is_primary", "email"]
        indexes = [models.Index(fields=["email"])]
        constraints = [
            models.UniqueConstraint(fields=["person", "email"], name="email_unique_per_person"),
            models.CheckConstraint(condition=Q(email__contains="@"), name="email_has_at_sign"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        # Domains are case-insensitive and so, in practice, are local parts.
        self.email = self.email.strip().lower()


class ContactPhone(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(
        _("phone number"), max_length=20, help_text=_("Stored in international E.164 form.")
    )
    label = models.CharField(_("label"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        indexes = [models.Index(fields=["number"])]
        constraints = [
            models.UniqueConstraint(fields=["person", "number"], name="phone_unique_per_person"),
            models.CheckConstraint(condition=Q(number__startswith="+"), name="phone_is_e164"),
        ]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        super().clean()
        try:
            self.number = normalize_phone(self.number)
        except ValidationError as exc:
            raise ValidationError({"number": exc.messages}) from None


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("economic buyer")
    TECHNICAL_BUYER = "technical_buyer", _("technical buyer")
    USER = "user", _("user")
    INFLUENCER = "influencer", _("influencer")
    GATEKEEPER = "gatekeeper", _("gatekeeper")
    CHAMPION = "champion", _("champion")


class Position(TenantOwned):
    """A job: a person at an organisation (optionally at one of its sites) for a time."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="positions"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="positions",
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="positions",
    )
    title = models.CharField(_("job title"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    buying_role = models.CharField(_("buying role"), max_length=20, choices=BuyingRole, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(
        _("end date"), null=True, blank=True, help_text=_("Empty while the job is current.")
    )

    #: Seen with its person: see lib.visibility.VisibleQuerySet.
    visible_through = "person"
    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = [F("end_date").desc(nulls_first=True), "-start_date"]
        indexes = [
            models.Index(fields=["organization", "end_date"]),
            models.Index(fields=["person", "end_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="position_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.title or _('position')} @ {self.organization}"

    @property
    def is_current(self) -> bool:
        return self.end_date is None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, StrOrPromise] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("A position cannot end before it starts.")
        if (
            self.site is not None
            and self.organization_id
            and self.site.organization_id != self.organization_id
        ):
            errors["site"] = _("The site belongs to another organisation.")
        if (
            self.buying_role
            and self.organization_id
            and self.organization.kind
            not in (Organization.Kind.CUSTOMER, Organization.Kind.PROSPECT)
        ):
            errors["buying_role"] = _("Buying roles exist only at customers and prospects.")
        if self.organization_id and self.person_id and not covers(self.organization, self.person):
            errors["organization"] = _(
                "%(org)s is visible to fewer people than %(name)s; share the organisation first."
            ) % {"org": self.organization.name, "name": self.person.full_name}
        if errors:
            raise ValidationError(errors)


class PrivateNote(TenantOwned):
    """A note on a (possibly shared) person that only its author ever sees.

    The shared Person stays one record per real person; what a user knows privately
    about them hangs off it here and is never shown to anyone else.
    """

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="private_notes"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("private note")
        verbose_name_plural = _("private notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "owner"])]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="private_note_not_empty")]

    def __str__(self) -> str:
        return f"{self.person}: {self.text[:40]}"
