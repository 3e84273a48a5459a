"""Target-account radar: rank a list of target organisations by our warm access.

The list is a CSV file (``name, city, industry[, website]``). Each row is matched to a
known organisation by fuzzy name (legal forms ignored) and city, then ranked by our team
reach there: the strongest route from any of us, the number of independent routes (no
two share the colleague who starts them or the person they end at), the best entry
person and the colleague who should ask for the introduction. Routes are rendered by
``network.reach.render_paths``: a colleague's private contact is only ever "ask <them>".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from geflecht import graph as engine
from geflecht.accounts.models import User
from geflecht.lib.spreadsheet import safe_row
from geflecht.network.reach import IntroPath, own_company_people, render_paths
from geflecht.network.snapshot import current_graph
from geflecht.people.models import Organization, Person, Position
from geflecht.people.queries import fold, visible_organizations, visible_people, visible_sites

__all__ = [
    "RadarError",
    "RadarResult",
    "RadarRow",
    "Target",
    "export_csv",
    "parse_targets",
    "radar",
]

MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
#: Name similarity (0-100) that counts as the same organisation; a matching city lowers
#: the bar to CITY_MATCH_SCORE.
MATCH_SCORE = 88
CITY_MATCH_SCORE = 75
RADAR_HOPS = 3

_LEGAL = re.compile(
    r"\b(gmbh|mbh|ag|kg|kgaa|se|ohg|ug|ek|e\.?\s?k\.?|co|ltd|inc|llc|sa|sarl|bv|nv|spa|srl|"
    r"haftungsbeschrankt|gesellschaft|und|and|the)\b"
)


class RadarError(ValueError):
    """The file cannot be read at all (not CSV, no header, missing columns)."""


@dataclass(frozen=True)
class Target:
    row: int  # line number in the file (the header is line 1)
    name: str
    city: str
    industry: str
    website: str = ""


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def text(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass(frozen=True)
class RadarRow:
    rank: int
    target: Target
    organization: Organization | None
    match_score: float
    #: The best route's strength, or None when it runs over a stretch the user may not
    #: see (a colleague's private tie): its number would give that tie's strength away.
    strength: float | None
    independent_paths: int
    people_reached: int
    entry: Person | None  # their person at the end of the best route
    ask: Person | None  # who of us should ask for the introduction
    path: IntroPath | None

    @property
    def known_strength(self) -> float | None:
        """What the user may know of the best route: its strength, or for a route over a
        hidden stretch the product of the hops they see (an upper bound)."""
        if self.strength is not None or self.path is None:
            return self.strength
        return self.path.known_strength


@dataclass(frozen=True)
class RadarResult:
    rows: tuple[RadarRow, ...]
    errors: tuple[RowError, ...]


def _norm(name: str) -> str:
    text = fold(name).replace("&", " ").replace("+", " ")
    text = _LEGAL.sub(" ", re.sub(r"[^\w\s]", " ", text))
    return " ".join(text.split())


def parse_targets(data: bytes | str) -> tuple[list[Target], list[RowError]]:
    """Targets from CSV text: the valid rows, and an error for each bad one (row, field).

    Raises :class:`RadarError` when the file as a whole is unusable.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise RadarError(_("The file is larger than 2 MB."))
        raw = data
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel on Windows writes cp1252; latin-1 reads any byte at all.
            try:
                data = raw.decode("cp1252")
            except UnicodeDecodeError:
                data = raw.decode("latin-1")
    if "\x00" in data:
        raise RadarError(_("This is not a CSV text file."))
    sample = data[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(data), dialect)
    header = next(reader, None)
    if not header:
        raise RadarError(_("The file is empty; expected a header line: name, city, industry."))
    columns = [fold(h).strip() for h in header]
    aliases = {"firma": "name", "organisation": "name", "ort": "city", "stadt": "city",
               "branche": "industry", "webseite": "website", "url": "website"}  # fmt: skip
    columns = [aliases.get(c, c) for c in columns]
    missing = [c for c in ("name", "city", "industry") if c not in columns]
    if missing:
        raise RadarError(
            _("The header lacks the column(s) %(cols)s; expected: name, city, industry, website.")
            % {"cols": ", ".join(missing)}
        )
    at: dict[str, int] = {
        c: columns.index(c) for c in ("name", "city", "industry", "website") if c in columns
    }
    targets: list[Target] = []
    errors: list[RowError] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(targets) + len(errors) >= MAX_ROWS:
            errors.append(RowError(line, "", _("more than %(n)s rows") % {"n": MAX_ROWS}))
            break

        def get(col: str, values=values) -> str:
            i = at.get(col)
            return values[i].strip() if i is not None and i < len(values) else ""

        name, city, industry, website = get("name"), get("city"), get("industry"), get("website")
        problem = None
        if not name:
            problem = ("name", _("the name is empty"))
        elif len(name) > 200:
            problem = ("name", _("the name is longer than 200 characters"))
        elif not city:
            problem = ("city", _("the city is empty"))
        elif len(city) > 100:
            problem = ("city", _("the city is longer than 100 characters"))
        elif not industry:
            problem = ("industry", _("the industry is empty"))
        elif website and not re.match(r"^(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?$", website, re.I):
            problem = ("website", _("“%(w)s” is not a web address") % {"w": website[:80]})
        if problem:
            errors.append(RowError(line, *problem))
        else:
            targets.append(Target(line, name, city, industry[:100], website[:200]))
    return targets, errors


