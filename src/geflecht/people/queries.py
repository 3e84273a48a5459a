"""Reads of people and organisations, with the visibility rules applied once."""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from geflecht.accounts.models import User
from geflecht.lib.errors import NotFound
from geflecht.lib.models import Visibility
from geflecht.lib.visibility import RESTRICTED, can_see, covers, teammates, visible_sql
from geflecht.people.models import (
    ContactEmail,
    ContactPhone,
    Organization,
    Person,
    Position,
    PrivateNote,
    Site,
)


def visible_people(user: User) -> QuerySet[Person]:
    """People of the user's tenant the user may see (company, their team's, their own)."""
    return Person.objects.visible_to(user)


_TITLES = {"dr.", "prof.", "dipl.-ing.", "ing.", "mag.", "dr", "prof"}


def find_people(user: User, text: str, *, limit: int = 10) -> list[Person]:
    """People visible to ``user`` whose name matches ``text`` ("Dr. Klaus Weber", "Weber").

    Titles are ignored, case does not matter; the last word is the last name.
    """
    words = [w for w in text.split() if w.lower() not in _TITLES]
    if not words:
        return []
    query = visible_people(user).filter(last_name__iexact=words[-1])
    if len(words) > 1:
        query = query.filter(first_name__iexact=" ".join(words[:-1]))
    return list(query.order_by("id")[:limit])


def visible_person(user: User, pk: int) -> Person:
    """One person the user may see, or ``NotFound`` (the same for missing and hidden)."""
    person = visible_people(user).filter(pk=pk).first()
    if person is None:
        raise NotFound(_("No person with id %(id)s.") % {"id": pk})
    return person


def visible_organizations(user: User) -> QuerySet[Organization]:
    """Organisations of the tenant the user may see: the shared ones, and those a private
    (or team) import brought in for the user or their team."""
    return Organization.objects.visible_to(user)


def visible_organization(user: User, pk: int) -> Organization:
    org = visible_organizations(user).filter(pk=pk).first()
    if org is None:
        raise NotFound(_("No organisation with id %(id)s.") % {"id": pk})
    return org


def visible_sites(user: User) -> QuerySet[Site]:
    """Sites of the organisations the user may see."""
    return Site.objects.visible_to(user).select_related("organization")


def visible_site(user: User, pk: int) -> Site:
    site = visible_sites(user).filter(pk=pk).first()
    if site is None:
        raise NotFound(_("No site with id %(id)s.") % {"id": pk})
    return site


def visible_positions(user: User) -> QuerySet[Position]:
    """Jobs of the people the user may see."""
    return Position.objects.visible_to(user).select_related("organization", "site")


def visible_position(user: User, pk: int) -> Position:
    position = visible_positions(user).select_related("person").filter(pk=pk).first()
    if position is None:
        raise NotFound(_("No position with id %(id)s.") % {"id": pk})
    return position


# ---------------------------------------------------------------------------- search
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe"})
_WORD = re.compile(r"\w+")
_NOISE_WORDS = {"dr", "prof", "dipl", "ing", "herr", "frau", "gmbh", "ag", "kg", "co", "mbh"}


