"""Reads on the partner network: trust scores with their explanation, partner search.

Trust in [0, 1] is a weighted sum of four parts, each shown with its inputs:

- length of the partnership: 1 - exp(-years / 3) since the first joint project;
- joint projects: 1 - exp(-n / 3);
- ratings: the mean stars with a Bayesian prior (3 stars, worth 3 ratings), so a single
  5-star rating moves it only a little, mapped from 1..5 to 0..1;
- ties: the mean strength of the three strongest relationships between our people
  and theirs (those the user may see).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.lib import places
from geflecht.lib.errors import NotFound
from geflecht.lib.visibility import visible_q
from geflecht.network.models import Relationship
from geflecht.partners.models import JointProject, Rating
from geflecht.people.models import Organization, Person, Position, Site
from geflecht.people.queries import visible_organizations, visible_people
from geflecht.skills import matching
from geflecht.skills.models import OrganizationCapability
from geflecht.skills.queries import resolve_place

PARTNER_KINDS = (Organization.Kind.PARTNER, Organization.Kind.SUPPLIER)
WEIGHTS = {"length": 0.15, "projects": 0.20, "ratings": 0.40, "ties": 0.25}
LENGTH_SCALE_YEARS = 3.0
PROJECT_SCALE = 3.0
PRIOR_STARS = 3.0
PRIOR_WEIGHT = 3.0
TOP_TIES = 3


def partner_organizations(user: User) -> QuerySet[Organization]:
    """Partner and supplier firms of the tenant that the user may see."""
    return visible_organizations(user).filter(kind__in=PARTNER_KINDS)


def partner(user: User, pk: int) -> Organization:
    org = visible_organizations(user).filter(pk=pk).first()
    if org is None:
        raise NotFound(_("No organisation with id %(id)s.") % {"id": pk})
    return org


def joint_projects(user: User, org: Organization | None = None) -> QuerySet[JointProject]:
    """Joint projects with partner firms the user may see: a project with a colleague's
    private firm is as absent as the firm."""
    rows = (
        JointProject.objects.filter(tenant_id=user.tenant_pk)
        .filter(visible_q(user, "partner"))
        .select_related("partner")
    )
    return rows.filter(partner=org) if org is not None else rows


def joint_project(user: User, pk: int) -> JointProject:
    project = joint_projects(user).filter(pk=pk).first()
    if project is None:
        raise NotFound(_("No joint project with id %(id)s.") % {"id": pk})
    return project


def project_people(user: User, project: JointProject) -> tuple[list[Person], list[Person]]:
    """Both sides' contact people, as far as the user may see them."""
    seen = visible_people(user)
    return (
        list(seen.filter(pk__in=project.our_people.values("pk"))),
        list(seen.filter(pk__in=project.their_people.values("pk"))),
    )


def project_ratings(user: User, project: JointProject) -> list[Rating]:
    return list(Rating.objects.filter(project=project).select_related("by"))


# ---------------------------------------------------------------------------- trust
@dataclass(frozen=True)
class TrustPart:
    name: str
    value: float  # in [0, 1]
    weight: float
    text: str


@dataclass(frozen=True)
class Trust:
    organization_id: int
    score: float
    parts: tuple[TrustPart, ...]

    def explain(self) -> list[str]:
        return [f"{p.text} → {p.value:.2f} × {p.weight:.2f}" for p in self.parts] + [
            _("trust %(score).2f") % {"score": self.score}
        ]


