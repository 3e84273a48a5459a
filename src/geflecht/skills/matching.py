"""Free text -> skills of the taxonomy, tolerant of typos, umlauts, hyphens and language.

"5 Achs fräsen Titan" matches the skill 5-Achs-Fräsen ("5 achs fraesen") and leaves
"titan" as a further term; "injection moulding" and "Kunststoffspritzguss" match
Spritzguss through its English name and its synonym. Words are folded the way the people
search folds them (:func:`geflecht.people.queries.fold`), then windows of up to four
query words are compared, glued together, with every name and synonym glued together,
so "5-Achsfräsen", "5 Achs Fräsen" and "5achsfrasen" all meet "5-Achs-Fräsen".
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max
from rapidfuzz import fuzz, process

from geflecht.people.queries import fold

_WORD = re.compile(r"\w+")
#: Query words that carry no meaning for a skill search.
STOP_WORDS = {
    "und", "oder", "mit", "fuer", "von", "in", "im", "der", "die", "das", "and", "or",
    "with", "for", "of", "the", "a", "an", "wer", "kann", "who", "can", "experte",
    "experten", "expert", "experts", "zu", "zur", "zum", "bei", "auf", "near", "at",
}  # fmt: skip
MAX_WINDOW = 4
#: A descendant of a matched skill counts as that skill, a little less.
DESCENDANT_WEIGHT = 0.9
#: A single word that is one word of a longer name ("CNC" in "CNC-Fräsen").
PART_WEIGHT = 0.7


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if w not in STOP_WORDS]


@dataclass(frozen=True)
class SkillEntry:
    id: int
    parent_id: int | None
    name_de: str
    name_en: str


@dataclass
class Taxonomy:
    """A tenant's taxonomy prepared for matching (a cache; the database is the truth)."""

    signature: tuple
    skills: dict[int, SkillEntry]
    children: dict[int, list[int]]
    variants: list[str]  # glued folded names and synonyms
    variant_skill: list[int]
    variant_label: list[str]
    exact: dict[str, list[int]]  # glued name -> variant indexes
    word_skills: dict[str, set[int]]  # one folded word -> skills whose names contain it

    def descendants(self, skill_id: int) -> list[tuple[int, int]]:
        """(skill id, depth below ``skill_id``) for the skill's whole subtree, itself first."""
        out, stack = [], [(skill_id, 0)]
        while stack:
            sid, depth = stack.pop()
            out.append((sid, depth))
            stack.extend((c, depth + 1) for c in self.children.get(sid, ()))
        return out

    def top_level(self, skill_id: int) -> int:
        seen = set()
        while (parent := self.skills[skill_id].parent_id) is not None and skill_id not in seen:
            seen.add(skill_id)
            skill_id = parent
        return skill_id


@dataclass(frozen=True)
class TermMatch:
    """Query words that matched skills: ``skills`` maps skill id -> weight in (0, 1]."""

    terms: str
    skill_id: int
    matched: str  # the name or synonym that matched
    score: float
    skills: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Interpretation:
    """How a query was read: the skill matches and the words left over."""

    matches: tuple[TermMatch, ...]
    further: tuple[str, ...]


def _build(tenant_id: int, signature: tuple) -> Taxonomy:
    from geflecht.skills.models import Skill

    rows = list(
        Skill.objects.filter(tenant_id=tenant_id).values_list(
            "id", "parent_id", "name_de", "name_en", "synonyms"
        )
    )
    skills, children = {}, defaultdict(list)
    variants: list[str] = []
    variant_skill: list[int] = []
    variant_label: list[str] = []
    exact: dict[str, list[int]] = defaultdict(list)
    word_skills: dict[str, set[int]] = defaultdict(set)
    for sid, parent, de, en, synonyms in rows:
        skills[sid] = SkillEntry(sid, parent, de, en)
        if parent is not None:
            children[parent].append(sid)
        for label in dict.fromkeys([de, en, *(synonyms or [])]):
            tokens = _WORD.findall(fold(label))
            if not tokens:
                continue
            glued = "".join(tokens)
            exact[glued].append(len(variants))
            variants.append(glued)
            variant_skill.append(sid)
            variant_label.append(label)
            for t in tokens:
                if len(t) >= 2 and not t.isdigit():
                    word_skills[t].add(sid)
    return Taxonomy(
        signature, skills, dict(children), variants, variant_skill, variant_label,
        dict(exact), dict(word_skills),
    )  # fmt: skip


_cache: dict[int, Taxonomy] = {}
_lock = threading.Lock()


