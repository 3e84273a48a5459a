"""Reads on skills: the taxonomy, a person's skills, expert search, the skill matrix.

Expert search ranks people by evidence x distance x reachability and says why:
which query words matched which skill, what the evidence is ("self-declared level 4,
endorsed by Anna Schmidt, mentioned in 7 meetings' subjects, last 2026-03"), how far
their site is from the place asked for, and the best path from the user or their team.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Max, QuerySet
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from geflecht import graph as engine
from geflecht.accounts.models import User
from geflecht.lib import places
from geflecht.lib.errors import NotFound
from geflecht.lib.visibility import teammates
from geflecht.network import reach
from geflecht.network.reach import IntroPath
from geflecht.network.snapshot import current_graph
from geflecht.people.models import Organization, Person, Position, Site
from geflecht.people.queries import fold, visible_people
from geflecht.skills import matching
from geflecht.skills.models import Endorsement, OrganizationCapability, PersonSkill, Skill

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------- taxonomy


def tenant_skills(user: User) -> QuerySet[Skill]:
    """The taxonomy is shared within the tenant."""
    return Skill.objects.filter(tenant_id=user.tenant_pk).select_related("parent")


def tenant_skill(user: User, pk: int) -> Skill:
    skill = tenant_skills(user).filter(pk=pk).first()
    if skill is None:
        raise NotFound(_("No skill with id %(id)s.") % {"id": pk})
    return skill


@dataclass(frozen=True)
class TreeNode:
    skill: Skill
    depth: int
    holders: int


def taxonomy_tree(user: User) -> list[TreeNode]:
    """Every skill in tree order with its depth and how many visible people hold it."""
    skills = list(tenant_skills(user).order_by("name_de"))
    counts = dict(
        PersonSkill.objects.filter(tenant_id=user.tenant_pk, person__in=visible_people(user))
        .values("skill_id")
        .annotate(n=Count("id"))
        .values_list("skill_id", "n")
    )
    children = defaultdict(list)
    for s in skills:
        children[s.parent_id].append(s)
    out: list[TreeNode] = []
    stack = [(s, 0) for s in reversed(children[None])]
    while stack:
        skill, depth = stack.pop()
        out.append(TreeNode(skill, depth, counts.get(skill.pk, 0)))
        stack.extend((c, depth + 1) for c in reversed(children[skill.pk]))
    return out


# --------------------------------------------------------------------- person skills
def _kind_count(kind: str, n: int) -> str:
    """'3 meetings', '1 e-mail' in the user's language (literal msgids for makemessages)."""
    words = {
        "meeting": ngettext("%(n)s meeting", "%(n)s meetings", n),
        "video": ngettext("%(n)s video call", "%(n)s video calls", n),
        "phone": ngettext("%(n)s phone call", "%(n)s phone calls", n),
        "email": ngettext("%(n)s e-mail", "%(n)s e-mails", n),
        "message": ngettext("%(n)s message", "%(n)s messages", n),
        "event": ngettext("%(n)s event", "%(n)s events", n),
        "document": ngettext("%(n)s document", "%(n)s documents", n),
    }
    return words.get(kind, ngettext("%(n)s interaction", "%(n)s interactions", n)) % {"n": n}


def _month(iso: str) -> str:
    return iso[:7] if iso else ""


def explain_derived(derived: dict) -> list[str]:
    """Derived evidence in words: "mentioned in 7 meetings' subjects, last 2026-03"."""
    out = []
    for source in ("interaction", "project", "document"):
        entry = derived.get(source)
        if not entry:
            continue
        if source == "interaction":
            kinds = entry.get("kinds") or {"interaction": entry.get("n", 0)}
            parts = [
                _kind_count(kind, n) for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1])
            ]
            text = _("mentioned in the subjects of %(what)s") % {"what": ", ".join(parts)}
        elif source == "project":
            text = _("%(n)s projects about it") % {"n": entry.get("n", 0)}
        else:
            text = _("%(n)s documents about it") % {"n": entry.get("n", 0)}
        if entry.get("last"):
            text += _(", last %(month)s") % {"month": _month(entry["last"])}
        out.append(text)
    return out


@dataclass(frozen=True)
class PersonSkillView:
    row: PersonSkill
    skill: Skill
    endorsers: tuple[str, ...]
    endorsed_by_me: bool
    evidence: tuple[str, ...]


def _user_names(user_ids: Iterable[int]) -> dict[int, str]:
    names = {}
    for uid, username, first, last, pfirst, plast in User.objects.filter(
        pk__in=set(user_ids)
    ).values_list(
        "pk", "username", "first_name", "last_name", "person__first_name", "person__last_name"
    ):
        full = f"{pfirst or first} {plast or last}".strip()
        names[uid] = full or username
    return names