def trust_scores(
    user: User, orgs: Iterable[Organization], *, today: date | None = None
) -> dict[int, Trust]:
    """Trust of each organisation, explained, in four queries for any number of firms."""
    today = today or timezone.localdate()
    orgs = list(orgs)
    ids = [o.pk for o in orgs]
    first_start: dict[int, date] = {}
    n_projects: dict[int, int] = defaultdict(int)
    for org_id, start in JointProject.objects.filter(
        tenant_id=user.tenant_pk, partner_id__in=ids
    ).values_list("partner_id", "start_date"):
        n_projects[org_id] += 1
        if org_id not in first_start or start < first_start[org_id]:
            first_start[org_id] = start
    stars: dict[int, list[float]] = defaultdict(list)
    for org_id, q, t, c in Rating.objects.filter(
        tenant_id=user.tenant_pk, project__partner_id__in=ids
    ).values_list("project__partner_id", "quality", "on_time", "communication"):
        stars[org_id].append((q + t + c) / 3)
    ties = _ties(user, ids)
    out = {}
    for org in orgs:
        years = (today - first_start[org.pk]).days / 365.25 if org.pk in first_start else 0.0
        n = n_projects.get(org.pk, 0)
        rated = stars.get(org.pk, [])
        bayes = (PRIOR_STARS * PRIOR_WEIGHT + sum(rated)) / (PRIOR_WEIGHT + len(rated))
        best = ties.get(org.pk, [])
        tie_value = sum(s for s, _a, _b in best) / TOP_TIES
        if org.pk in first_start:
            length_text = _("partners for %(years).1f years (since %(date)s)") % {
                "years": years,
                "date": first_start[org.pk].isoformat(),
            }
        else:
            length_text = _("no joint project yet")
        if rated:
            rating_text = _(
                "%(n)s ratings, mean %(mean).1f stars; with a prior of %(prior).0f stars worth "
                "%(weight).0f ratings: %(bayes).2f"
            ) % {
                "n": len(rated),
                "mean": sum(rated) / len(rated),
                "prior": PRIOR_STARS,
                "weight": PRIOR_WEIGHT,
                "bayes": bayes,
            }
        else:
            rating_text = _("no ratings yet: the prior of %(prior).0f stars") % {
                "prior": PRIOR_STARS
            }
        if best:
            tie_text = _("strongest ties between our people and theirs: %(ties)s") % {
                "ties": ", ".join(f"{a}–{b} {s:.2f}" for s, a, b in best)
            }
        else:
            tie_text = _("no known ties between our people and theirs")
        parts = (
            TrustPart("length", 1 - math.exp(-years / LENGTH_SCALE_YEARS), WEIGHTS["length"],
                      length_text),
            TrustPart("projects", 1 - math.exp(-n / PROJECT_SCALE), WEIGHTS["projects"],
                      _("%(n)s joint projects") % {"n": n}),
            TrustPart("ratings", (bayes - 1) / 4, WEIGHTS["ratings"], rating_text),
            TrustPart("ties", tie_value, WEIGHTS["ties"], tie_text),
        )  # fmt: skip
        score = sum(p.value * p.weight for p in parts)
        out[org.pk] = Trust(org.pk, round(score, 4), parts)
    return out


def trust_score(user: User, org: Organization) -> Trust:
    return trust_scores(user, [org])[org.pk]


def _ties(user: User, org_ids: list[int]) -> dict[int, list[tuple[float, str, str]]]:
    """Per firm, the strongest relationships (visible to the user) between our own
    company's people and the firm's, with both people's names."""
    if not org_ids:
        return {}
    staff = dict(
        Position.objects.filter(
            tenant_id=user.tenant_pk, organization_id__in=org_ids, end_date__isnull=True
        ).values_list("person_id", "organization_id")
    )
    ours = set(
        Position.objects.filter(
            tenant_id=user.tenant_pk,
            organization__kind=Organization.Kind.OWN,
            end_date__isnull=True,
        ).values_list("person_id", flat=True)
    )
    if not staff or not ours:
        return {}
    theirs = list(staff)
    rels = list(
        Relationship.objects.filter(tenant_id=user.tenant_pk)
        .filter(visible_q(user))
        .filter(
            Q(person_a_id__in=ours, person_b_id__in=theirs)
            | Q(person_a_id__in=theirs, person_b_id__in=ours)
        )
        .values_list("person_a_id", "person_b_id", "strength")
    )
    shown = set(
        visible_people(user)
        .filter(pk__in={p for a, b, _s in rels for p in (a, b)})
        .values_list("pk", flat=True)
    )
    per_org: dict[int, dict[tuple[int, int], float]] = defaultdict(dict)
    for a, b, strength in rels:
        if a not in shown or b not in shown:
            continue
        us, them = (a, b) if a in ours else (b, a)
        key = (us, them)
        org = staff[them]
        per_org[org][key] = max(per_org[org].get(key, 0.0), strength)
    top = {
        org: sorted(((s, u, t) for (u, t), s in pairs.items()), reverse=True)[:TOP_TIES]
        for org, pairs in per_org.items()
    }
    names = {
        p.pk: p.full_name
        for p in Person.objects.filter(
            pk__in={x for v in top.values() for _s, u, t in v for x in (u, t)}
        )
    }
    return {org: [(s, names[u], names[t]) for s, u, t in v] for org, v in top.items()}


# ---------------------------------------------------------------------- partner search
@dataclass(frozen=True)
class PartnerHit:
    organization: Organization
    score: float
    capabilities: tuple[str, ...]
    distance_km: float | None
    city: str
    trust: Trust

    @property
    def reasons(self) -> list[str]:
        out = list(self.capabilities)
        if self.distance_km is not None:
            out.append(
                _("%(km)s km away (%(city)s)") % {"km": round(self.distance_km), "city": self.city}
            )
        out.append(_("trust %(score).2f") % {"score": self.trust.score})
        return out


@dataclass(frozen=True)
class PartnerResult:
    query: str
    interpretation: matching.Interpretation
    place: places.Place | None
    radius_km: float | None
    total: int
    hits: list[PartnerHit] = field(default_factory=list)


TRUST_FLOOR = 0.5


