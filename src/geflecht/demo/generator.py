"""A seeded generator of a realistic German Mittelstand network.

Our own company (a maker of precision measuring devices) plus customers, prospects,
partners, suppliers, a competitor and associations in machine building, tool making,
precision tools, weighing/measuring and plastics; their sites in real German, Austrian
and Swiss cities; people with German names, positions with departments and buying
roles, job changes; three years of interactions in which e-mails far outnumber
in-person meetings; trade fairs with hundreds of attendees.

It streams: people are generated and written in chunks, relationships are created
by each person towards people generated before them (so every pair is produced once,
canonical and without a global set), and rows go to the database through
:mod:`geflecht.lib.bulk` (COPY on PostgreSQL), so one million people fit in bounded
memory. The same seed gives the same network.
"""

from __future__ import annotations

import math
import random
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from faker.providers.person.de_AT import Provider as AustrianNames
from faker.providers.person.de_CH import Provider as SwissNames
from faker.providers.person.de_DE import Provider as GermanNames

from geflecht.accounts.actions import add_to_team, link_person
from geflecht.accounts.models import Tenant
from geflecht.capture import actions as capture_actions
from geflecht.demo import data
from geflecht.demo.events import add_events_and_intros
from geflecht.demo.projects import build_projects, link_project_skills
from geflecht.demo.skills import add_demo_skills
from geflecht.lib.bulk import deferred_indexes, insert_rows, next_id, reset_sequences
from geflecht.network.actions import recompute_all_strengths
from geflecht.network.models import (
    Interaction,
    InteractionParticipant,
    Relationship,
)
from geflecht.people.models import (
    ContactEmail,
    ContactPhone,
    Organization,
    Person,
    Position,
    PrivateNote,
    Site,
)
from geflecht.privacy.actions import record_missing_legal_bases
from geflecht.projects.evidence import derive_from_projects

ProgressFn = Callable[[str, int, int], None]

CHUNK = 20_000
POSITION_COLUMNS = [
    "id", "tenant", "person", "organization", "site", "title", "department", "buying_role",
    "start_date", "end_date", "created_at", "updated_at",
]  # fmt: skip
INTERACTION_COLUMNS = [
    "id",
    "tenant",
    "kind",
    "occurred_at",
    "duration_minutes",
    "location",
    "site",
    "subject",
    "source",
    "external_id",
    "owner",
    "visibility",
    "created_at",
    "updated_at",
    "participant_count",
]
KINDS = ("customer", "prospect", "partner", "supplier", "competitor", "association")
KIND_P = (0.40, 0.25, 0.12, 0.19, 0.02, 0.02)
INDUSTRIES_BY_KIND = {
    "customer": (
        "machine_building",
        "tool_making",
        "automotive",
        "plastics",
        "medical",
        "food",
        "metalworking",
    ),
    "prospect": ("machine_building", "automotive", "plastics", "medical", "food", "tool_making"),
    "partner": ("software", "electronics", "metalworking", "tool_making", "precision_tools"),
    "supplier": ("precision_tools", "metalworking", "electronics", "plastics", "logistics"),
    "competitor": ("weighing_measuring",),
    "association": ("association",),
}
# Interaction channels and how often each occurs in business ties: e-mail dominates,
# in-person meetings are rare (principle 2 of DESIGN.md makes them count most).
CHANNELS = ("email", "phone", "video", "meeting", "message")
CHANNEL_P_BUSINESS = (0.52, 0.19, 0.12, 0.09, 0.08)
CHANNEL_P_COLLEAGUE = (0.45, 0.15, 0.15, 0.15, 0.10)
DURATION = {"meeting": (30, 180), "video": (15, 75), "phone": (3, 40)}
SUBJECTS = {
    "email": (
        "Angebot {n}",
        "Rückfrage zu Zeichnung {n}",
        "Liefertermin Auftrag {n}",
        "Kalibrierzertifikate",
        "Preisanfrage {n}",
        "Reklamation {n}",
        "Protokoll Abstimmung",
    ),
    "phone": (
        "Telefonat Liefertermin",
        "Rückruf Angebot {n}",
        "Kurze Abstimmung",
        "Service-Einsatz",
    ),
    "video": ("Teams: Projektabstimmung", "Videocall Lastenheft", "Online-Demo Messsystem"),
    "meeting": (
        "Besuch vor Ort",
        "Werksbesichtigung",
        "Abnahme FAT",
        "Jahresgespräch",
        "Technisches Gespräch",
        "Schulung Messsystem",
    ),
    "message": ("Kurznachricht", "Nachricht wegen Termin"),
}


@dataclass(frozen=True)
class DemoOptions:
    people: int = 2000
    seed: int = 42
    mean_degree: float = 20.0
    years: int = 3
    interactions_per_tie: float | None = None
    now: datetime | None = None
    tenant_slug: str = "demo"

    def ties_interactions(self) -> float:
        """Average logged interactions per relationship; thinner on huge networks."""
        if self.interactions_per_tie is not None:
            return self.interactions_per_tie
        return 3.0 if self.people <= 20_000 else max(0.3, 3.0 * 20_000 / self.people)


@dataclass
class DemoResult:
    tenant: Tenant
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)