def person_skills(user: User, person: Person) -> list[PersonSkillView]:
    """A visible person's skills with their evidence in words, in three queries."""
    rows = list(
        PersonSkill.objects.filter(person=person, tenant_id=user.tenant_pk)
        .select_related("skill")
        .order_by("-level", "skill__name_de")
    )
    endorsements = defaultdict(list)
    for ps_id, by_id in Endorsement.objects.filter(person_skill__in=rows).values_list(
        "person_skill_id", "by_id"
    ):
        endorsements[ps_id].append(by_id)
    names = _user_names(b for bys in endorsements.values() for b in bys)
    out = []
    for row in rows:
        evidence = []
        if row.self_declared:
            evidence.append(_("self-declared, level %(level)s of 5") % {"level": row.level})
        bys = endorsements.get(row.pk, [])
        if bys:
            evidence.append(
                _("endorsed by %(names)s") % {"names": ", ".join(sorted(names[b] for b in bys))}
            )
        evidence += explain_derived(row.derived)
        out.append(
            PersonSkillView(
                row,
                row.skill,
                tuple(sorted(names[b] for b in bys)),
                user.pk in bys,
                tuple(evidence),
            )
        )
    return out


def person_skills_export(person: Person) -> list[dict]:
    """A person's skills for their GDPR export (Art. 15): everything stored, in plain data."""
    rows = list(PersonSkill.objects.filter(person=person).select_related("skill"))
    by = defaultdict(list)
    for ps_id, uid in Endorsement.objects.filter(person_skill__in=rows).values_list(
        "person_skill_id", "by_id"
    ):
        by[ps_id].append(uid)
    names = _user_names(u for v in by.values() for u in v)
    return [
        {
            "skill": r.skill.name_de,
            "level": r.level,
            "self_declared": r.self_declared,
            "note": r.note,
            "endorsed_by": sorted(names[u] for u in by.get(r.pk, [])),
            "derived": r.derived,
        }
        for r in sorted(rows, key=lambda r: r.skill.name_de)
    ]


def organization_capabilities(user: User, org: Organization) -> list[OrganizationCapability]:
    return list(
        OrganizationCapability.objects.filter(organization=org, tenant_id=user.tenant_pk)
        .select_related("skill")
        .order_by("-level", "skill__name_de")
    )


# ---------------------------------------------------------------------------- places
_GAZETTEER = {fold(name): place for name, place in places.gazetteer().items()}


def known_places(tenant_id: int) -> dict[str, places.Place]:
    """The gazetteer plus the cities of the tenant's sites (mean of their coordinates)."""
    found = places.gazetteer()
    rows = (
        # Only shared firms' sites: a place name must not reveal a colleague's private firm.
        Site.objects.filter(
            tenant_id=tenant_id, latitude__isnull=False, organization__visibility="company"
        )
        .exclude(city="")
        .values("city")
        .annotate(lat=Avg("latitude"), lon=Avg("longitude"))
        .values_list("city", "lat", "lon")
    )
    for city, lat, lon in rows:
        found.setdefault(city, places.Place(city, lat, lon))
    return found


def resolve_place(tenant_id: int, name: str) -> places.Place:
    """A place name -> coordinates, offline; a clear error with a suggestion otherwise.

    The shipped gazetteer answers first (no query); then the cities of the tenant's sites.
    """
    name = " ".join(name.split())
    key = fold(name)
    if key in _GAZETTEER:
        return _GAZETTEER[key]
    if key in places.ALIASES:
        return _GAZETTEER[fold(places.ALIASES[key])]
    folded = {fold(k): v for k, v in known_places(tenant_id).items()}
    if key in folded:
        return folded[key]
    best = process.extractOne(key, list(folded), scorer=fuzz.WRatio, score_cutoff=70)
    if best is not None:
        suggestion = folded[best[0]].name
        raise ValidationError(
            _("unknown place '%(name)s'; did you mean %(suggestion)s?")
            % {"name": name, "suggestion": suggestion},
            code="unknown_place",
        )
    raise ValidationError(_("unknown place '%(name)s'") % {"name": name}, code="unknown_place")


# --------------------------------------------------------------------- expert index
@dataclass
class _ExpertIndex:
    """Every person skill of a tenant as arrays, so a search is numpy work, not SQL."""

    signature: tuple
    full_signature: tuple
    checked_at: float
    row_person: np.ndarray  # dense person index per person-skill row
    row_skill: np.ndarray  # skill id per row
    row_points: np.ndarray  # evidence points per row (see _points)
    row_ids: np.ndarray  # PersonSkill ids
    person_ids: np.ndarray  # dense index -> person id
    person_vis: np.ndarray  # 0 company, 1 team, 2 private
    person_owner: np.ndarray  # owner user id (0 if none)
    person_lat: np.ndarray
    person_lon: np.ndarray
    person_city: list[str]
    postings: dict[str, np.ndarray]  # folded word of notes, examples, job -> person indexes
    vocabulary: list[str]


