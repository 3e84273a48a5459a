"""Demo projects: opportunities at the anchor customer and a few others, with both teams,
documents in versions, and document sends recorded through the real action.

Everything is chosen deterministically from the seed and the generated network, and
the queries touch only a handful of organisations, so it costs the same at 100,000
people as at 2,000.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db.models import Q

from geflecht.accounts.models import Tenant, User
from geflecht.lib.spreadsheet import safe_row
from geflecht.network.models import Relationship
from geflecht.people.models import BuyingRole, Organization, Position
from geflecht.projects import actions
from geflecht.projects.models import Project

# (name, stage, value in EUR, months to close, sub-project of the first one?)
_ANCHOR = [
    ("Inline-Messzelle Getriebegehäuse", "negotiation", 480_000, 2, False),
    ("Retrofit Koordinatenmessgerät Halle 3", "proposal", 95_000, 4, True),
]
_OTHERS = [
    ("Prüfstand Serienanlauf", "qualified", 260_000, 6),
    ("Rahmenvertrag Messtechnik-Service", "running", 120_000, 12),
    ("Rauheitsmessung Wellenfertigung", "lead", 75_000, 9),
]
_ROLE_ORDER = list(BuyingRole.values)


def _offer(project: str, version: int) -> bytes:
    lines = [
        "Brenner Präzisionsmesstechnik GmbH – Angebot",
        f"Projekt: {project}",
        f"Version {version}",
        "",
        "Pos. 1  Koordinatenmessgerät, Messbereich 1200 x 1000 x 800 mm",
        "Pos. 2  Messsoftware mit CAD-Anbindung, 2 Lizenzen",
        "Pos. 3  Inbetriebnahme und Schulung vor Ort, 3 Tage",
    ]
    if version > 1:
        lines.append("Pos. 4  Temperaturkompensation (neu in dieser Version)")
        lines.append("Rabatt: 4 % bei Auftrag bis Quartalsende")
    return ("\n".join(lines) + "\n").encode()


def _requirements(project: str) -> bytes:
    rows = [
        ("Merkmal", "Toleranz", "Prüfhäufigkeit"),
        ("Bohrung Ø 42 H7", "±0,012 mm", "100 %"),
        ("Planlauf Lagersitz", "0,008 mm", "jedes 10. Teil"),
        ("Rauheit Ra Dichtfläche", "0,4 µm", "Stichprobe"),
    ]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(map(safe_row, rows))
    return f"# Anforderungsliste {project}\n{out.getvalue()}".encode()


def _buying_centre(org_id: int, limit: int = 6) -> list[tuple[int, str]]:
    """(person id, buying role) of up to ``limit`` current staff, roles first."""
    staff = list(
        Position.objects.filter(
            organization_id=org_id, end_date__isnull=True, person__visibility="company"
        )
        .order_by("id")
        .values_list("person_id", "buying_role")[:60]
    )
    chosen: list[tuple[int, str]] = []
    seen: set[int] = set()
    for pid, role in sorted(
        staff, key=lambda r: (r[1] == "", _ROLE_ORDER.index(r[1]) if r[1] else 0)
    ):
        if pid in seen:
            continue
        seen.add(pid)
        chosen.append((pid, role or _ROLE_ORDER[len(chosen) % len(_ROLE_ORDER)]))
        if len(chosen) == limit:
            break
    return chosen


def _best_connected(tenant: Tenant, own_ids: set[int], theirs: list[int], k: int) -> list[int]:
    """Our colleagues with the strongest shared ties into ``theirs``, strongest first."""
    score: dict[int, float] = {}
    for a, b, s in (
        Relationship.objects.filter(visibility="company")
        .filter(Q(person_a_id__in=theirs) | Q(person_b_id__in=theirs))
        .values_list("person_a_id", "person_b_id", "strength")
    ):
        ours = a if a in own_ids else b if b in own_ids else None
        if ours is not None:
            score[ours] = score.get(ours, 0.0) + s
    return [p for p, _ in sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def build_projects(tenant: Tenant, org_ids, *, now: datetime, seed: int) -> dict[str, int]:
    """Create the demo projects; returns counts for the demo report."""
    users = list(User.objects.filter(tenant=tenant, person__isnull=False).order_by("id")[:2])
    if not users or len(org_ids) < 2:
        return {}
    rng = random.Random(seed * 7919 + 11)
    anna = users[0]
    jana = users[1] if len(users) > 1 else users[0]
    own_ids = set(
        Position.objects.filter(organization_id=int(org_ids[0]), end_date__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    today = now.date()
    counts = {"projects": 0, "documents": 0, "document_sends": 0}
    plans: list[tuple[Organization, str, str, int, int, bool]] = []
    anchor = Organization.objects.get(pk=int(org_ids[1]))
    for name, stage, value, months, sub in _ANCHOR:
        plans.append((anchor, name, stage, value, months, sub))
    others = list(
        Organization.objects.filter(tenant=tenant, kind=Organization.Kind.CUSTOMER)
        .exclude(pk=anchor.pk)
        .order_by("id")[:30]
    )
    picked = [o for o in others if len(_buying_centre(o.pk, 3)) >= 3][: len(_OTHERS)]
    for org, (name, stage, value, months) in zip(picked, _OTHERS, strict=False):
        plans.append((org, name, stage, value, months, False))

    first: Organization | None = None
    parent = None
    for org, name, stage, value, months, sub in plans:
        site = org.sites.order_by("id").first()
        if sub and parent is not None:
            # The sub-project runs at another site of the customer when it has one.
            site = org.sites.order_by("-id").first() or site
        project = actions.create_project(
            anna,
            org,
            name=name,
            stage=stage,
            value=Decimal(value),
            site=site,
            parent=parent if sub else None,
            start_date=today - timedelta(days=rng.randint(30, 200)),
            close_date=date.fromordinal(today.toordinal() + months * 30),
            description=f"{name} bei {org.name}" + (f", {site.name}" if site else "") + ".",
        )
        if first is None:
            first, parent = org, project
        counts["projects"] += 1
        theirs = _buying_centre(org.pk)
        for pid, role in theirs:
            actions.add_member(anna, project, _person(pid), role)
        team: list[tuple[int, str]] = []
        if org == anchor and anna.person_id and jana.person_id:
            team = [(anna.person_id, "account_owner"), (jana.person_id, "sales")]
        helpers = [
            p
            for p in _best_connected(tenant, own_ids, [pid for pid, _ in theirs], 3)
            if p not in {anna.person_id, jana.person_id}
        ]
        roles = ["application_engineer", "service", "management"]
        if org != anchor and helpers:
            team.append((helpers.pop(0), "account_owner"))
        team += list(zip(helpers[:2], roles, strict=False))
        for pid, role in team:
            actions.add_member(anna, project, _person(pid), role)
        # Documents: an offer in two versions and a requirements list.
        slug = "".join(c for c in name.lower().replace(" ", "-") if c.isalnum() or c == "-")[:40]
        offer = actions.upload_document(
            anna, project, ContentFile(_offer(name, 1), name=f"angebot-{slug}.txt"), title="Angebot"
        )
        offer2 = actions.upload_document(
            anna,
            project,
            ContentFile(_offer(name, 2), name=f"angebot-{slug}.txt"),
            document=offer.document,
            note="Temperaturkompensation ergänzt",
        )
        reqs = actions.upload_document(
            anna,
            project,
            ContentFile(_requirements(name), name=f"anforderungen-{slug}.csv"),
            title="Anforderungsliste",
        )
        counts["documents"] += 2
        recipients = [pid for pid, _ in theirs]
        if recipients:
            days = rng.randint(20, 60)
            sends = [
                (offer, recipients[:2], days),
                (reqs, recipients[1:4] or recipients[:1], days - 5),
                (offer2, recipients[:3], max(1, days - 15)),
            ]
            for version, to, ago in sends:
                actions.send_document(
                    anna,
                    version,
                    [_person(p) for p in to],
                    occurred_at=now - timedelta(days=ago, hours=rng.randint(0, 8)),
                    now=now,
                )
                counts["document_sends"] += 1
    return counts


def _person(pid: int):
    from geflecht.people.models import Person

    return Person.objects.get(pk=pid)


def sample_targets(user) -> str:
    """A target list to try the radar with: organisations the user knows, written a
    little differently (as a trade-fair list would), unknown firms, and one bad row."""
    from geflecht.people.queries import visible_organizations

    known = list(
        visible_organizations(user)
        .filter(kind__in=[Organization.Kind.CUSTOMER, Organization.Kind.PROSPECT])
        .prefetch_related("sites")
        .order_by("id")[:40]
    )
    rows = [("name", "city", "industry", "website")]
    for i, org in enumerate(known[:10]):
        site = next(iter(org.sites.all()), None)
        if site is None:
            continue
        name = org.name
        if i % 3 == 0:
            name = name.replace(" GmbH", "").replace(" AG", "").replace(" KG", "")
        elif i % 3 == 1:
            name = name.upper()
        rows.append((name, site.city, org.get_industry_display(), org.website))
    rows += [
        ("Voss Feinmechanik GmbH", "Kiel", "precision tools", "https://voss-feinmechanik.example"),
        ("Kessler Antriebstechnik AG", "Schweinfurt", "machine building", ""),
        ("Brandt Kunststoffteile", "Lüdenscheid", "plastics", ""),
        ("Hofer Medizintechnik", "", "medical", ""),  # no city: shows a row error
    ]
    out = io.StringIO()
    # Organisation names are users' input: written as text, never as formulas.
    csv.writer(out, lineterminator="\n").writerows(map(safe_row, rows))
    return out.getvalue()


def link_project_skills(tenant: Tenant, *, seed: int) -> int:
    """What each demo project asks of our team: two or three skills of the taxonomy,
    one of them (on the first project) a skill nobody of our company holds, so the skill
    matrix shows a gap a project needs. Runs after the demo skills exist."""
    from geflecht.people.models import Organization
    from geflecht.skills.models import PersonSkill, Skill

    skills = list(Skill.objects.filter(tenant=tenant).order_by("id"))
    if not skills:
        return 0
    held = set(
        PersonSkill.objects.filter(
            tenant=tenant, person__positions__organization__kind=Organization.Kind.OWN
        ).values_list("skill_id", flat=True)
    )
    has = [s for s in skills if s.pk in held] or skills
    missing = [s for s in skills if s.pk not in held and s.parent_id is not None]
    rng = random.Random(seed * 104729 + 3)
    n = 0
    for i, project in enumerate(Project.objects.filter(tenant=tenant).order_by("id")):
        chosen = rng.sample(has, k=min(len(has), 2 + i % 2))
        if i == 0 and missing:
            chosen.append(missing[0])
        project.skills_needed.set(chosen)
        n += len(chosen)
    return n