def taxonomy(tenant_id: int) -> Taxonomy:
    """The tenant's taxonomy for matching, rebuilt when a skill was added, edited or deleted."""
    from geflecht.skills.models import Skill

    agg = Skill.objects.filter(tenant_id=tenant_id).aggregate(
        n=Count("id"), t=Max("updated_at"), m=Max("id")
    )
    signature = (agg["n"], agg["t"], agg["m"])
    found = _cache.get(tenant_id)
    if found is not None and found.signature == signature:
        return found
    # The taxonomy is small (a build takes milliseconds) and matching must see a new
    # skill at once, so it is rebuilt here, not on the queue; the lock lets concurrent
    # requests of one process build it once.
    with _lock:
        found = _cache.get(tenant_id)
        if found is None or found.signature != signature:
            found = _build(tenant_id, signature)
            _cache[tenant_id] = found
    return found


def forget(tenant_id: int | None = None) -> None:
    with _lock:
        if tenant_id is None:
            _cache.clear()
        else:
            _cache.pop(tenant_id, None)


def _cutoff(glued: str) -> float:
    # Short words must match exactly ("S7" is not "S5"); longer ones may hold a typo.
    n = len(glued)
    return 100.0 if n <= 3 else 88.0 if n <= 6 else 84.0


def _typo_of(word: str, name: str) -> bool:
    """A near miss, not a different word: same first letter, about the same length
    ("programmierung" is not a typo of "ncprogrammierung")."""
    return word[0] == name[0] and abs(len(word) - len(name)) <= max(1, len(name) // 8)


def interpret(tax: Taxonomy, text: str) -> Interpretation:
    """Read ``text`` as skills plus further words.

    Better matches win, then longer ones ("Siemens NX" is the CAD system, not the PLC
    family); each query word belongs to at most one match.
    """
    q = words(text)[:12]
    candidates: list[tuple[float, int, int, int]] = []  # (-score, -length, start, variant)
    for length in range(min(MAX_WINDOW, len(q)), 0, -1):
        for start in range(len(q) - length + 1):
            glued = "".join(q[start : start + length])
            if glued in tax.exact:
                candidates.append((-100.0, -length, start, tax.exact[glued][0]))
                continue
            if not tax.variants or (length == 1 and len(glued) <= 3):
                continue
            for _variant, score, i in process.extract(
                glued, tax.variants, scorer=fuzz.ratio, score_cutoff=_cutoff(glued), limit=5
            ):
                if _typo_of(glued, tax.variants[i]):
                    candidates.append((-float(score), -length, start, int(i)))
                    break
    candidates.sort()
    used = [False] * len(q)
    matches: list[tuple[int, TermMatch]] = []
    for neg_score, neg_len, start, variant in candidates:
        span = range(start, start - neg_len)
        if any(used[i] for i in span):
            continue
        for i in span:
            used[i] = True
        sid = tax.variant_skill[variant]
        weights: dict[int, float] = {
            s: (1.0 if depth == 0 else DESCENDANT_WEIGHT) for s, depth in tax.descendants(sid)
        }
        matches.append(
            (
                start,
                TermMatch(
                    " ".join(q[i] for i in span), sid, tax.variant_label[variant],
                    -neg_score / 100, weights,
                ),
            )
        )  # fmt: skip
    # A lone word that is part of longer names ("cnc", "laser") stands for all of them.
    for i, w in enumerate(q):
        if used[i] or w not in tax.word_skills or w.isdigit():
            continue
        used[i] = True
        sids = sorted(tax.word_skills[w], key=lambda s: (tax.skills[s].name_de, s))
        weights = {}
        for sid in sids:
            for s, depth in tax.descendants(sid):
                weights[s] = max(weights.get(s, 0.0), PART_WEIGHT * (1 if depth == 0 else 0.9))
        label = ", ".join(tax.skills[s].name_de for s in sids[:3])
        matches.append((i, TermMatch(w, sids[0], label, PART_WEIGHT, weights)))
    matches.sort(key=lambda m: m[0])
    further = tuple(w for i, w in enumerate(q) if not used[i] and len(w) >= 2)
    return Interpretation(tuple(m for _, m in matches), further)


def skills_in_text(tax: Taxonomy, text: str) -> dict[int, str]:
    """Skills a free text (a subject, a document title) names: skill id -> the name.

    Stricter than a search: only whole names and synonyms count (folded, so umlauts,
    case and hyphens do not matter), not typos or single parts of longer names.
    """
    q = _WORD.findall(fold(text))[:40]
    found: dict[int, str] = {}
    used = [False] * len(q)
    for length in range(min(MAX_WINDOW, len(q)), 0, -1):
        for start in range(len(q) - length + 1):
            if any(used[start : start + length]):
                continue
            hit = tax.exact.get("".join(q[start : start + length]))
            if hit:
                for i in range(start, start + length):
                    used[i] = True
                found.setdefault(tax.variant_skill[hit[0]], tax.variant_label[hit[0]])
    return found