def find_partners(
    user: User,
    text: str,
    *,
    near: str | None = None,
    radius_km: float | None = None,
    limit: int = 20,
    offset: int = 0,
    lang: str = "en",
) -> PartnerResult:
    """Partner and supplier firms that can do what ``text`` asks, ranked by
    capability match x distance x trust, each with its reasons.

    Capability match: per skill asked for, the firm's best capability level / 5 (a
    sub-skill counts 0.9), averaged; distance: the firm's nearest site, within
    ``radius_km`` of ``near``, from 1 at the place down to 0.5 at the edge; trust t
    gives 0.5 + 0.5 t.
    """
    from django.core.exceptions import ValidationError

    place = resolve_place(user.tenant_pk, near) if near else None
    if place is not None and radius_km is None:
        radius_km = 100.0
    if radius_km is not None and radius_km <= 0:
        raise ValidationError(_("The radius must be more than 0 km."), code="radius")
    tax = matching.taxonomy(user.tenant_pk)
    reading = matching.interpret(tax, text)
    result = PartnerResult(text, reading, place, radius_km, 0)
    if not reading.matches:
        return result
    wanted = {s for m in reading.matches for s in m.skills}
    caps = list(
        OrganizationCapability.objects.filter(
            tenant_id=user.tenant_pk,
            skill_id__in=wanted,
            organization__in=partner_organizations(user),
        ).values_list("organization_id", "skill_id", "level", "note")
    )
    by_org: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for org_id, skill_id, level, note in caps:
        by_org[org_id].append((skill_id, level, note))
    match_score: dict[int, float] = {}
    reasons: dict[int, list[str]] = {}
    for org_id, rows in by_org.items():
        total, why = 0.0, []
        for m in reading.matches:
            best = max(
                ((level / 5 * m.skills.get(sid, 0), sid, level, note) for sid, level, note in rows),
                default=(0.0, None, 0, ""),
            )
            total += best[0]
            if best[1] is not None and best[0] > 0:
                skill = tax.skills[best[1]]
                name = skill.name_en if lang.startswith("en") else skill.name_de
                why.append(
                    _("%(skill)s, level %(level)s/5 (matches “%(terms)s”)")
                    % {"skill": name, "level": best[2], "terms": m.terms}
                    + (f"; {best[3]}" if best[3] else "")
                )
        match_score[org_id] = total / len(reading.matches)
        reasons[org_id] = why
    distance: dict[int, tuple[float, str]] = {}
    if place is not None and radius_km is not None:
        sites = list(
            Site.objects.filter(
                organization_id__in=list(by_org), latitude__isnull=False
            ).values_list("organization_id", "latitude", "longitude", "city")
        )
        if sites:
            lat = np.array([s[1] for s in sites])
            lon = np.array([s[2] for s in sites])
            d = places.haversine_km(place.latitude, place.longitude, lat, lon)
            for (org_id, _la, _lo, city), km in zip(sites, np.atleast_1d(d).tolist(), strict=True):
                if org_id not in distance or km < distance[org_id][0]:
                    distance[org_id] = (km, city)
        keep = {o for o, (km, _c) in distance.items() if km <= radius_km}
        match_score = {
            o: s * (1 - 0.5 * distance[o][0] / radius_km)
            for o, s in match_score.items()
            if o in keep
        }
    candidates = [o for o, s in match_score.items() if s > 0]
    orgs = Organization.objects.in_bulk(candidates)
    trust = trust_scores(user, orgs.values())
    scored = sorted(
        (
            (match_score[o] * (TRUST_FLOOR + (1 - TRUST_FLOOR) * trust[o].score), o)
            for o in candidates
        ),
        key=lambda x: (-x[0], orgs[x[1]].name),
    )
    hits = [
        PartnerHit(
            orgs[o],
            round(score, 4),
            tuple(reasons[o]),
            distance[o][0] if o in distance else None,
            distance[o][1] if o in distance else "",
            trust[o],
        )
        for score, o in scored[offset : offset + limit]
    ]
    return PartnerResult(text, reading, place, radius_km, len(candidates), hits)


@dataclass(frozen=True)
class PartnerRow:
    organization: Organization
    projects: int
    trust: Trust


def partner_list(user: User, *, limit: int = 50, offset: int = 0) -> tuple[int, list[PartnerRow]]:
    """Partner and supplier firms: those we worked with first, by trust; then the rest by name."""
    orgs = list(partner_organizations(user).order_by("name", "id"))
    counts: dict[int, int] = defaultdict(int)
    for pid in JointProject.objects.filter(tenant_id=user.tenant_pk).values_list(
        "partner_id", flat=True
    ):
        counts[pid] += 1
    worked = [o for o in orgs if counts[o.pk]]
    trust = trust_scores(user, worked)
    worked.sort(key=lambda o: -trust[o.pk].score)
    page = (worked + [o for o in orgs if not counts[o.pk]])[offset : offset + limit]
    trust.update(trust_scores(user, [o for o in page if o.pk not in trust]))
    return len(orgs), [PartnerRow(o, counts[o.pk], trust[o.pk]) for o in page]