def fold(text: str) -> str:
    """Lower case with umlauts spelt out and accents dropped: 'Müller' -> 'mueller'.

    Both "Müller" and "Mueller" fold to the same word, which is how German names are
    written when a keyboard or an e-mail address has no umlauts.
    """
    text = unicodedata.normalize("NFKD", text.casefold().translate(_SPELLED_OUT))
    return "".join(c for c in text if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    words = _WORD.findall(fold(text))
    return [w for w in words if w not in _NOISE_WORDS] or words


@dataclass(frozen=True)
class SearchHit:
    """One search result: ``kind`` is "person", "organization" or "site"."""

    kind: str
    id: int
    label: str
    detail: str
    score: float


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may see an indexed row: its visibility and owner (the rule of lib.visibility)."""

    tenant_id: int
    visibility: str
    owner_id: int | None


@dataclass
class _TenantIndex:
    """Folded words of every person, organisation and site of one tenant.

    Each distinct word keeps the row numbers it occurs in, so a query word is matched
    against the vocabulary (a few thousand words), never against every row.
    """

    signature: tuple
    full_signature: tuple
    checked_at: float
    person_ids: np.ndarray
    person_owner: np.ndarray  # 0 for company-visible people, else the owner's user id
    person_team: np.ndarray  # bool: team-visible (the owner's team mates see them)
    person_label: list[str]
    person_detail: list[str]
    postings: dict[str, np.ndarray]
    name_words: dict[str, np.ndarray]  # words of the name alone: a name hit ranks first
    vocabulary: list[str]
    orgs: list[tuple[int, str, str, str, Audience]]  # id, folded name, label, detail, who sees
    sites: list[tuple[int, str, str, str, Audience]]


_search_cache: dict[int, _TenantIndex] = {}
_search_lock = threading.Lock()


def index_signature(tenant_id: int) -> tuple:
    """A cheap fingerprint of what the index holds: the highest row ids (new rows) read
    from the primary keys in O(1) per table."""
    return tuple(
        model.objects.aggregate(m=Max("id"))["m"]
        for model in (Person, Position, Organization, Site)
    )


def _full_signature(tenant_id: int) -> tuple:
    # Counts and last edit times catch edits and deletions; they scan the tenant's rows,
    # so they are read at most every SEARCH_RECHECK_SECONDS.
    sig = []
    for model in (Person, Position, Organization, Site):
        agg = model.objects.filter(tenant_id=tenant_id).aggregate(
            n=Count("id"), t=Max("updated_at")
        )
        sig += [agg["n"], agg["t"]]
    return tuple(sig)


SEARCH_RECHECK_SECONDS = 20.0


def _build_index(tenant_id: int, signature: tuple) -> _TenantIndex:
    full = _full_signature(tenant_id)
    rows = list(
        Person.objects.filter(tenant_id=tenant_id)
        .order_by("id")
        .values_list("id", "title", "first_name", "last_name", "visibility", "owner_id")
    )
    audience = {r[0]: Audience(tenant_id, r[4], r[5]) for r in rows}
    at: dict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
    for pid, org, site, city, job, org_visibility, org_owner in (
        Position.objects.filter(tenant_id=tenant_id, end_date__isnull=True)
        .order_by("id")
        .values_list(
            "person_id",
            "organization__name",
            "site__name",
            "site__city",
            "title",
            "organization__visibility",
            "organization__owner_id",
        )
    ):
        # Whoever finds the person must be able to see the employer named with them.
        employer = Audience(tenant_id, org_visibility, org_owner)
        if pid in audience and covers(employer, audience[pid]):
            at[pid].append((org, site or "", city or "", job))
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    owners = np.fromiter(
        (r[5] or 0 if r[4] in RESTRICTED else 0 for r in rows), dtype=np.int64, count=len(rows)
    )
    team = np.fromiter((r[4] == Visibility.TEAM for r in rows), dtype=bool, count=len(rows))
    labels, details = [], []
    postings: dict[str, list[int]] = defaultdict(list)
    names: dict[str, list[int]] = defaultdict(list)
    for i, (pid, title, first, last, _visibility, _owner) in enumerate(rows):
        labels.append(" ".join(p for p in (title, first, last) if p))
        jobs = at.get(pid, [])
        details.append(
            "; ".join(", ".join(x for x in (job, org, city) if x) for org, _site, city, job in jobs)
        )
        name_words = set(_words(f"{first} {last}"))
        for w in name_words:
            names[w].append(i)
        place_words = {w for org, site, city, _ in jobs for w in _words(f"{org} {site} {city}")}
        for w in name_words | place_words:
            postings[w].append(i)
    orgs = [
        (
            oid,
            " ".join(_words(name)),
            name,
            str(Organization.Kind(kind).label),
            Audience(tenant_id, v, o),
        )
        for oid, name, kind, v, o in Organization.objects.filter(tenant_id=tenant_id).values_list(
            "id", "name", "kind", "visibility", "owner_id"
        )
    ]
    sites = [
        (
            sid,
            " ".join(_words(f"{org} {name} {city}")),
            f"{org}, {name or city}",
            city,
            Audience(tenant_id, v, o),
        )
        for sid, org, name, city, v, o in Site.objects.filter(tenant_id=tenant_id).values_list(
            "id",
            "organization__name",
            "name",
            "city",
            "organization__visibility",
            "organization__owner_id",
        )
    ]
    return _TenantIndex(
        signature=signature,
        full_signature=full,
        checked_at=time.monotonic(),
        person_ids=ids,
        person_owner=owners,
        person_team=team,
        person_label=labels,
        person_detail=details,
        postings={w: np.array(v, dtype=np.int64) for w, v in postings.items()},
        name_words={w: np.array(v, dtype=np.int64) for w, v in names.items()},
        vocabulary=list(postings),
        orgs=orgs,
        sites=sites,
    )


def tenant_search_index(tenant_id: int) -> _TenantIndex:
    """The tenant's word index, built on first use and rebuilt when the data moved."""
    signature = index_signature(tenant_id)
    index = _search_cache.get(tenant_id)
    if index is not None and index.signature == signature:
        if time.monotonic() - index.checked_at < SEARCH_RECHECK_SECONDS:
            return index
        if _full_signature(tenant_id) == index.full_signature:
            index.checked_at = time.monotonic()
            return index
    with _search_lock:
        index = _build_index(tenant_id, signature)
        _search_cache[tenant_id] = index
    return index


def _similar_words(word: str, vocabulary: list[str]) -> list[tuple[str, float]]:
    """Vocabulary words like ``word``: typos (similarity >= 80) and, from 3 letters on,
    words that start with it (so "web" finds "weber" while the user types)."""
    cutoff = 80 if len(word) > 3 else 90
    found = {
        w: score
        for w, score, _ in process.extract(
            word, vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=50
        )
    }
    if len(word) >= 3:
        for w in vocabulary:
            if w.startswith(word) and w not in found:
                found[w] = 85.0
    return list(found.items())


def search(user: User, text: str, *, limit: int = 20) -> list[SearchHit]:
    """People, organisations and sites matching ``text``, best first, as ``user`` sees them.

    Typo- and umlaut-tolerant ("Mueller" and "Muller" find "Müller"); every word must
    match the person's name, employer, site or city, so "Weber Ulm" finds the Webers
    who work in Ulm. A colleague's private contacts never appear. The tenant's word
    index is built once per process and rebuilt when people, positions, organisations
    or sites change.
    """
    words = _words(text)[:6]
    if not words or user.tenant_id is None:
        return []
    index = tenant_search_index(user.tenant_id)
    people = _search_people(user, index, words, limit)
    if people:
        # The index may be a few seconds old: the database has the last word on who
        # exists and who may be seen (a contact made private a moment ago stays hidden).
        allowed = set(
            visible_people(user).filter(pk__in=[h.id for h in people]).values_list("pk", flat=True)
        )
        people = [h for h in people if h.id in allowed]
    hits = people + _search_places(user, index, words)
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]