_index_cache: dict[int, _ExpertIndex] = {}
_index_lock = threading.Lock()
RECHECK_SECONDS = 20.0
ENDORSEMENT_POINTS = 0.4
MAX_ENDORSEMENTS = 5


def _points(level: int, declared: bool, endorsements: int, derived: float) -> float:
    """Evidence points: a declaration counts its level/5, each endorsement 0.4 (up to 5),
    derived evidence log(1 + weight) so that the 50th mention adds little."""
    return (
        (level / 5 if declared else 0.0)
        + ENDORSEMENT_POINTS * min(endorsements, MAX_ENDORSEMENTS)
        + math.log1p(derived)
    )


def _signature(tenant_id: int) -> tuple:
    return tuple(
        m.objects.aggregate(m=Max("id"))["m"]
        for m in (PersonSkill, Endorsement, Person, Position, Site)
    )


def _full_signature(tenant_id: int) -> tuple:
    sig = []
    for m in (PersonSkill, Person, Position, Site):
        agg = m.objects.filter(tenant_id=tenant_id).aggregate(n=Count("id"), t=Max("updated_at"))
        sig += [agg["n"], agg["t"]]
    sig.append(Endorsement.objects.filter(tenant_id=tenant_id).count())
    return tuple(sig)


def _build_index(tenant_id: int, signature: tuple) -> _ExpertIndex:
    full = _full_signature(tenant_id)
    endorsed = dict(
        Endorsement.objects.filter(tenant_id=tenant_id)
        .values("person_skill_id")
        .annotate(n=Count("id"))
        .values_list("person_skill_id", "n")
    )
    rows = list(
        PersonSkill.objects.filter(tenant_id=tenant_id)
        .order_by("person_id", "id")
        .values_list(
            "id", "person_id", "skill_id", "level", "self_declared", "derived_weight", "note",
            "derived",
        )
    )  # fmt: skip
    person_ids = np.unique(np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)))
    dense = {int(p): i for i, p in enumerate(person_ids.tolist())}
    n = len(person_ids)
    vis = np.zeros(n, dtype=np.int8)
    owner = np.zeros(n, dtype=np.int64)
    # Shared people are the rule; only the restricted ones need a row here.
    for pid, visibility, owner_id in Person.objects.filter(
        tenant_id=tenant_id, visibility__in=["team", "private"]
    ).values_list("id", "visibility", "owner_id"):
        i = dense.get(pid)
        if i is not None:
            vis[i] = {"company": 0, "team": 1}.get(visibility, 2)
            owner[i] = owner_id or 0
    folded: dict[str, list[str]] = {}

    def words_of(text: str) -> list[str]:
        # Job titles, notes and subjects repeat across thousands of people: fold each once.
        found = folded.get(text)
        if found is None:
            found = folded[text] = matching.words(text)
        return found

    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    city = [""] * n
    texts: dict[int, set[str]] = defaultdict(set)
    holders = PersonSkill.objects.filter(tenant_id=tenant_id).values("person_id")
    jobs = (
        Position.objects.filter(tenant_id=tenant_id, end_date__isnull=True, person_id__in=holders)
        .order_by("person_id", "-start_date", "id")
        .values_list("person_id", "site__latitude", "site__longitude", "site__city", "title")
    )
    for pid, plat, plon, pcity, title in jobs:
        i = dense.get(pid)
        if i is None:
            continue
        if np.isnan(lat[i]) and plat is not None:
            lat[i], lon[i], city[i] = plat, plon, pcity or ""
        texts[i].update(words_of(title))
    for _id, pid, _s, _l, _d, _w, note, derived in rows:
        words = texts[dense[pid]]
        if note:
            words.update(words_of(note))
        for entry in derived.values():
            for example in entry.get("examples", ()):
                words.update(words_of(example))
    postings: dict[str, list[int]] = defaultdict(list)
    for i, ws in texts.items():
        for w in ws:
            postings[w].append(i)
    return _ExpertIndex(
        signature=signature,
        full_signature=full,
        checked_at=time.monotonic(),
        row_person=np.fromiter((dense[r[1]] for r in rows), dtype=np.int64, count=len(rows)),
        row_skill=np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows)),
        row_points=np.fromiter(
            (_points(r[3], r[4], endorsed.get(r[0], 0), r[5]) for r in rows),
            dtype=np.float64,
            count=len(rows),
        ),
        row_ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
        person_ids=person_ids,
        person_vis=vis,
        person_owner=owner,
        person_lat=lat,
        person_lon=lon,
        person_city=city,
        postings={w: np.array(v, dtype=np.int64) for w, v in postings.items()},
        vocabulary=list(postings),
    )


