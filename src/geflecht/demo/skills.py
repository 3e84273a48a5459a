"""Demo skills and partners: who can do what, what partner firms can do, how projects went.

Skills follow the person's department and their firm's industry (a Fertigung person at a
tool maker mills and erodes, one at a plastics firm does injection moulding); the
interaction subjects of the generated network then add derived evidence through the
real action. Deterministic from the seed; one pass of bulk inserts, so 100k people take
seconds.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from geflecht.accounts.models import Tenant, User
from geflecht.lib.bulk import insert_rows
from geflecht.lib.places import gazetteer, haversine_km
from geflecht.partners.models import JointProject, Rating
from geflecht.people.models import Organization, Position, Site
from geflecht.skills.actions import (
    PERSON_SKILL_COLUMNS,
    derive_from_interactions,
    load_starter_taxonomy,
)
from geflecht.skills.models import Endorsement, OrganizationCapability, PersonSkill, Skill

BY_DEPARTMENT = {
    "Geschäftsführung": ("management", "projektmanagement", "vertrieb", "export", "lean"),
    "Einkauf": ("einkauf", "angebotswesen", "logistik", "export", "erp"),
    "Finanzen": ("erp", "angebotswesen", "management"),
    "Konstruktion": ("cad", "solidworks", "siemens-nx", "catia", "inventor", "fem", "werkstoffe"),
    "Fertigung": ("montage", "lean", "cnc-fraesen", "drehen"),
    "Qualitätssicherung": (
        "iso-9001", "koordinatenmesstechnik", "fmea", "six-sigma", "ppap", "kalibrierung",
    ),
    "Instandhaltung": ("hydraulik", "siemens-s7", "antriebstechnik", "retrofit"),
    "Vertrieb": ("technischer-vertrieb", "export", "messen-vertrieb", "angebotswesen"),
    "Anwendungstechnik": ("inbetriebnahme", "twincat", "siemens-s7", "bildverarbeitung", "robotik"),
    "Service": ("inbetriebnahme", "retrofit", "kalibrierung", "siemens-s7", "twincat"),
    "Arbeitsvorbereitung": ("cam", "erp", "lean", "projektmanagement"),
    "IT": ("erp", "codesys"),
    "Logistik": ("logistik", "export", "erp"),
}  # fmt: skip
# What a firm's industry adds to its technical people, and what the firm offers.
BY_INDUSTRY = {
    "machine_building": ("5-achs-fraesen", "cnc-fraesen", "schleifen", "montage", "siemens-s7"),
    "tool_making": ("werkzeugbau", "erodieren", "hsc-fraesen", "5-achs-fraesen", "schleifen"),
    "precision_tools": ("schleifen", "drehen", "5-achs-fraesen", "erodieren", "oberflaeche"),
    "weighing_measuring": ("waegetechnik", "kalibrierung", "sensorik", "koordinatenmesstechnik"),
    "plastics": ("spritzguss", "werkzeugbau", "additiv"),
    "automotive": ("iatf-16949", "mag-schweissen", "stanzen", "ppap", "laserschweissen"),
    "electronics": ("twincat", "siemens-s7", "elektrokonstruktion", "bildverarbeitung"),
    "metalworking": ("laserschneiden", "abkanten", "wig-schweissen", "mag-schweissen", "stanzen"),
    "medical": ("iso-13485", "drehen", "optische-messtechnik"),
    "food": ("hydraulik", "antriebstechnik"),
    "software": ("erp", "codesys", "bildverarbeitung"),
    "logistics": ("logistik", "export"),
}
TECHNICAL = {"Fertigung", "Konstruktion", "Anwendungstechnik", "Service", "Arbeitsvorbereitung"}
NOTES = {
    "5-achs-fraesen": ("Titan und Inconel", "Aluminium-Strukturteile", "Hermle C42, Titan"),
    "cnc-fraesen": ("Edelstahl", "Aluminium", "Heidenhain TNC 640"),
    "drehen": ("Titan-Implantate", "Edelstahl", "Langdrehen"),
    "schleifen": ("Hartmetall", "Rundschleifen auf Studer"),
    "spritzguss": ("2K-Spritzguss", "PEEK und PA66", "Engel, Arburg"),
    "laserschneiden": ("Edelstahl bis 20 mm", "Trumpf TruLaser"),
    "siemens-s7": ("TIA Portal V18", "S7-1500"),
    "twincat": ("TwinCAT 3, NC PTP",),
}
PROJECT_TITLES = (
    "Lohnfertigung Gehäuseteile", "Prototypen Messkopf", "Serienbearbeitung Grundplatten",
    "Laserzuschnitte Verkleidung", "Steuerungsumbau Prüfstand", "Spritzgussteile Displayrahmen",
    "Kalibrierservice Außendienst", "Software-Schnittstelle ERP", "Schweißbaugruppen Rahmen",
    "Erodierte Einsätze Formwerkzeug",
)  # fmt: skip


def add_demo_skills(tenant: Tenant, plan, *, seed: int, now, stamp: str) -> dict[str, int]:
    """Taxonomy, person skills, endorsements, capabilities, joint projects and ratings."""
    rng = np.random.default_rng(seed + 9)
    load_starter_taxonomy(tenant)
    key_to_id = dict(Skill.objects.filter(tenant=tenant).values_list("key", "id"))
    own_org = int(plan.org_ids[0])
    rows = []
    seen = set()
    current = Position.objects.filter(tenant=tenant, end_date__isnull=True).order_by("id")
    people = list(
        current.values_list("person_id", "department", "organization__industry", "organization_id")
    )
    u = rng.random((len(people), 4))
    levels = rng.integers(2, 6, size=(len(people), 3))
    for j, (pid, dept, industry, org) in enumerate(people):
        own = org == own_org
        # Not everybody's skills are known: most of ours, a third of the outside world.
        if not own and u[j, 0] > 0.35:
            continue
        pool = list(BY_DEPARTMENT.get(dept, ()))
        if dept in TECHNICAL or own:
            pool += BY_INDUSTRY.get(industry, ())
        if not pool:
            continue
        n = 1 + int(u[j, 1] * (3 if own else 2))
        picks = {pool[int(x * len(pool))] for x in rng.random(n).tolist()}
        for k, key in enumerate(sorted(picks)):
            if (pid, key) in seen or key not in key_to_id:
                continue
            seen.add((pid, key))
            notes = NOTES.get(key)
            note = notes[int(u[j, 2] * len(notes))] if notes and u[j, 3] < 0.5 else ""
            rows.append(
                (
                    tenant.id,
                    pid,
                    key_to_id[key],
                    int(levels[j, k % 3]),
                    True,
                    note,
                    "{}",
                    0.0,
                    stamp,
                    stamp,
                )
            )
    counts = {
        "person skills": insert_rows(
            PersonSkill,
            PERSON_SKILL_COLUMNS,
            rows,
        )
    }
    counts["endorsements"] = _endorsements(tenant, own_org, rng)
    counts["capabilities"] = _capabilities(tenant, key_to_id, rng, stamp)
    counts["showcase skills"] = _showcase(tenant, key_to_id, stamp)
    counts["joint projects"], counts["ratings"] = _partners(tenant, own_org, rng, now)
    derived = derive_from_interactions(tenant.id)
    counts["derived person skills"] = derived.person_skills
    return counts


#: The issue's own questions must find something in every demo, even with 200 people:
#: firms within this distance of Stuttgart get laser cutting or injection moulding.
SHOWCASE: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("laserschneiden", "abkanten"), ("metalworking", "precision_tools", "tool_making")),
    (("spritzguss", "werkzeugbau"), ("plastics", "tool_making")),
    (("5-achs-fraesen",), ("precision_tools", "tool_making", "metalworking")),
)
SHOWCASE_KM = 100


def _showcase(tenant: Tenant, key_to_id: dict[str, int], stamp: str) -> int:
    """Give the partner and supplier firms nearest to Stuttgart the capabilities (and two
    of their people the skills) that "laser cutting near Stuttgart" asks for."""
    stuttgart = gazetteer()["Stuttgart"]
    sites = list(
        Site.objects.filter(
            tenant=tenant,
            latitude__isnull=False,
            organization__kind__in=[Organization.Kind.PARTNER, Organization.Kind.SUPPLIER],
        )
        .order_by("id")
        .values_list("organization_id", "latitude", "longitude", "organization__industry")
    )
    by_distance = sorted(
        (haversine_km(stuttgart.latitude, stuttgart.longitude, lat, lon), org, industry)
        for org, lat, lon, industry in sites
    )
    near = [(org, industry) for km, org, industry in by_distance if km <= SHOWCASE_KM]
    chosen: list[tuple[int, tuple[str, ...]]] = []
    for _round in range(2):
        for keys, industries in SHOWCASE:
            used = {org for org, _k in chosen}
            fitting = [o for o, ind in near if o not in used and ind in industries]
            rest = [o for o, _ind in near if o not in used]
            # The nearest fitting firm; an unfitting one only if nothing fits at all.
            pick = fitting or (rest if _round == 0 else [])
            if pick:
                chosen.append((pick[0], keys))
    caps, people = [], []
    have = set(
        OrganizationCapability.objects.filter(tenant=tenant).values_list(
            "organization_id", "skill_id"
        )
    )
    held = set(PersonSkill.objects.filter(tenant=tenant).values_list("person_id", "skill_id"))
    for i, (org, keys) in enumerate(chosen):
        staff = list(
            Position.objects.filter(organization_id=org, end_date__isnull=True)
            .order_by("id")
            .values_list("person_id", flat=True)[:2]
        )
        for key in keys:
            sid = key_to_id[key]
            if (org, sid) not in have:
                caps.append((tenant.id, org, sid, 5 - i % 2, "", stamp, stamp))
            for pid in staff:
                if (pid, sid) not in held:
                    held.add((pid, sid))
                    people.append((tenant.id, pid, sid, 4, True, "", "{}", 0.0, stamp, stamp))
    insert_rows(
        OrganizationCapability,
        ["tenant", "organization", "skill", "level", "note", "created_at", "updated_at"],
        caps,
    )
    return insert_rows(
        PersonSkill,
        PERSON_SKILL_COLUMNS,
        people,
    )


def _endorsements(tenant: Tenant, own_org: int, rng) -> int:
    """The demo users vouch for colleagues' declared skills."""
    users = list(User.objects.filter(tenant=tenant, person__isnull=False).order_by("id"))
    rows = list(
        PersonSkill.objects.filter(
            tenant=tenant,
            person__positions__organization_id=own_org,
            person__positions__end_date__isnull=True,
        )
        .order_by("id")
        .values_list("id", "person_id")[:400]
    )
    out = []
    for user in users:
        for ps_id, pid in rows:
            if pid != user.person_id and rng.random() < 0.12:
                out.append(Endorsement(tenant=tenant, person_skill_id=ps_id, by=user))
    Endorsement.objects.bulk_create(out, ignore_conflicts=True)
    return len(out)