def linkable_people(user: User, text: str, *, limit: int = 8) -> list[SearchHit]:
    """People matching ``text`` (as :func:`search` finds them) that ``user`` may make the
    person of their own login: visible to them and linked to no login yet."""
    hits = [h for h in search(user, text, limit=limit * 4) if h.kind == "person"]
    taken = set(
        User.objects.filter(person_id__in=[h.id for h in hits]).values_list("person_id", flat=True)
    )
    return [h for h in hits if h.id not in taken][:limit]


def _search_people(user: User, index: _TenantIndex, words: list[str], limit: int):
    if not len(index.person_ids):
        return []
    n = len(index.person_ids)
    total = np.zeros(n, dtype=np.float32)
    matched = np.zeros(n, dtype=np.int16)
    name_bonus = np.zeros(n, dtype=np.float32)
    for word in words:
        best = np.zeros(n, dtype=np.float32)
        for similar, score in _similar_words(word, index.vocabulary):
            rows = index.postings[similar]
            best[rows] = np.maximum(best[rows], score)
            if similar in index.name_words:
                name_rows = index.name_words[similar]
                name_bonus[name_rows] = np.maximum(name_bonus[name_rows], score / 100)
        total += best
        matched += best > 0
    # Every word must match; a name word ranks a person above a colleague of the firm.
    ok = (matched == len(words)) & (name_bonus > 0)
    ok &= _visible_mask(user, index.person_owner, index.person_team, among=ok)
    rows = np.flatnonzero(ok)
    if not len(rows):
        return []
    scores = total[rows] / len(words) + 10 * name_bonus[rows]
    order = rows[np.argsort(-scores, kind="stable")[:limit]]
    top = dict(zip(rows.tolist(), scores.tolist(), strict=True))
    return [
        SearchHit(
            "person",
            int(index.person_ids[i]),
            index.person_label[i],
            index.person_detail[i],
            float(top[int(i)]),
        )
        for i in order
    ]