#: Up to this many person skills an index is rebuilt in the request that notices a change;
#: larger tenants keep answering from the current index while a worker rebuilds it (job
#: "skills-index") and stores it, where every process picks it up.
SYNC_REBUILD_ROWS = 20_000
INDEX_KIND = "skills-index"
#: What a stored index is a build of: its stored file's mtime, per tenant, in this process.
_loaded_mtime: dict[int, int] = {}
#: When this process last asked for a rebuild (monotonic), so a burst of writes queues
#: one job per RECHECK_SECONDS, not one per request.
_asked_at: dict[int, float] = {}


def expert_index(tenant_id: int) -> _ExpertIndex:
    """The tenant's index, fresh for new rows at once (small tenants) or within seconds.

    A new row anywhere (a higher id) is seen by a cheap check on every call; edits and
    deletions by a full check every RECHECK_SECONDS (for large tenants by the worker's
    periodic check, :func:`stale_index`). A large tenant's rebuild runs on the task
    queue; meanwhile every query answers from the index it has. The index is only a
    ranking aid: who may be seen is checked in the database for every answer.
    """
    index = _index_cache.get(tenant_id)
    if index is None:
        index = _load_stored(tenant_id)
        if index is None or (
            len(index.row_ids) <= SYNC_REBUILD_ROWS and index.signature != _signature(tenant_id)
        ):
            index = _build_now(tenant_id)
            if len(index.row_ids) > SYNC_REBUILD_ROWS:
                store_index(tenant_id, index)  # what the worker's checks compare with
            return index
        _index_cache[tenant_id] = index
    signature = _signature(tenant_id)
    if signature != index.signature:
        if len(index.row_ids) <= SYNC_REBUILD_ROWS:
            return _build_now(tenant_id, signature)
        return _rebuilt_by_a_worker(tenant_id, index, signature)
    if time.monotonic() - index.checked_at >= RECHECK_SECONDS:
        index.checked_at = time.monotonic()
        if len(index.row_ids) > SYNC_REBUILD_ROWS:
            # The worker checks edits and deletions (stale_index); take what it stored.
            return _load_newer(tenant_id) or index
        if _full_signature(tenant_id) != index.full_signature:
            return _build_now(tenant_id)
    return index


def _build_now(tenant_id: int, signature: tuple | None = None) -> _ExpertIndex:
    with _index_lock:
        # Another request may have built it while this one waited for the lock.
        signature = signature or _signature(tenant_id)
        current = _index_cache.get(tenant_id)
        if current is not None and current.signature == signature:
            return current
        index = _build_index(tenant_id, signature)
        _index_cache[tenant_id] = index
    return index


def _rebuilt_by_a_worker(tenant_id: int, index: _ExpertIndex, signature: tuple) -> _ExpertIndex:
    """The stored index if a worker built it for ``signature``; else ask for a rebuild
    (at most once per RECHECK_SECONDS) and answer from ``index`` meanwhile."""
    newer = _load_newer(tenant_id)
    if newer is not None:
        index = newer
        if newer.signature == signature:
            return newer
    now = time.monotonic()
    if now - _asked_at.get(tenant_id, -RECHECK_SECONDS) >= RECHECK_SECONDS:
        _asked_at[tenant_id] = now
        from geflecht.jobs.runner import start_job

        try:
            start_job(INDEX_KIND, tenant_id=tenant_id, label=_("expert index"), unique=True)
        except Exception:  # the search still answers; a later one asks again
            log.exception("queueing the rebuild of tenant %s's skill index failed", tenant_id)
        # Run at once (tests, a CLI), the job has stored the fresh index already.
        index = _load_newer(tenant_id) or index
    return index


def stale_index(tenant_id: int) -> bool:
    """Whether the tenant's stored index misses a change (the worker's periodic check)."""
    # The signatures are stored beside the index, so checking costs no unpickling.
    try:
        stored = _index_path(tenant_id).with_suffix(".sig").read_text()
    except FileNotFoundError:
        return True
    return stored != _signatures_text(_signature(tenant_id), _full_signature(tenant_id))


def _signatures_text(signature: tuple, full_signature: tuple) -> str:
    return repr((signature, full_signature))


def rebuild_stored_index(tenant_id: int) -> _ExpertIndex:
    """Build the tenant's index from the database and store it for every process."""
    index = _build_index(tenant_id, _signature(tenant_id))
    store_index(tenant_id, index)
    return index


def stored_index_tenants() -> list[int]:
    """The tenants whose index is stored (those too large to rebuild in a request)."""
    folder = _index_folder()
    if not folder.is_dir():
        return []
    found = (p.stem.removeprefix("index-") for p in folder.glob("index-*.pickle"))
    return sorted(int(t) for t in found if t.isdigit())