def _capabilities(tenant: Tenant, key_to_id: dict[str, int], rng, stamp: str) -> int:
    orgs = Organization.objects.filter(
        tenant=tenant,
        kind__in=[Organization.Kind.PARTNER, Organization.Kind.SUPPLIER, Organization.Kind.OWN],
    ).order_by("id")
    rows = []
    for org_id, industry in orgs.values_list("id", "industry"):
        offer = BY_INDUSTRY.get(industry, ())
        for key in offer:
            if rng.random() < 0.6 and key in key_to_id:
                rows.append(
                    (tenant.id, org_id, key_to_id[key], int(rng.integers(2, 6)), "", stamp, stamp)
                )
    return insert_rows(
        OrganizationCapability,
        ["tenant", "organization", "skill", "level", "note", "created_at", "updated_at"],
        rows,
    )


def _partners(tenant: Tenant, own_org: int, rng, now) -> tuple[int, int]:
    """Joint projects with (at most 150) partner firms; the finished ones are rated."""
    partners = list(
        Organization.objects.filter(tenant=tenant, kind=Organization.Kind.PARTNER)
        .order_by("id")
        .values_list("id", flat=True)[:150]
    )
    ours = list(
        Position.objects.filter(
            organization_id=own_org,
            end_date__isnull=True,
            department__in=["Vertrieb", "Konstruktion", "Einkauf", "Anwendungstechnik"],
        )
        .order_by("id")
        .values_list("person_id", flat=True)
    )
    staff: dict[int, list[int]] = {}
    for org, pid in (
        Position.objects.filter(organization_id__in=partners, end_date__isnull=True)
        .order_by("id")
        .values_list("organization_id", "person_id")
    ):
        staff.setdefault(org, []).append(pid)
    users = list(User.objects.filter(tenant=tenant).order_by("id"))
    projects, ratings = 0, 0
    for org in partners:
        for _ in range(int(rng.integers(0, 4))):
            start = (now - timedelta(days=int(rng.integers(60, 5 * 365)))).date()
            finished = rng.random() < 0.7
            end = start + timedelta(days=int(rng.integers(30, 400))) if finished else None
            if end is not None and end > now.date():
                end, finished = None, False
            jp = JointProject.objects.create(
                tenant=tenant,
                partner_id=org,
                title=PROJECT_TITLES[int(rng.integers(len(PROJECT_TITLES)))],
                start_date=start,
                end_date=end,
                status=JointProject.Status.FINISHED if finished else JointProject.Status.RUNNING,
            )
            projects += 1
            if ours:
                jp.our_people.set(rng.choice(ours, size=min(2, len(ours)), replace=False).tolist())
            theirs = staff.get(org, [])
            if theirs:
                jp.their_people.set(theirs[: int(rng.integers(1, 3))])
            if finished:
                # A partner is good or weak on the whole; its projects vary around that.
                base = 2.5 + (org % 5) * 0.5
                for user in users:
                    if rng.random() < 0.6:
                        stars = np.clip(np.round(base + rng.normal(0, 0.8, 3)), 1, 5).astype(int)
                        Rating.objects.create(
                            tenant=tenant,
                            project=jp,
                            by=user,
                            quality=int(stars[0]),
                            on_time=int(stars[1]),
                            communication=int(stars[2]),
                        )
                        ratings += 1
    return projects, ratings