def _visible_mask(user: User, owner: np.ndarray, team: np.ndarray, among) -> np.ndarray:
    """The rule of ``visible_q`` over index rows (owner 0: company-visible), decided for
    the rows in ``among``; the user's team mates are read only when a team row is among
    them."""
    mask = (owner == 0) | (owner == user.pk)
    undecided = among & team & ~mask
    if undecided.any():
        mates = np.fromiter(teammates(user), dtype=np.int64)
        mask |= undecided & np.isin(owner, mates)
    return mask


def _search_places(user: User, index: _TenantIndex, words: list[str]) -> list[SearchHit]:
    query = " ".join(words)
    hits = []
    for kind, rows in (("organization", index.orgs), ("site", index.sites)):
        choices = {i: row[1] for i, row in enumerate(rows) if can_see(user, row[4])}
        for _match, score, i in process.extract(
            query, choices, scorer=fuzz.token_set_ratio, score_cutoff=85, limit=10
        ):
            oid, _folded, label, detail, _audience = rows[i]
            # Places rank with people of a full name match, a little below an exact name.
            hits.append(SearchHit(kind, oid, label, detail, float(score) + 5))
    return hits


def forget_search_index(tenant_id: int | None = None) -> None:
    """Drop the cached search index of one tenant (or all): tests, and after bulk deletes."""
    with _search_lock:
        if tenant_id is None:
            _search_cache.clear()
        else:
            _search_cache.pop(tenant_id, None)


@dataclass(frozen=True)
class PersonDetail:
    """A person with addresses, numbers and jobs, read in two queries (the API's hot path)."""

    person: Person
    emails: list[str]
    phones: list[str]
    positions: list[dict]


def person_detail(user: User, pk: int) -> PersonDetail:
    """One visible person with contacts and positions, or ``NotFound``.

    The three lists come from one UNION ALL statement instead of three prefetches: on a
    busy server the round trips and the ORM's per-query work were half of a request.
    """
    table = Person._meta.db_table
    condition, params = visible_sql(user, "p")
    found = list(
        Person.objects.raw(
            f"SELECT p.* FROM {table} p WHERE p.id = %s AND p.tenant_id = %s AND {condition}",
            [pk, user.tenant_id, *params],
        )
    )
    if not found:
        raise NotFound(_("No person with id %(id)s.") % {"id": pk})
    person = found[0]
    e, ph, po, org = (
        ContactEmail._meta.db_table,
        ContactPhone._meta.db_table,
        Position._meta.db_table,
        Organization._meta.db_table,
    )
    # Every branch yields the same ten typed columns; dates travel as ISO text.
    none_id, none_text = "CAST(NULL AS BIGINT)", "CAST(NULL AS TEXT)"
    sql = f"""
        SELECT 0, id, email, {none_id}, {none_id}, '', '', '', {none_text}, {none_text}
          FROM {e} WHERE person_id = %s
        UNION ALL
        SELECT 1, id, number, {none_id}, {none_id}, '', '', '', {none_text}, {none_text}
          FROM {ph} WHERE person_id = %s
        UNION ALL
        SELECT 2, p.id, o.name, p.organization_id, p.site_id, p.title, p.department,
               p.buying_role, CAST(p.start_date AS TEXT), CAST(p.end_date AS TEXT)
          FROM {po} p JOIN {org} o ON o.id = p.organization_id WHERE p.person_id = %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk, pk, pk])
        rows = cursor.fetchall()
    emails = [r[2] for r in sorted(r for r in rows if r[0] == 0)]
    phones = [r[2] for r in sorted(r for r in rows if r[0] == 1)]
    positions = [
        {
            "id": r[1],
            "person_id": pk,
            "organization_id": r[3],
            "organization": r[2],
            "site_id": r[4],
            "title": r[5],
            "department": r[6],
            "buying_role": r[7],
            "start_date": r[8],
            "end_date": r[9],
            "is_current": r[9] is None,
        }
        for r in rows
        if r[0] == 2
    ]
    # The model's order: current jobs first, then by start date, newest first.
    positions.sort(key=lambda p: p["start_date"] or "", reverse=True)
    positions.sort(key=lambda p: p["end_date"] or "9999-12-31", reverse=True)
    return PersonDetail(person, emails, phones, positions)


def my_private_notes(user: User, person: Person) -> QuerySet[PrivateNote]:
    """The user's own notes on a person (nobody else's, ever)."""
    return PrivateNote.objects.filter(person=person, owner=user)