def _index_folder() -> Path:
    return Path(settings.DATA_DIR) / "skills"


def _index_path(tenant_id: int) -> Path:
    return _index_folder() / f"index-{tenant_id}.pickle"


def store_index(tenant_id: int, index: _ExpertIndex) -> None:
    """Write the index where every process finds it; readers see the old or the new file
    whole (written aside, then renamed over it)."""
    path = _index_path(tenant_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
        pickle.dump(index, out, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(out.name, path)
    # Written after the index: a reader of a new signature finds the new index too.
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8"
    ) as sig:
        sig.write(_signatures_text(index.signature, index.full_signature))
    os.replace(sig.name, path.with_suffix(".sig"))


def _load_stored(tenant_id: int) -> _ExpertIndex | None:
    path = _index_path(tenant_id)
    try:
        mtime = path.stat().st_mtime_ns
        with path.open("rb") as f:
            # Our own file in the data directory, written by store_index only.
            index = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception:  # written by another version of the code: build a new one instead
        log.warning("the stored skill index of tenant %s is unreadable", tenant_id, exc_info=True)
        return None
    if not isinstance(index, _ExpertIndex):
        return None
    index.checked_at = time.monotonic()
    _loaded_mtime[tenant_id] = mtime
    return index


def _load_newer(tenant_id: int) -> _ExpertIndex | None:
    """The stored index if a worker stored one since this process last read it."""
    try:
        mtime = _index_path(tenant_id).stat().st_mtime_ns
    except FileNotFoundError:
        return None
    if mtime == _loaded_mtime.get(tenant_id):
        return None
    index = _load_stored(tenant_id)
    if index is not None:
        _index_cache[tenant_id] = index
    return index


def forget_index(tenant_id: int | None = None) -> None:
    """Drop this process's indexes (tests; after a tenant's data was replaced)."""
    with _index_lock:
        for memo in (_index_cache, _loaded_mtime, _asked_at):
            if tenant_id is None:
                memo.clear()
            else:
                memo.pop(tenant_id, None)


# --------------------------------------------------------------------- expert search
#: How much the parts of a ranking count; each appears in the explanation.
REACH_FLOOR = 0.5  # an unreachable expert keeps half their score
FURTHER_BONUS = 0.5  # all further words found: +50 %
CANDIDATES_FOR_REACH = 60
#: Reachability counts paths of up to three hops (me, a contact, their contact, the
#: expert): a fourth hop rarely makes an introduction and costs ten times the search.
REACH_MAX_HOPS = 3


@dataclass(frozen=True)
class ExpertHit:
    person: Person
    score: float
    skills: tuple[tuple[Skill, str], ...]  # (skill, why it matched the query)
    evidence: tuple[str, ...]
    further: tuple[str, ...]  # further query words found in notes/evidence/job
    city: str
    distance_km: float | None
    reach: float  # best path strength from me or my team, 0 when none
    path: IntroPath | None

    @property
    def reasons(self) -> list[str]:
        out = list(self.evidence)
        if self.further:
            out.append(_("also mentions %(words)s") % {"words": ", ".join(self.further)})
        if self.distance_km is not None:
            out.append(
                _("%(km)s km away (%(city)s)") % {"km": round(self.distance_km), "city": self.city}
            )
        if self.path is not None:
            out.append(_("path: %(path)s") % {"path": self.path.text()})
        elif self.reach >= 1.0:
            out.append(_("you or your team"))
        else:
            out.append(_("no path from you or your team"))
        return out


@dataclass(frozen=True)
class ExpertResult:
    query: str
    interpretation: matching.Interpretation
    skill_names: dict[int, str]
    place: places.Place | None
    radius_km: float | None
    total: int
    hits: list[ExpertHit] = field(default_factory=list)

    def understood(self) -> list[str]:
        """Which query words matched what, in words."""
        out = [
            _("“%(terms)s” → %(skill)s (via “%(via)s”)")
            % {"terms": m.terms, "skill": self.skill_names.get(m.skill_id, ""), "via": m.matched}
            for m in self.interpretation.matches
        ]
        if self.interpretation.further:
            out.append(
                _("further words: %(words)s") % {"words": ", ".join(self.interpretation.further)}
            )
        return out


def _visible_mask(user: User, index: _ExpertIndex) -> np.ndarray:
    mates = np.array(sorted(teammates(user)), dtype=np.int64)
    return (
        (index.person_vis == 0)
        | (index.person_owner == user.pk)
        | ((index.person_vis == 1) & np.isin(index.person_owner, mates))
    )


def _further_hits(index: _ExpertIndex, word: str) -> np.ndarray:
    """Person indexes whose notes, evidence or job mention ``word`` (typo-tolerant)."""
    hits = [index.postings[word]] if word in index.postings else []
    if len(word) >= 4:
        for w, _score, _i in process.extract(
            word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=85, limit=20
        ):
            if w != word:
                hits.append(index.postings[w])
        hits += [index.postings[w] for w in index.vocabulary if w.startswith(word) and w != word]
    return np.unique(np.concatenate(hits)) if hits else np.empty(0, dtype=np.int64)


def find_experts(
    user: User,
    text: str,
    *,
    near: str | None = None,
    radius_km: float | None = None,
    limit: int = 20,
    offset: int = 0,
    lang: str = "en",
    with_paths: bool = True,
) -> ExpertResult:
    """People the user may see who can do what ``text`` asks, best first, with reasons.

    Score = evidence x query match x further words x distance x reachability, where
    evidence = 1 - exp(-points) (a declaration counts level/5, each endorsement 0.4,
    derived evidence log(1 + weight)); a sub-skill of the skill asked for counts 0.9;
    each further word found in the person's notes, evidence or job adds up to 50 %;
    within ``radius_km`` of ``near`` the distance factor falls linearly from 1 to 0.5 at
    the edge (people without a known site are left out when a place is given); and the
    strength s of the best path from the user or their team gives 0.5 + 0.5 s.
    """
    if user.tenant_id is None:
        return ExpertResult(text, matching.Interpretation((), ()), {}, None, None, 0)
    place = resolve_place(user.tenant_id, near) if near else None
    if place is not None and radius_km is None:
        radius_km = 100.0
    if radius_km is not None and radius_km <= 0:
        raise ValidationError(_("The radius must be more than 0 km."), code="radius")
    tax = matching.taxonomy(user.tenant_id)
    reading = matching.interpret(tax, text)
    names = {
        sid: s.name_en if lang.startswith("en") else s.name_de for sid, s in tax.skills.items()
    }
    result = ExpertResult(text, reading, names, place, radius_km, 0)
    index = expert_index(user.tenant_id)
    n = len(index.person_ids)
    if not n or (not reading.matches and not reading.further):
        return result
    # Per query group: each person's best row, evidence x match weight.
    skill_ids = np.array(sorted(tax.skills), dtype=np.int64)
    group_scores = []
    best_row = {}
    for g, match in enumerate(reading.matches):
        weights = np.zeros(len(skill_ids))
        pos = np.searchsorted(skill_ids, np.array(list(match.skills), dtype=np.int64))
        weights[pos] = list(match.skills.values())
        row_pos = np.minimum(np.searchsorted(skill_ids, index.row_skill), len(skill_ids) - 1)
        row_w = np.where(skill_ids[row_pos] == index.row_skill, weights[row_pos], 0.0)
        rows = np.flatnonzero(row_w > 0)
        score = np.zeros(n)
        row_score = (1 - np.exp(-index.row_points[rows])) * row_w[rows]
        np.maximum.at(score, index.row_person[rows], row_score)
        group_scores.append(score)
        # Remember which row gave each person's best score (for the explanation).
        order = np.argsort(row_score, kind="stable")
        best_row[g] = dict(
            zip(index.row_person[rows][order].tolist(), rows[order].tolist(), strict=True)
        )
    further_found = np.zeros(n)
    further_sets = []
    for word in reading.further:
        hit = _further_hits(index, word)
        further_sets.append((word, hit))
        further_found[hit] += 1
    if group_scores:
        base = np.mean(group_scores, axis=0)
        if reading.further:
            base = base * (1 + FURTHER_BONUS * further_found / len(reading.further))
    else:
        # Only free words ("Titan"): people whose evidence mentions them, by how many.
        base = further_found / len(reading.further) * 0.5
    ok = (base > 0) & _visible_mask(user, index)
    distance = None
    if place is not None:
        distance = places.haversine_km(
            place.latitude, place.longitude, index.person_lat, index.person_lon
        )
        within = np.nan_to_num(distance, nan=np.inf) <= radius_km
        ok &= within
        base = base * np.where(within, 1 - 0.5 * np.nan_to_num(distance, nan=0) / radius_km, 0)
    candidates = np.flatnonzero(ok)
    total = len(candidates)
    if not total:
        return result
    want = offset + limit
    pool = candidates[np.argsort(-base[candidates], kind="stable")][
        : max(CANDIDATES_FOR_REACH, 2 * want)
    ]
    # The database has the last word on who may be seen (the index may be seconds old).
    pids = index.person_ids[pool]
    allowed = set(visible_people(user).filter(pk__in=pids.tolist()).values_list("pk", flat=True))
    keep = np.array([int(p) in allowed for p in pids.tolist()], dtype=bool)
    pool, pids = pool[keep], pids[keep]
    strengths, paths = _reach(user, pids.tolist())
    final = base[pool] * (REACH_FLOOR + (1 - REACH_FLOOR) * np.array(
        [strengths.get(int(p), 0.0) for p in pids.tolist()]
    ))  # fmt: skip
    order = np.argsort(-final, kind="stable")[offset:want]
    chosen = [int(pool[i]) for i in order]
    people = Person.objects.in_bulk([int(index.person_ids[i]) for i in chosen])
    row_ids = {
        int(index.row_ids[best_row[g][i]])
        for i in chosen
        for g in range(len(reading.matches))
        if i in best_row[g]
    }
    row_by_id = {
        r.pk: r for r in PersonSkill.objects.filter(pk__in=row_ids).select_related("skill")
    }
    endorsers = defaultdict(list)
    for ps_id, by_id in Endorsement.objects.filter(person_skill_id__in=row_ids).values_list(
        "person_skill_id", "by_id"
    ):
        endorsers[ps_id].append(by_id)
    user_names = _user_names(b for bys in endorsers.values() for b in bys)
    chosen_ids = [int(index.person_ids[i]) for i in chosen]
    rendered = _render(user, {p: paths.get(p) for p in chosen_ids}, lang) if with_paths else {}
    hits = []
    for rank, i in enumerate(chosen):
        pid = int(index.person_ids[i])
        matched, evidence, seen = [], [], set()
        for g, m in enumerate(reading.matches):
            r = best_row[g].get(i)
            if r is None:
                continue
            row = row_by_id.get(int(index.row_ids[r]))
            if row is None or row.pk in seen:
                continue
            seen.add(row.pk)
            why = _("matches “%(terms)s”") % {"terms": m.terms}
            if row.skill_id != m.skill_id:
                why = _("a kind of %(skill)s, matches “%(terms)s”") % {
                    "skill": names.get(m.skill_id, ""),
                    "terms": m.terms,
                }
            matched.append((row.skill, why))
            parts = []
            if row.self_declared:
                parts.append(_("self-declared level %(level)s/5") % {"level": row.level})
            bys = endorsers.get(row.pk, [])
            if bys:
                parts.append(
                    _("endorsed by %(names)s")
                    % {"names": ", ".join(sorted(user_names[b] for b in bys))}
                )
            parts += explain_derived(row.derived)
            if row.note:
                parts.append(_("note: %(note)s") % {"note": row.note})
            evidence.append(f"{row.skill.name(lang)}: " + "; ".join(parts))
        further = tuple(w for w, hit in further_sets if np.isin(i, hit))
        d = None
        if distance is not None and not math.isnan(distance[i]):
            d = float(distance[i])
        hits.append(
            ExpertHit(
                person=people[pid],
                score=round(float(final[order[rank]]), 4),
                skills=tuple(matched),
                evidence=tuple(evidence),
                further=further,
                city=index.person_city[i],
                distance_km=d,
                reach=strengths.get(pid, 0.0),
                path=rendered.get(pid),
            )
        )
    return ExpertResult(text, reading, names, place, radius_km, total, hits)


def _sources(user: User) -> set[int]:
    """Person ids of the user and the members of their teams."""
    ids = set(
        User.objects.filter(pk__in=teammates(user), person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    if user.person_id:
        ids.add(user.person_id)
    return ids


def _reach(user: User, person_ids: list[int]) -> tuple[dict[int, float], dict[int, engine.Path]]:
    """Strength of the best path from the user or their team to each person (engine paths)."""
    sources = _sources(user)
    strengths = {p: 1.0 for p in person_ids if p in sources}
    snap = current_graph(user.tenant_pk)
    src = snap.nodes(sources)
    tgt = snap.nodes([p for p in person_ids if p not in sources])
    if not len(src) or not len(tgt):
        return strengths, {}
    found = engine.best_group_paths(snap.paths_view(user.pk), src, tgt, max_hops=REACH_MAX_HOPS)
    paths = {}
    for path in found:
        pid = snap.person(path.target)
        # Searched on paths_view: a hop over a colleague's private tie or contact ("ask
        # <colleague>") already counts at network.snapshot.HIDDEN_STRETCH there, so the
        # strength is what the user may know, and the reach and score give no tie away.
        strengths[pid] = float(path.strength)
        paths[pid] = path
    return strengths, paths


def _render(user: User, paths: dict[int, engine.Path | None], lang: str) -> dict:
    """Engine paths -> what the user may see ("ask <colleague>" for hidden stretches)."""
    wanted = {pid: p for pid, p in paths.items() if p is not None}
    if not wanted:
        return {}
    snap = current_graph(user.tenant_pk)
    # The hops' evidence in words is the path page's job; a result list names the people.
    rendered = reach.render_paths(user, snap, list(wanted.values()), lang=lang, explain=False)
    return dict(zip(wanted, rendered, strict=True))


# ------------------------------------------------------------------------ skill matrix
def own_company_people(user: User) -> QuerySet[Person]:
    """Visible people with a current job at the tenant's own company."""
    return (
        visible_people(user)
        .filter(
            positions__organization__kind=Organization.Kind.OWN, positions__end_date__isnull=True
        )
        .distinct()
    )


@dataclass(frozen=True)
class SkillMatrix:
    groups: list[Skill]  # top-level skills: the columns
    rows: list[tuple[Person, list[int]]]  # person, best level per group (0 = none)
    single_holders: list[tuple[Skill, Person]]  # skills only one of us has
    people_total: int


def skill_matrix(user: User, *, limit: int = 50, offset: int = 0) -> SkillMatrix:
    """Our own company's people x top-level skill groups, and its single points of failure.

    A cell is the best level the person has in any skill of that group. A skill is a
    gap when exactly one of our people holds it (they fall ill, the knowledge is gone).
    """
    tax = matching.taxonomy(user.tenant_pk)
    groups = sorted(
        (s for s in tenant_skills(user) if s.parent_id is None), key=lambda s: s.name_de
    )
    col = {g.pk: i for i, g in enumerate(groups)}
    people_q = own_company_people(user).order_by("last_name", "first_name", "id")
    total = people_q.count()
    held = list(
        PersonSkill.objects.filter(
            tenant_id=user.tenant_pk, person__in=own_company_people(user)
        ).values_list("person_id", "skill_id", "level")
    )
    page = list(people_q[offset : offset + limit])
    cells = {p.pk: [0] * len(groups) for p in page}
    holders = defaultdict(set)
    for pid, sid, level in held:
        holders[sid].add(pid)
        if pid in cells and sid in tax.skills:
            c = col.get(tax.top_level(sid))
            if c is not None:
                cells[pid][c] = max(cells[pid][c], level)
    single = {sid: next(iter(pids)) for sid, pids in holders.items() if len(pids) == 1}
    skills = Skill.objects.in_bulk(list(single))
    people = Person.objects.in_bulk(list(single.values()))
    singles = sorted(
        ((skills[sid], people[pid]) for sid, pid in single.items()), key=lambda x: x[0].name_de
    )
    return SkillMatrix(groups, [(p, cells[p.pk]) for p in page], singles, total)


def skill_gaps(tenant_id: int, needed: Iterable[Skill]) -> list[Skill]:
    """Of the ``needed`` skills (e.g. those current projects ask for), the ones nobody of
    our own company has (counting sub-skills: a 5-axis miller covers "milling").

    Looks at all our people, private contacts included, but names none of them: the
    answer is only which skills are missing.
    """
    tax = matching.taxonomy(tenant_id)
    needed = list({s.pk: s for s in needed if s.tenant_id == tenant_id}.values())
    held = set(
        PersonSkill.objects.filter(
            tenant_id=tenant_id,
            person__positions__organization__kind=Organization.Kind.OWN,
            person__positions__end_date__isnull=True,
        ).values_list("skill_id", flat=True)
    )
    gaps = []
    for skill in needed:
        covered = {s for s, _d in tax.descendants(skill.pk)} & held
        if not covered:
            gaps.append(skill)
    return sorted(gaps, key=lambda s: s.name_de)


def skill_fit(
    user: User, person_ids: Iterable[int], needed: Iterable[Skill]
) -> dict[int, tuple[float, str]]:
    """How well each person covers the ``needed`` skills: ``(score in [0, 1], reason)``.

    Per needed skill the person's best level in it or any of its sub-skills (a 5-axis
    miller covers "milling") counts as level / 5; the score is the mean over the needed
    skills. Only people the user may see are scored.
    """
    tax = matching.taxonomy(user.tenant_pk)
    needed = [s for s in needed if s.tenant_id == user.tenant_id and s.pk in tax.skills]
    if not needed:
        return {}
    covers_skill = {s.pk: {sid for sid, _depth in tax.descendants(s.pk)} for s in needed}
    wanted = set().union(*covers_skill.values())
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    for pid, sid, level in PersonSkill.objects.filter(
        tenant_id=user.tenant_pk,
        person__in=visible_people(user).filter(pk__in=list(person_ids)),
        skill_id__in=wanted,
    ).values_list("person_id", "skill_id", "level"):
        levels[pid][sid] = level
    out = {}
    for pid, held in levels.items():
        parts, total = [], 0.0
        for skill in needed:
            best = max((held.get(sid, 0) for sid in covers_skill[skill.pk]), default=0)
            total += best / 5
            if best:
                parts.append(f"{skill.name(get_language())} {best}/5")
        if parts:
            out[pid] = (total / len(needed), _("skills: %(list)s") % {"list": ", ".join(parts)})
    return out