def _match(targets: list[Target], user: User) -> dict[int, tuple[Organization, float]]:
    """Target row -> (known organisation, score) for the rows that match one the user
    may see (a colleague's private firm is never matched)."""
    orgs = list(visible_organizations(user).exclude(kind=Organization.Kind.OWN))
    if not orgs:
        return {}
    cities: dict[int, set[str]] = {}
    for org_id, city in visible_sites(user).values_list("organization_id", "city"):
        cities.setdefault(org_id, set()).add(fold(city))
    choices = [_norm(o.name) for o in orgs]
    out = {}
    for t in targets:
        hits = process.extract(
            _norm(t.name), choices, scorer=fuzz.token_sort_ratio, limit=5, score_cutoff=60
        )
        best = None
        for _choice, score, i in hits:
            same_city = fold(t.city) in cities.get(orgs[i].pk, set())
            bar = CITY_MATCH_SCORE if same_city else MATCH_SCORE
            key = (score + (10 if same_city else 0), score)
            if score >= bar and (best is None or key > best[0]):
                best = (key, orgs[i], float(score))
        if best is not None:
            out[t.row] = (best[1], best[2])
    return out


def _independent(paths: list[engine.Path]) -> int:
    """Greedy count of routes sharing neither their starting colleague nor their end."""
    used_start, used_end, n = set(), set(), 0
    for p in sorted(paths, key=lambda p: -p.strength):
        if p.source not in used_start and p.target not in used_end:
            used_start.add(p.source)
            used_end.add(p.target)
            n += 1
    return n


def radar(user: User, targets: Iterable[Target], *, lang: str = "en") -> list[RadarRow]:
    """Targets ranked by our warm access: strength, then independent routes."""
    targets = list(targets)
    matched = _match(targets, user)
    snap = current_graph(user.tenant_pk)
    sources = snap.nodes(own_company_people(user.tenant_pk))
    org_ids = {org.pk for org, _s in matched.values()}
    staff: dict[int, list[int]] = {}
    for org_id, pid in (
        Position.objects.filter(organization_id__in=org_ids, end_date__isnull=True)
        .filter(person__in=visible_people(user))
        .values_list("organization_id", "person_id")
    ):
        staff.setdefault(org_id, []).append(pid)
    per_org: dict[int, tuple[float, int, int, engine.Path | None]] = {}
    best_paths: dict[int, engine.Path] = {}
    # Ranked at the strengths the user may see (a colleague's hidden row stays hidden).
    view = snap.paths_view(user.pk)
    for org_id in org_ids:
        paths = engine.best_group_paths(
            view, sources, snap.nodes(staff.get(org_id, [])), max_hops=RADAR_HOPS
        )
        top = paths[0] if paths else None
        if top is not None:
            best_paths[org_id] = top
        per_org[org_id] = (top.strength if top else 0.0, _independent(paths), len(paths), top)
    rendered = dict(
        zip(best_paths, render_paths(user, snap, best_paths.values(), lang=lang), strict=True)
    )
    people = Person.objects.in_bulk(
        {snap.person(p.target) for p in best_paths.values()}
        | {snap.person(p.source) for p in best_paths.values()}
    )
    rows: list[tuple[float, tuple]] = []
    for t in targets:
        org, score = matched.get(t.row, (None, 0.0))
        if org is None:
            rows.append((0.0, (t, None, 0.0, 0.0, 0, 0, None, None, None)))
            continue
        strength, independent, reached, top = per_org[org.pk]
        path = rendered.get(org.pk)
        entry = people[snap.person(top.target)] if top else None
        ask = people[snap.person(top.source)] if top else None
        shown = path.strength if path is not None else strength
        rows.append((strength, (t, org, score, shown, independent, reached, entry, ask, path)))
    # Ranked by the route's strength in the user's view of the graph (paths_view), shown
    # only as far as the user may know it.
    rows.sort(key=lambda r: (-r[0], -r[1][4], -r[1][5], r[1][1] is None, r[1][0].row))
    return [RadarRow(i, *r) for i, (_rank, r) in enumerate(rows, start=1)]


def radar_file(user: User, data: bytes | str, *, lang: str = "en") -> RadarResult:
    """Parse a target list and rank it (the one entry point of web, API and CLI)."""
    targets, errors = parse_targets(data)
    return RadarResult(tuple(radar(user, targets, lang=lang)), tuple(errors))


EXPORT_COLUMNS = [
    "rank",
    "name",
    "city",
    "industry",
    "website",
    "matched_organisation",
    "match_score",
    "best_strength",
    "independent_paths",
    "people_reached",
    "entry_person",
    "ask",
    "route",
]


def export_csv(rows: Iterable[RadarRow]) -> str:
    """The ranked list as CSV text (UTF-8, comma separated, a header line)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for r in rows:
        # Target names come from an uploaded file: written as text, never as formulas.
        writer.writerow(
            safe_row(
                [
                    r.rank,
                    r.target.name,
                    r.target.city,
                    r.target.industry,
                    r.target.website,
                    r.organization.name if r.organization else "",
                    f"{r.match_score:.0f}" if r.organization else "",
                    # A route over a hidden stretch: at most this (its text says who to ask).
                    f"{r.known_strength:.3f}" if r.known_strength is not None else "",
                    r.independent_paths,
                    r.people_reached,
                    r.entry.full_name if r.entry else "",
                    r.ask.full_name if r.ask else "",
                    r.path.text() if r.path else "",
                ]
            )
        )
    return out.getvalue()