def ascii_fold(text: str) -> str:
    """'Müller' -> 'mueller', 'Weiß' -> 'weiss': how German names become mail addresses."""
    text = text.lower()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text if ch.isalnum() or ch in ".-")


def _tz_suffix() -> str:
    # Django keeps SQLite datetimes as naive UTC text; PostgreSQL wants the offset.
    return "+00:00" if connection.vendor == "postgresql" else ""


def _utc_text(seconds: np.ndarray) -> list[str]:
    """Unix seconds -> UTC datetime text in the form the database backend stores."""
    stamps = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    suffix = _tz_suffix()
    return [s.replace("T", " ") + suffix for s in stamps.tolist()]


class _Names:
    """Weighted German, Austrian and Swiss names drawn with one numpy generator."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        common = list(data.COMMON_SURNAMES)
        rest = [n for n in GermanNames.last_names + AustrianNames.last_names if n not in common]
        self.last = np.array(common + sorted(set(rest)))
        ranks = np.arange(1, len(common) + 1)
        weights = np.concatenate([1.0 / ranks**0.7, np.full(len(self.last) - len(common), 0.012)])
        self.last_cdf = np.cumsum(weights) / weights.sum()
        # Faker's lists contain abbreviations such as "Hans-J."; people sign with full names.
        full = lambda names: np.array([n for n in names if not n.endswith(".")])  # noqa: E731
        self.first = {
            "DE": (full(GermanNames.first_names_male), full(GermanNames.first_names_female)),
            "AT": (full(AustrianNames.first_names_male), full(AustrianNames.first_names_female)),
            "CH": (full(SwissNames.first_names_male), full(SwissNames.first_names_female)),
        }

    def draw(self, countries: list[str], female: np.ndarray) -> tuple[list[str], list[str]]:
        n = len(countries)
        last = self.last[np.searchsorted(self.last_cdf, self.rng.random(n))].tolist()
        pick = self.rng.random(n)
        first = []
        for country, is_f, u in zip(countries, female.tolist(), pick.tolist(), strict=True):
            pool = self.first.get(country, self.first["DE"])[1 if is_f else 0]
            first.append(str(pool[int(u * len(pool))]))
        return first, last


@dataclass
class _Plan:
    """Everything decided about organisations before people are streamed."""

    org_ids: np.ndarray
    org_kind: list[str]
    org_start: np.ndarray
    org_country: list[str]
    org_domain: list[str]
    site_ids_by_org: list[list[int]]
    site_city: dict[int, str]
    own_size: int


class DemoGenerator:
    def __init__(self, options: DemoOptions, progress: ProgressFn | None = None):
        self.o = options
        self.rng = np.random.default_rng(options.seed)
        self.py = random.Random(options.seed)
        self.progress = progress or (lambda phase, done, total: None)
        now = options.now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.now = now.astimezone(UTC)
        self.now_s = int(self.now.timestamp())
        self.window_s = options.years * 365 * 86400
        # Every generated row's created_at/updated_at.
        self._stamp = self._ts(self.now_s)
        self.names = _Names(self.rng)
        self.counts: dict[str, int] = {}

    # -- organisations and sites -------------------------------------------------------
    def _plan_organizations(self, tenant: Tenant) -> _Plan:
        n = self.o.people
        own = int(np.clip(round(n * 0.05), min(25, max(2, n // 3)), 400))
        sizes = [own]
        remaining = n - own
        while remaining > 0:
            size = int(np.clip(self.rng.lognormal(2.6, 1.0), 2, 3000))
            size = min(size, remaining)
            sizes.append(size)
            remaining -= size
        n_org = len(sizes)
        kinds = ["own", *self.rng.choice(KINDS, size=n_org - 1, p=KIND_P).tolist()]
        if n_org > 1:
            kinds[1] = "customer"  # the anchor customer ACME
        first_org = next_id(Organization)
        first_site = next_id(Site)
        org_ids = np.arange(first_org, first_org + n_org)
        city_w = np.array([c[4] for c in data.CITIES], dtype=float)
        city_w /= city_w.sum()
        used_names: set[str] = set()
        org_rows, site_rows, countries, domains, site_ids_by_org = [], [], [], [], []
        site_city: dict[int, str] = {}
        site_id = first_site
        for idx in range(n_org):
            kind = kinds[idx]
            if idx == 0:
                name, industry, cities = (
                    "Brenner Präzisionsmesstechnik GmbH",
                    "weighing_measuring",
                    ["Stuttgart", "Chemnitz", "Wien"],
                )
            elif idx == 1:
                name, industry, cities = (
                    "ACME Maschinenbau GmbH",
                    "machine_building",
                    ["Ulm", "Augsburg"],
                )
            else:
                industry = self.py.choice(INDUSTRIES_BY_KIND[kind])
                name = self._firm_name(industry, used_names)
                n_sites = 1 + int(sizes[idx] > 150) + int(sizes[idx] > 800)
                picks = self.rng.choice(len(data.CITIES), size=n_sites, replace=False, p=city_w)
                cities = [data.CITIES[int(p)][0] for p in picks]
            used_names.add(name)
            employees = int(sizes[idx] * self.rng.uniform(3, 12)) if idx else 480
            org_rows.append(
                (
                    int(org_ids[idx]),
                    tenant.id,
                    name,
                    kind,
                    industry,
                    employees,
                    "",
                    "",
                    "company",
                    self._ts(self.now_s),
                    self._ts(self.now_s),
                )
            )
            city_rec = {c[0]: c for c in data.CITIES}
            countries.append(city_rec[cities[0]][1])
            tld = {"DE": "de", "AT": "at", "CH": "ch"}[countries[-1]]
            domains.append(f"{self._domain_label(name)}.{tld}")
            ids = []
            for s_idx, city in enumerate(cities):
                _, country, lat, lon, _w = city_rec[city]
                label = "Zentrale" if s_idx == 0 else f"Werk {city}"
                if idx == 1:
                    label = f"Werk {city}"
                street = f"{self.py.choice(data.STREETS)} {self.py.randint(1, 120)}"
                postal = (
                    f"{self.py.randint(10000, 99999)}"
                    if country == "DE"
                    else f"{self.py.randint(1000, 9999)}"
                )
                jitter_lat = lat + self.rng.normal(0, 0.02)
                jitter_lon = lon + self.rng.normal(0, 0.03)
                site_rows.append(
                    (
                        site_id,
                        tenant.id,
                        int(org_ids[idx]),
                        label,
                        street,
                        postal,
                        city,
                        country,
                        round(float(jitter_lat), 5),
                        round(float(jitter_lon), 5),
                        self._ts(self.now_s),
                        self._ts(self.now_s),
                    )
                )
                site_city[site_id] = city
                ids.append(site_id)
                site_id += 1
            site_ids_by_org.append(ids)
        self.counts["organizations"] = insert_rows(
            Organization,
            [
                "id",
                "tenant",
                "name",
                "kind",
                "industry",
                "employees",
                "website",
                "notes",
                "visibility",
                "created_at",
                "updated_at",
            ],
            org_rows,
        )
        self.counts["sites"] = insert_rows(
            Site,
            [
                "id",
                "tenant",
                "organization",
                "name",
                "street",
                "postal_code",
                "city",
                "country",
                "latitude",
                "longitude",
                "created_at",
                "updated_at",
            ],
            site_rows,
        )
        org_start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        return _Plan(org_ids, kinds, org_start, countries, domains, site_ids_by_org, site_city, own)

    @staticmethod
    def _domain_label(name: str) -> str:
        """'Beck & Maier Werkzeugbau GmbH' -> 'beck-maier'."""
        legal = {w for form in data.LEGAL_FORMS for w in form.split()} | {"e.V."}
        words = [ascii_fold(w).strip(".-") for w in name.split() if w not in legal]
        return "-".join(w for w in words if w)[:40].strip("-") or "firma"

    def _firm_name(self, industry: str, used: set[str]) -> str:
        for _ in range(20):
            surname = self.py.choice(data.COMMON_SURNAMES[:80])
            word = self.py.choice(data.FIRM_WORDS.get(industry, ("Technik",)))
            pattern = self.py.random()
            if industry == "association":
                name = f"{word} {self.py.choice(data.CITIES)[0]} e.V."
            elif pattern < 0.55:
                name = f"{surname} {word} {self.py.choice(data.LEGAL_FORMS)}"
            elif pattern < 0.8:
                other = self.py.choice(data.COMMON_SURNAMES[:80])
                name = f"{surname} & {other} {word} {self.py.choice(data.LEGAL_FORMS)}"
            else:
                town = self.py.choice(sorted(data.CITY_ADJECTIVES))
                name = f"{data.CITY_ADJECTIVES[town]} {word} {self.py.choice(data.LEGAL_FORMS)}"
            if name not in used:
                return name
        return f"{name} {len(used)}"

    @staticmethod
    def _ts(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S") + _tz_suffix()

    # -- the whole run -------------------------------------------------------------------
    def run(self) -> DemoResult:
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                # A large page cache keeps the index B-trees in memory during the bulk load.
                cursor.execute("PRAGMA cache_size = -524288")
                cursor.execute("PRAGMA temp_store = MEMORY")
        with transaction.atomic():
            tenant, _ = Tenant.objects.get_or_create(
                slug=self.o.tenant_slug, defaults={"name": "Brenner Präzisionsmesstechnik (Demo)"}
            )
            plan = self._plan_organizations(tenant)
            if self.o.people >= 100_000:
                with deferred_indexes(
                    Person,
                    ContactEmail,
                    ContactPhone,
                    Position,
                    Relationship,
                    Interaction,
                    InteractionParticipant,
                ):
                    self._people_and_ties(tenant, plan)
            else:
                self._people_and_ties(tenant, plan)
            self._fairs(tenant, plan)
            # Ids were assigned by hand; ORM inserts from here on need the sequences past them.
            reset_sequences(
                Organization,
                Site,
                Person,
                ContactEmail,
                ContactPhone,
                Position,
                Relationship,
                Interaction,
                InteractionParticipant,
            )
            result = DemoResult(tenant=tenant, counts=self.counts)
            self._users_and_private_contacts(tenant, plan, result)
            self.counts.update(build_projects(tenant, plan.org_ids, now=self.now, seed=self.o.seed))
            self.counts.update(
                add_demo_skills(tenant, plan, seed=self.o.seed, now=self.now, stamp=self._stamp)
            )
            self.counts["project skills"] = link_project_skills(tenant, seed=self.o.seed)
            derive_from_projects(tenant.id)  # who worked on what: skill evidence
            # A legal basis for everyone: legitimate interests for business contacts,
            # consent for the private address books.
            record_missing_legal_bases(tenant, source="Demo", now=self.now)
            # Fresh statistics so the planner picks the pair indexes on the new data.
            with connection.cursor() as cursor:
                if connection.vendor == "sqlite":
                    cursor.execute("PRAGMA analysis_limit = 1000")
                cursor.execute("ANALYZE")
            # Strengths come from the generated interactions through the real model.
            recompute_all_strengths(
                tenant.id,
                now=self.now,
                progress=lambda done, total: self.progress("strengths", done, total),
            )
            self.counts.update(
                add_events_and_intros(tenant, plan.org_ids, seed=self.o.seed, now=self.now)
            )
        return result

    # -- people, positions, relationships, interactions ---------------------------------
    def _people_and_ties(self, tenant: Tenant, plan: _Plan) -> None:
        n = self.o.people
        n_org = len(plan.org_ids)
        org_of = np.repeat(np.arange(n_org), np.diff(np.append(plan.org_start, n)))
        first_person = self.first_person = next_id(Person)
        pid = np.arange(first_person, first_person + n, dtype=np.int64)
        dept_w = np.array([d[2] for d in data.DEPARTMENTS], dtype=float)
        dept_of = self.rng.choice(len(data.DEPARTMENTS), size=n, p=dept_w / dept_w.sum())
        # Our own sales, service and management people carry most outside contacts.
        own_w = np.array(
            [
                {"Vertrieb": 8, "Anwendungstechnik": 5, "Service": 4, "Geschäftsführung": 6}.get(
                    data.DEPARTMENTS[d][0], 1
                )
                for d in dept_of[: plan.own_size]
            ],
            dtype=float,
        )
        own_w[:2] = 12  # the two demo users are well connected
        own_cdf = np.cumsum(own_w) / own_w.sum()
        site_of = np.array([self.py.choice(plan.site_ids_by_org[o]) for o in org_of.tolist()])
        activity = self.rng.lognormal(0.0, 0.7, size=n)
        activity /= activity.mean()

        half = self.o.mean_degree / 2
        # Initiated ties are lost to duplicates and to firms' first employees having no
        # earlier colleagues, more so in small networks; this factor, measured on generated
        # networks of 2,000 to 1,000,000 people, makes up for it.
        initiate = half * (1.3 + 0.35 * math.exp(-n / 20_000))
        expected_edges = int(n * half * 1.3) + 1000
        reservoir = np.empty(2 * expected_edges, dtype=np.int64)
        filled = 0
        p_own = min(0.3, plan.own_size * 60 / max(1, (n - plan.own_size) * half))
        ipt = self.o.ties_interactions()
        ids = {
            "email": next_id(ContactEmail),
            "phone": next_id(ContactPhone),
            "position": next_id(Position),
            "rel": next_id(Relationship),
            "interaction": next_id(Interaction),
            "participant": next_id(InteractionParticipant),
        }
        for key in (
            "people",
            "emails",
            "phones",
            "positions",
            "relationships",
            "interactions",
            "participants",
        ):
            self.counts[key] = 0
        stamp = self._stamp

        for s in range(0, n, CHUNK):
            e = min(n, s + CHUNK)
            idx = np.arange(s, e)
            # About one in eight people changed jobs; they keep ties to former colleagues.
            prev_org = np.where(
                self.rng.random(len(idx)) < 0.12, self._previous_org(org_of, idx), -1
            )
            self._write_people(
                tenant, plan, idx, pid, org_of, dept_of, site_of, ids, stamp, prev_org
            )
            # Each person i ties to people generated before them: colleagues, our own staff,
            # firms nearby in the list (a regional cluster), and popular people (preferential
            # attachment gives the heavy-tailed degrees real networks have).
            m = np.minimum(self.rng.poisson(initiate * activity[idx]), 400)
            src = np.repeat(idx, m)
            u = self.rng.random(len(src))
            r = self.rng.random(len(src))
            o_src = org_of[src]
            start = plan.org_start[o_src]
            dst = np.full(len(src), -1, dtype=np.int64)
            col = u < 0.5
            ok = col & (src > start)
            dst[ok] = start[ok] + (r[ok] * (src[ok] - start[ok])).astype(np.int64)
            own = (u >= 0.5) & (u < 0.5 + p_own) & (src >= plan.own_size)
            dst[own] = np.searchsorted(own_cdf, r[own])
            biz = (u >= 0.5 + p_own) & (u < 0.88)
            back = self.rng.geometric(1 / 40, size=len(src))
            o2 = o_src - back
            okb = biz & (o2 >= 0)
            lo = plan.org_start[np.maximum(o2, 0)]
            hi = np.append(plan.org_start, n)[np.maximum(o2, 0) + 1]
            dst[okb] = lo[okb] + (r[okb] * (hi[okb] - lo[okb])).astype(np.int64)
            pa = u >= 0.88
            if filled:
                dst[pa] = reservoir[(r[pa] * filled).astype(np.int64)]
            changer = prev_org >= 0
            reps = self.rng.integers(1, 4, size=int(changer.sum()))
            f_src = np.repeat(idx[changer], reps)
            f_org = np.repeat(prev_org[changer], reps)
            p_lo = plan.org_start[f_org]
            p_hi = np.append(plan.org_start, n)[f_org + 1]
            f_dst = p_lo + (self.rng.random(len(f_src)) * (p_hi - p_lo)).astype(np.int64)
            src_all = np.concatenate([src, f_src])
            dst_all = np.concatenate([dst, f_dst])
            former = np.concatenate([np.zeros(len(src), bool), np.ones(len(f_src), bool)])
            keep = (dst_all >= 0) & (dst_all < src_all)
            src_all, dst_all, former = src_all[keep], dst_all[keep], former[keep]
            pair_key = src_all * n + dst_all
            _unique, first = np.unique(pair_key, return_index=True)
            src_all, dst_all, former = src_all[first], dst_all[first], former[first]
            k = len(src_all)
            if filled + 2 * k > len(reservoir):
                reservoir = np.concatenate([reservoir, np.empty(len(reservoir), np.int64)])
            reservoir[filled : filled + k] = src_all
            reservoir[filled + k : filled + 2 * k] = dst_all
            filled += 2 * k
            same_org = org_of[src_all] == org_of[dst_all]
            kind = np.where(former, "former_colleague", np.where(same_org, "colleague", "business"))
            same_dept = dept_of[src_all] == dept_of[dst_all]
            w = np.where(
                same_org,
                self.rng.beta(2.0, 3.0, k) + 0.15 * same_dept,
                np.where(former, self.rng.beta(2.0, 3.5, k), self.rng.beta(1.4, 4.0, k)),
            )
            w = np.clip(w, 0.02, 1.0)
            # Slices keep the interaction rows built in Python at a bounded size.
            for t0 in range(0, len(src_all), 20_000):
                sl = slice(t0, t0 + 20_000)
                self._write_ties(
                    tenant,
                    pid,
                    site_of,
                    dst_all[sl],
                    src_all[sl],
                    kind[sl],
                    w[sl],
                    same_org[sl],
                    ipt,
                    ids,
                )
            self.progress("people", e, n)

    def _previous_org(self, org_of: np.ndarray, people: np.ndarray) -> np.ndarray:
        """A former employer listed before the current one (so its people already exist)."""
        cur = org_of[people]
        prev = cur - 1 - self.rng.geometric(1 / 30, size=len(people))
        return np.where(cur > 1, np.maximum(prev, 1), -1)

    def _write_people(
        self, tenant, plan, idx, pid, org_of, dept_of, site_of, ids, stamp, prev_org
    ) -> None:
        rng = self.rng
        n = len(idx)
        orgs = org_of[idx]
        countries = [plan.org_country[o] for o in orgs.tolist()]
        female = rng.random(n) < 0.32
        first, last = self.names.draw(countries, female)
        title_u = rng.random(n)
        titles = []
        for i_local, u in enumerate(title_u.tolist()):
            dept = data.DEPARTMENTS[int(dept_of[idx[i_local]])][0]
            p_dr = (
                0.18 if dept in ("Geschäftsführung", "Konstruktion", "Qualitätssicherung") else 0.04
            )
            if u < 0.006:
                titles.append("Prof. Dr.")
            elif u < p_dr:
                titles.append("Dr.")
            elif countries[i_local] == "AT" and u < p_dr + 0.08:
                titles.append(self.py.choice(("Dipl.-Ing.", "Ing.", "Mag.")))
            else:
                titles.append("")
        # Fixed anchors so that docs and examples can name real people of the demo.
        anchors = {0: ("", "Anna", "Schmidt", 7, False), 1: ("", "Jana", "Becker", 8, True)}
        if plan.own_size < len(pid) and len(plan.org_start) > 1:
            anchors[int(plan.org_start[1])] = ("Dr.", "Klaus", "Weber", 3, False)
        importance_u = rng.random(n)
        phone_u = rng.random(n)
        phone_digits = rng.integers(10**6, 10**7, size=n)
        start_days = rng.integers(200, 15 * 365, size=n)
        role_u = rng.random(n)
        person_rows, email_rows, phone_rows, position_rows = [], [], [], []
        seen_mail: set[str] = set()
        current_org = -1
        for j in range(n):
            i = int(idx[j])
            o = int(orgs[j])
            if o != current_org:
                seen_mail.clear()  # addresses only need to be unique within one firm
                current_org = o
            title, fn, ln = titles[j], first[j], last[j]
            dept_idx = int(dept_of[i])
            if i in anchors:
                title, fn, ln, dept_idx, fem = anchors[i]
                dept_of[i] = dept_idx
                female[j] = fem
            if o == 0:
                importance = ""
            else:
                u = importance_u[j]
                importance = "A" if u < 0.06 else "B" if u < 0.2 else "C" if u < 0.5 else ""
            person_rows.append(
                (
                    int(pid[i]),
                    tenant.id,
                    title,
                    fn,
                    ln,
                    "",
                    "[]",
                    "business",
                    importance,
                    1,
                    None,
                    "company",
                    stamp,
                    stamp,
                )
            )
            local = f"{ascii_fold(fn)}.{ascii_fold(ln)}"
            mail = f"{local}@{plan.org_domain[o]}"
            if mail in seen_mail:
                mail = f"{local}{i}@{plan.org_domain[o]}"
            seen_mail.add(mail)
            email_rows.append((ids["email"], int(pid[i]), mail, "work", True))
            ids["email"] += 1
            if phone_u[j] < 0.7:
                prefix = {"DE": "+49151", "AT": "+43664", "CH": "+4179"}[countries[j]]
                digits = int(phone_digits[j]) * (10 if countries[j] == "DE" else 1)
                phone_rows.append((ids["phone"], int(pid[i]), f"{prefix}{digits}", "mobile"))
                ids["phone"] += 1
            dept_name, titles_mf, _w, roles = data.DEPARTMENTS[dept_idx]
            job = titles_mf[int(role_u[j] * len(titles_mf))][1 if female[j] else 0]
            if i in anchors and i > 1:
                job, roles = "Technischer Leiter", ("decision_maker",)
            buying = ""
            if (
                plan.org_kind[o] in ("customer", "prospect")
                and roles
                and (role_u[j] < 0.4 or i in anchors)
            ):
                buying = roles[int(role_u[j] * 97) % len(roles)]
            started = (self.now - timedelta(days=int(start_days[j]))).date()
            position_rows.append(
                (
                    ids["position"],
                    tenant.id,
                    int(pid[i]),
                    int(plan.org_ids[o]),
                    int(site_of[i]),
                    job,
                    dept_name,
                    buying,
                    started.isoformat(),
                    None,
                    stamp,
                    stamp,
                )
            )
            ids["position"] += 1
        self.counts["people"] += insert_rows(
            Person,
            [
                "id",
                "tenant",
                "title",
                "first_name",
                "last_name",
                "notes",
                "tags",
                "classification",
                "importance",
                "version",
                "owner",
                "visibility",
                "created_at",
                "updated_at",
            ],
            person_rows,
        )
        self.counts["emails"] += insert_rows(
            ContactEmail, ["id", "person", "email", "label", "is_primary"], email_rows
        )
        self.counts["phones"] += insert_rows(
            ContactPhone, ["id", "person", "number", "label"], phone_rows
        )
        self.counts["positions"] += insert_rows(
            Position,
            POSITION_COLUMNS,
            position_rows,
        )
        self._write_past_positions(tenant, plan, idx, pid, ids, stamp, start_days, prev_org)

    def _write_past_positions(self, tenant, plan, idx, pid, ids, stamp, start_days, prev_org):
        """Job changes: the earlier job at another firm, ended before the current one began."""
        rows = []
        changed = np.flatnonzero(prev_org >= 0)
        prev = prev_org[changed]
        lengths = self.rng.integers(365, 8 * 365, size=len(changed))
        for j, o_prev, length in zip(
            changed.tolist(), prev.tolist(), lengths.tolist(), strict=True
        ):
            if o_prev < 0:
                continue
            i = int(idx[j])
            end = (self.now - timedelta(days=int(start_days[j]) + 1)).date()
            begin = end - timedelta(days=length)
            dept_name, titles_mf, _w, _roles = data.DEPARTMENTS[
                self.py.randrange(len(data.DEPARTMENTS))
            ]
            rows.append(
                (
                    ids["position"],
                    tenant.id,
                    int(pid[i]),
                    int(plan.org_ids[o_prev]),
                    plan.site_ids_by_org[o_prev][0],
                    titles_mf[0][0],
                    dept_name,
                    "",
                    begin.isoformat(),
                    end.isoformat(),
                    stamp,
                    stamp,
                )
            )
            ids["position"] += 1
        self.counts["positions"] += insert_rows(
            Position,
            POSITION_COLUMNS,
            rows,
        )

    def _write_ties(self, tenant, pid, site_of, a, b, kind, w, same_org, ipt, ids) -> None:
        """Write one chunk of relationships (a < b) with their interaction history."""
        rng = self.rng
        k = len(a)
        # Some business ties went quiet half-way (they feed the reconnect list), a few
        # are one-way mailings that never got an answer.
        cooled = (~same_org) & (rng.random(k) < 0.12)
        one_way = (~same_org) & (rng.random(k) < 0.03)
        counts = rng.poisson(ipt * (0.3 + 1.7 * w))
        rel_of = np.repeat(np.arange(k), counts)
        m = len(rel_of)
        span = np.where(cooled[rel_of], 0.55, 1.0) * self.window_s
        t = (self.now_s - self.window_s + rng.random(m) * span).astype(np.int64)
        # Working hours, not 3 a.m.: snap to a weekday-ish daytime slot.
        t = t - (t % 86400) + 7 * 3600 + rng.integers(0, 10 * 3600, size=m)
        t = np.minimum(t, self.now_s - 3600)
        ch_b = rng.choice(len(CHANNELS), size=m, p=CHANNEL_P_BUSINESS)
        ch_c = rng.choice(len(CHANNELS), size=m, p=CHANNEL_P_COLLEAGUE)
        ch = np.where(same_org[rel_of], ch_c, ch_b)
        ch = np.where(one_way[rel_of], 0, ch)
        flip = (rng.random(m) < 0.5) & ~one_way[rel_of]
        last = np.zeros(k, dtype=np.int64)
        np.maximum.at(last, rel_of, t)
        times = _utc_text(t)
        sub_u = rng.random(m)
        dur_u = rng.random(m)
        numbers = rng.integers(1000, 9999, size=m)
        inter_rows, part_rows = [], []
        iid, part_id = ids["interaction"], ids["participant"]
        for x in range(m):
            r = int(rel_of[x])
            channel = CHANNELS[int(ch[x])]
            subjects = SUBJECTS[channel]
            subject = subjects[int(sub_u[x] * len(subjects))].format(n=int(numbers[x]))
            lo_hi = DURATION.get(channel)
            duration = int(lo_hi[0] + dur_u[x] * (lo_hi[1] - lo_hi[0])) if lo_hi else None
            site = int(site_of[b[r]]) if channel == "meeting" else None
            inter_rows.append(
                (
                    iid,
                    tenant.id,
                    channel,
                    times[x],
                    duration,
                    "",
                    site,
                    subject,
                    "demo",
                    "",
                    None,
                    "company",
                    self._stamp,
                    self._stamp,
                    2,
                )
            )
            first, second = (
                (int(pid[b[r]]), int(pid[a[r]])) if flip[x] else (int(pid[a[r]]), int(pid[b[r]]))
            )
            roles = (
                ("sender", "recipient")
                if channel in ("email", "message")
                else ("organiser", "attendee")
            )
            part_rows.append((part_id, iid, first, roles[0]))
            part_rows.append((part_id + 1, iid, second, roles[1]))
            part_id += 2
            iid += 1
        ids["interaction"], ids["participant"] = iid, part_id
        self.counts["interactions"] += insert_rows(
            Interaction,
            INTERACTION_COLUMNS,
            inter_rows,
        )
        self.counts["participants"] += insert_rows(
            InteractionParticipant, ["id", "interaction", "person", "role"], part_rows
        )
        last_text = _utc_text(last)
        rel_rows = (
            (
                ids["rel"] + x,
                tenant.id,
                int(pid[a[x]]),
                int(pid[b[x]]),
                str(kind[x]),
                None,
                round(float(w[x]), 4),
                "{}",
                last_text[x] if last[x] else None,
                None,
                "company",
                self._stamp,
                self._stamp,
            )
            for x in range(k)
        )
        self.counts["relationships"] += insert_rows(
            Relationship,
            [
                "id",
                "tenant",
                "person_a",
                "person_b",
                "kind",
                "rating",
                "strength",
                "evidence",
                "last_interaction_at",
                "owner",
                "visibility",
                "created_at",
                "updated_at",
            ],
            rel_rows,
        )
        ids["rel"] += k

    # -- trade fairs ----------------------------------------------------------------------
    def _fairs(self, tenant: Tenant, plan: _Plan) -> None:
        """Each fair is one event interaction with a few hundred attendees."""
        n = self.o.people
        first_person = self.first_person
        iid, part_id = next_id(Interaction), next_id(InteractionParticipant)
        inter_rows, part_rows = [], []
        start_year = (self.now - timedelta(seconds=self.window_s)).year
        for year in range(start_year, self.now.year + 1):
            for name, city, _lat, _lon, month, parity in data.FAIRS:
                if (parity == "odd" and year % 2 == 0) or (parity == "even" and year % 2 == 1):
                    continue
                when = datetime(year, month, 10 + self.py.randint(0, 8), 9, 0, tzinfo=UTC)
                if not (self.now - timedelta(seconds=self.window_s) < when < self.now):
                    continue
                size = min(max(3, n // 4), int(self.rng.integers(120, 320)))
                staff = self.rng.choice(plan.own_size, size=min(plan.own_size, 12), replace=False)
                visitors = (
                    self.rng.choice(
                        np.arange(plan.own_size, n),
                        size=min(size, n - plan.own_size),
                        replace=False,
                    )
                    if n > plan.own_size
                    else np.array([], int)
                )
                attendees = np.concatenate([staff, visitors]).tolist()
                inter_rows.append(
                    (
                        iid,
                        tenant.id,
                        "event",
                        self._ts(int(when.timestamp())),
                        480,
                        f"Messe {city}",
                        None,
                        f"{name} {year}",
                        "demo",
                        f"fair:{name}:{year}",
                        None,
                        "company",
                        self._stamp,
                        self._stamp,
                        len(attendees),
                    )
                )
                for person in attendees:
                    part_rows.append((part_id, iid, first_person + int(person), "attendee"))
                    part_id += 1
                iid += 1
        self.counts["interactions"] += insert_rows(
            Interaction,
            INTERACTION_COLUMNS,
            inter_rows,
        )
        self.counts["participants"] += insert_rows(
            InteractionParticipant, ["id", "interaction", "person", "role"], part_rows
        )
        self.counts["fairs"] = len(inter_rows)

    # -- logins and private address books -------------------------------------------------
    def _users_and_private_contacts(self, tenant: Tenant, plan: _Plan, result: DemoResult) -> None:
        User = get_user_model()
        own = list(
            Person.objects.filter(
                tenant=tenant, positions__organization_id=int(plan.org_ids[0])
            ).order_by("id")[:2]
        )
        specs = [("anna", True), ("jana", False)]
        for (username, staff), person in zip(specs, own, strict=False):
            if tenant.slug != "demo":
                username = f"{username}@{tenant.slug}"
            if User.objects.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(9)
            user = User.objects.create_user(
                username=username,
                password=password,
                email=f"{username.split('@')[0]}@brenner-praezisions.de",
                first_name=person.first_name,
                last_name=person.last_name,
                tenant=tenant,
                role=User.Role.ADMIN if staff else User.Role.MEMBER,
                # A tenant admin, not a superuser: the admin shows her this tenant only,
                # and an installation hosting other tenants keeps its own superuser.
                is_staff=staff,
            )
            # Linked as every door links a login: through the action and its rules.
            link_person(user, user, person)
            result.logins.append((username, password))
            # Both sell in the south: their team-visible contacts are shared with each other.
            add_to_team(user, "Vertrieb Süd")
            self._private_book(tenant, user, person, plan)
            self._private_note(tenant, user, plan)
            if staff:
                self._capture_rules(user)
        self._unlinked_login(tenant, plan, result)

    def _capture_rules(self, admin) -> None:
        """What a connected mailbox or calendar may share: the admin shares what she
        captures with customers and partners, and the company never shares the mail of
        its law firm (the settings' Connected accounts section shows both)."""
        capture_actions.set_sharing(admin, ["customer", "partner"])
        capture_actions.set_exclusions(admin, ["kanzlei-hofmann.de"], company=True)

    def _unlinked_login(self, tenant: Tenant, plan: _Plan, result: DemoResult) -> None:
        """The login "tom" of a new colleague (the third person of the own company, by
        id): it has no person yet but that person's e-mail address, so its first sign-in
        links it (accounts.link_on_sign_in) and says so."""
        User = get_user_model()
        username = "tom" if tenant.slug == "demo" else f"tom@{tenant.slug}"
        third = (
            Person.objects.filter(
                tenant=tenant, positions__organization_id=int(plan.org_ids[0]), user__isnull=True
            )
            .order_by("id")
            .prefetch_related("emails")
            .first()
        )
        if third is None or User.objects.filter(username=username).exists():
            return
        email = next((e.email for e in third.emails.all() if e.is_primary), "")
        if not email:
            return
        password = secrets.token_urlsafe(9)
        User.objects.create_user(
            username=username,
            password=password,
            email=email,
            first_name=third.first_name,
            last_name=third.last_name,
            tenant=tenant,
        )
        result.logins.append((username, password))

    def _private_note(self, tenant: Tenant, user, plan: _Plan) -> None:
        """What the user knows privately about the anchor customer's buyer."""
        buyer = (
            Person.objects.filter(tenant=tenant, positions__organization_id=int(plan.org_ids[1]))
            .order_by("id")
            .first()
        )
        if buyer is not None:
            PrivateNote.objects.create(
                tenant=tenant,
                person=buyer,
                owner=user,
                text="Persönlich: Bergsteiger, bevorzugt Termine am Vormittag.",
            )

    def _private_book(self, tenant: Tenant, user, person: Person, plan: _Plan) -> None:
        """Friends and family only their owner sees; one of them knows a customer's CEO."""
        first, last = self.names.draw(["DE"] * 6, self.rng.random(6) < 0.5)
        kinds = ["friend", "friend", "family", "friend", "family", "friend"]
        business = list(
            Person.objects.filter(
                tenant=tenant, positions__department="Geschäftsführung", positions__end_date=None
            )
            .exclude(positions__organization_id=int(plan.org_ids[0]))
            .order_by("id")[:3]
        )
        for fn, ln, kind in zip(first, last, kinds, strict=True):
            friend = Person.objects.create(
                tenant=tenant,
                first_name=fn,
                last_name=ln,
                classification="private",
                visibility="private",
                owner=user,
                tags=["privat"],
            )
            a, b = sorted([person.pk, friend.pk])
            Relationship.objects.create(
                tenant=tenant,
                person_a_id=a,
                person_b_id=b,
                kind=kind,
                rating=5 if kind == "family" else 4,
                strength=0.8 if kind == "family" else 0.6,
                visibility="private",
                owner=user,
            )
            if business:
                target = business.pop()
                a, b = sorted([friend.pk, target.pk])
                Relationship.objects.create(
                    tenant=tenant,
                    person_a_id=a,
                    person_b_id=b,
                    kind="friend",
                    strength=0.55,
                    visibility="private",
                    owner=user,
                )
            self.counts["people"] += 1


def generate_demo(options: DemoOptions, progress: ProgressFn | None = None) -> DemoResult:
    """Generate the demo network into the database (one transaction)."""
    return DemoGenerator(options, progress).run()
