"""Identity resolution: is this incoming contact someone we already know?

Evidence, strongest first:

* the same e-mail address (lower-cased) or the same phone number (E.164): **certain**;
* the same normalised name and no contradiction (no disjoint addresses or numbers on
  both sides, the same organisation or none given): **certain**, so a re-import of a card
  that carries neither address nor number creates nothing new;
* a similar name (rapidfuzz ratio, umlaut and ß aware, titles ignored) at the same
  organisation: **probable**;
* a similar name only: **uncertain**.

Certain matches are updated by the loader; probable and uncertain ones become a
:class:`DuplicateCandidate` for review. Matching only ever looks at the people the
importing user may see, so an import never lands in a colleague's private address book.

:func:`find_duplicates` computes the review list from the database on the fly: people
are grouped into blocks (normalised last name + first initial, and first name + last
initial, so a typo in one of the two still meets), and only pairs inside a block are
scored, which keeps it near-linear for 100,000 people.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from geflecht.accounts.models import User
from geflecht.people.models import ContactEmail, ContactPhone, Position
from geflecht.people.models import normalize_phone as _normalize_phone
from geflecht.people.queries import visible_people

__all__ = [
    "CERTAIN",
    "PROBABLE",
    "UNCERTAIN",
    "DuplicateCandidate",
    "IdentityIndex",
    "Known",
    "blocking_keys",
    "find_duplicates",
    "name_score",
    "normalize_email",
    "normalize_name",
    "normalize_org",
    "normalize_phone",
    "parts_agree",
    "split_title",
]

CERTAIN, PROBABLE, UNCERTAIN = "certain", "probable", "uncertain"
#: Names at least this similar (0-100) are worth a look.
NAME_THRESHOLD = 88.0
#: ... and each part (first name, last name) at least this similar on its own: with a
#: long shared surname, "Anna Wiesenthaler" and "Andrea Wiesenthaler" are 89 % alike.
PART_THRESHOLD = 80.0
ORG_THRESHOLD = 90.0
# Blocks larger than this are common names ("Müller M."); scoring inside them stays
# vectorised, but a block this big is cut to keep one request bounded.
MAX_BLOCK = 2000
#: Review candidates kept per incoming contact (the best ones).
MAX_CANDIDATES = 3

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe"})
_TITLE_WORDS = {
    "dr", "prof", "professor", "dipl", "ing", "dipl-ing", "mag", "med", "rer", "nat", "phil",
    "jur", "habil", "mba", "msc", "bsc", "ma", "ba", "herr", "frau", "mr", "mrs", "ms", "sir",
    "dr-ing", "h.c", "hc", "em", "priv-doz", "doz",
}  # fmt: skip
_TITLE_TOKEN = re.compile(
    r"^(?:dr|prof|dipl|ing|mag|med|rer|nat|phil|jur|habil|priv|doz|h\.c)\.?"
    r"(?:[-.](?:ing|med|rer|nat|phil|jur|oec|pol|doz|h\.c)\.?)*$",
    re.IGNORECASE,
)
# Words dropped when names are compared (never when that would leave nothing).
_NAME_NOISE = {"dr", "prof", "professor", "dipl", "ing", "mag", "herr", "frau", "mr", "mrs", "ms"}
_NON_WORD = re.compile(r"[^\w]+")
_LEGAL_FORMS = {
    "gmbh", "ag", "kg", "co", "ohg", "ug", "mbh", "se", "eg", "ev", "e", "v", "kgaa", "inc",
    "ltd", "llc", "corp", "corporation", "company", "sa", "sarl", "bv", "nv", "plc",
    "haftungsbeschraenkt",
}  # fmt: skip


def normalize_email(raw: str) -> str | None:
    """``"  Anna@Example.DE "`` -> ``"anna@example.de"``; None when it is no address."""
    value = raw.strip().strip("<>").strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    value = value.lower()
    if not value or len(value) > 254:
        return None
    try:
        validate_email(value)
    except ValidationError:
        return None
    return value


def normalize_phone(raw: str, region: str | None = None) -> str | None:
    """E.164 form (``+49731123450``) or None when it is not a valid number."""
    try:
        return _normalize_phone(raw, region)
    except ValidationError:
        return None


def _fold(text: str) -> str:
    text = text.casefold().translate(_UMLAUTS)
    # Other accents (é, š, å) go; the umlauts were spelt out above first.
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def split_title(name: str) -> tuple[str, str]:
    """Split leading titles off a name: ``"Dr. Ing. Eva Roth"`` -> ``("Dr. Ing.", "Eva Roth")``.

    Salutations (Herr, Frau, Mr) are dropped.
    """
    words = name.split()
    titles = []
    while words and (_TITLE_TOKEN.match(words[0]) or words[0].lower().rstrip(".") in _TITLE_WORDS):
        if words[0].lower().rstrip(".") in {"herr", "frau", "mr", "mrs", "ms", "sir"}:
            words.pop(0)  # a salutation, not a title
            continue
        titles.append(words.pop(0))
    return " ".join(titles), " ".join(words)


def normalize_name(text: str) -> str:
    """Casefolded, umlauts spelt out, titles and punctuation gone: ``"Dr. Jürgen Müller"`` ->
    ``"juergen mueller"``."""
    words = [w for w in _NON_WORD.split(_fold(text)) if w]
    return " ".join([w for w in words if w not in _NAME_NOISE] or words)


def normalize_org(text: str) -> str:
    """Organisation names without legal form and punctuation: ``"Brenner GmbH & Co. KG"`` ->
    ``"brenner"``."""
    words = [w for w in _NON_WORD.split(_fold(text)) if w]
    core = [w for w in words if w not in _LEGAL_FORMS]
    return " ".join(core or words)


def blocking_keys(first: str, last: str) -> tuple[str, ...]:
    """Keys that put likely duplicates into the same block (normalised names in)."""
    last_key = last.replace(" ", "")
    first_key = first.replace(" ", "")
    keys = [f"l:{last_key}|{first_key[:1]}"]
    if first_key:
        keys.append(f"f:{first_key}|{last_key[:1]}")
    return tuple(keys)


def parts_agree(first_a: str, last_a: str, first_b: str, last_b: str) -> bool:
    """Are first and last names each alike (a typo, an umlaut spelt out), not just the
    whole name? A missing first name or an initial ("E.") agrees with any."""
    if Indel.normalized_similarity(last_a, last_b) * 100 < PART_THRESHOLD:
        return False
    if len(first_a) <= 1 or len(first_b) <= 1:
        return not first_a or not first_b or first_a[0] == first_b[0]
    return Indel.normalized_similarity(first_a, first_b) * 100 >= PART_THRESHOLD


def _sorted_words(name: str) -> str:
    # token_sort_ratio is ratio() of the sorted words; sorting once per name, not per pair.
    return " ".join(sorted(name.split()))


def name_score(a: str, b: str) -> float:
    """Similarity 0-100 of two normalised full names (word order does not matter)."""
    return float(fuzz.token_sort_ratio(a, b))


@dataclass(eq=False, slots=True)
class Known:
    """What the matcher knows about one person (existing, or created by this import)."""

    pid: int | None
    first: str
    last: str
    visibility: str = "company"
    owner_id: int | None = None
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    orgs: set[str] = field(default_factory=set)  # normalised names of current employers
    indexed: bool = False

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}".strip()


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    """Two people who may be one; ``person_id`` is the newer (the merge candidate)."""

    survivor_id: int
    person_id: int
    score: float
    level: str
    reasons: tuple[str, ...]


@dataclass(slots=True)
class Match:
    certain: list[Known]
    reasons: list[str]
    candidates: list[tuple[Known, float, str, tuple[str, ...]]]


class IdentityIndex:
    """In-memory index of the people one user may see, for matching a stream of contacts.

    Built once per import with a few streaming queries (no per-record queries), then kept
    up to date with the people the import creates, so a file that names someone twice
    still yields one person.
    """

    def __init__(self) -> None:
        self.by_email: dict[str, Known] = {}
        self.by_phone: dict[str, Known] = {}
        self.by_block: dict[str, list[Known]] = defaultdict(list)
        # The same blocks as plain names, so rapidfuzz scores a whole block in C.
        self.block_names: dict[str, list[str]] = defaultdict(list)
        self.by_full: dict[str, list[Known]] = defaultdict(list)
        self.by_pid: dict[int, Known] = {}

    @classmethod
    def for_user(cls, user: User) -> IdentityIndex:
        index = cls()
        people = visible_people(user)
        for pid, first, last, visibility, owner_id in people.values_list(
            "id", "first_name", "last_name", "visibility", "owner_id"
        ).iterator(chunk_size=20_000):
            k = Known(pid, normalize_name(first), normalize_name(last), visibility, owner_id)
            index.by_pid[pid] = k
        for pid, email in (
            ContactEmail.objects.filter(person__in=people)
            .values_list("person_id", "email")
            .order_by("person_id")
            .iterator(chunk_size=20_000)
        ):
            if (known := index.by_pid.get(pid)) is not None:
                known.emails.add(email)
        for pid, number in (
            ContactPhone.objects.filter(person__in=people)
            .values_list("person_id", "number")
            .order_by("person_id")
            .iterator(chunk_size=20_000)
        ):
            if (known := index.by_pid.get(pid)) is not None:
                known.phones.add(number)
        for pid, org in (
            Position.objects.filter(person__in=people, end_date__isnull=True)
            .values_list("person_id", "organization__name")
            .iterator(chunk_size=20_000)
        ):
            if (known := index.by_pid.get(pid)) is not None:
                known.orgs.add(normalize_org(org))
        for k in sorted(index.by_pid.values(), key=lambda k: k.pid or 0):
            index._register(k)
        return index

    def _register(self, k: Known) -> None:
        k.indexed = True
        for email in k.emails:
            self.by_email.setdefault(email, k)
        for number in k.phones:
            self.by_phone.setdefault(number, k)
        for key in blocking_keys(k.first, k.last):
            self.by_block[key].append(k)
            self.block_names[key].append(_sorted_words(k.full))
        self.by_full[k.full].append(k)
        if k.pid is not None:
            self.by_pid[k.pid] = k

    def add(self, k: Known) -> None:
        """Make a person (new, or with new addresses) findable."""
        if not k.indexed:
            self._register(k)
            return
        for email in k.emails:
            self.by_email.setdefault(email, k)
        for number in k.phones:
            self.by_phone.setdefault(number, k)
        if k.pid is not None:
            self.by_pid[k.pid] = k

    def forget(self, k: Known, into: Known) -> None:
        """``k`` was merged into ``into``: its addresses now lead there."""
        for email in k.emails:
            if self.by_email.get(email) is k:
                self.by_email[email] = into
        for number in k.phones:
            if self.by_phone.get(number) is k:
                self.by_phone[number] = into
        for key in blocking_keys(k.first, k.last):
            block = self.by_block.get(key, [])
            if k in block:
                at = block.index(k)
                del block[at]
                del self.block_names[key][at]
        same = self.by_full.get(k.full, [])
        if k in same:
            same.remove(k)
        if k.pid is not None:
            self.by_pid.pop(k.pid, None)
        into.emails |= k.emails
        into.phones |= k.phones
        into.orgs |= k.orgs

    def match(
        self,
        *,
        first: str,
        last: str,
        emails: Iterable[str],
        phones: Iterable[str],
        org: str,
    ) -> Match:
        """Certain matches and scored candidates for one incoming contact (normalised input)."""
        emails, phones = set(emails), set(phones)
        certain: list[Known] = []
        reasons: list[str] = []
        for email in sorted(emails):
            if (k := self.by_email.get(email)) is not None and k not in certain:
                certain.append(k)
                reasons.append(f"same e-mail {email}")
        for number in sorted(phones):
            if (k := self.by_phone.get(number)) is not None and k not in certain:
                certain.append(k)
                reasons.append(f"same phone {number}")
        full = f"{first} {last}".strip()
        seen: set[int] = {id(k) for k in certain}
        exact: list[Known] = []
        candidates: list[tuple[Known, float, str, tuple[str, ...]]] = []
        same_name = 0
        for k in self.by_full.get(full, ()):
            if id(k) in seen:
                continue
            if _compatible(k, emails, phones, org):
                exact.append(k)
            elif same_name < MAX_CANDIDATES:
                # Common names ("Thomas Müller") have hundreds of namesakes in a large
                # address book: a few are enough for the review list.
                same_name += 1
                if org and org in k.orgs:
                    candidates.append((k, 100.0, PROBABLE, ("same name", "same organisation")))
                else:
                    candidates.append((k, 100.0, UNCERTAIN, ("same name",)))
            else:
                continue
            seen.add(id(k))
        query = _sorted_words(full)
        # Review candidates only matter for someone new; the import blocks by last name
        # and first initial alone (the review list also tries first name + last initial).
        keys = () if certain else blocking_keys(first, last)[:1]
        for key in keys:
            block = self.by_block.get(key)
            if not block:
                continue
            for _name, score, at in process.extract(
                query,
                self.block_names[key],
                scorer=fuzz.ratio,
                score_cutoff=NAME_THRESHOLD,
                limit=MAX_CANDIDATES * 4,
            ):
                k = block[at]
                if id(k) in seen or k.full == full:  # namesakes were handled above
                    continue
                if not parts_agree(first, last, k.first, k.last):
                    continue
                seen.add(id(k))
                same_org = bool(org) and any(
                    Indel.normalized_similarity(org, o) * 100 >= ORG_THRESHOLD for o in k.orgs
                )
                if same_org:
                    candidates.append((k, score, PROBABLE, ("similar name", "same organisation")))
                else:
                    candidates.append((k, score, UNCERTAIN, ("similar name",)))
        if not certain and len(exact) > 1:
            # Several namesakes fit ("Eva Roth" without details, when the book has three):
            # the one with exactly the same details is this very card, imported before.
            orgs = {org} if org else set()
            same = [k for k in exact if (k.emails, k.phones, k.orgs) == (emails, phones, orgs)]
            if len(same) == 1:
                certain, exact = same, [k for k in exact if k is not same[0]]
                reasons = ["same name and the same details"]
        if not certain and len(exact) == 1:
            certain = exact
            reasons = ["same name" + (" and organisation" if org else "")]
        else:
            for k in exact:
                candidates.append((k, 100.0, PROBABLE if org else UNCERTAIN, ("same name",)))
        rank = {PROBABLE: 1, UNCERTAIN: 0}
        candidates.sort(key=lambda c: (-rank[c[2]], -c[1], c[0].pid or 0))
        return Match(certain, reasons, candidates[:MAX_CANDIDATES])


def _compatible(k: Known, emails: set[str], phones: set[str], org: str) -> bool:
    """Nothing on either side says these two are different people."""
    if emails and k.emails and not emails & k.emails:
        return False
    if phones and k.phones and not phones & k.phones:
        return False
    return not (org and k.orgs and org not in k.orgs)


def find_duplicates(
    user: User, *, min_score: float = NAME_THRESHOLD, limit: int | None = None
) -> list[DuplicateCandidate]:
    """People visible to ``user`` who may be the same person, best first.

    Pairs that share an e-mail address or phone number are certain; similar names are
    probable at the same organisation and uncertain otherwise. Never looks beyond what
    ``user`` may see.
    """
    people = visible_people(user)
    found: dict[tuple[int, int], DuplicateCandidate] = {}

    def add(a: int, b: int, score: float, level: str, reasons: tuple[str, ...]) -> None:
        key = (min(a, b), max(a, b))
        old = found.get(key)
        rank = {CERTAIN: 2, PROBABLE: 1, UNCERTAIN: 0}
        if old is None or (rank[level], score) > (rank[old.level], old.score):
            found[key] = DuplicateCandidate(key[0], key[1], score, level, reasons)

    for model, column, label in (
        (ContactEmail, "email", "same e-mail"),
        (ContactPhone, "number", "same phone"),
    ):
        shared = (
            model.objects.filter(person__in=people)
            .values(column)
            .annotate(n=Count("person_id", distinct=True))
            .filter(n__gt=1)
            .values_list(column, flat=True)
        )
        owners: dict[str, list[int]] = defaultdict(list)
        for value, pid in (
            model.objects.filter(person__in=people, **{f"{column}__in": shared})
            .values_list(column, "person_id")
            .order_by(column, "person_id")
        ):
            owners[value].append(pid)
        for value, pids in owners.items():
            for other in pids[1:]:
                add(pids[0], other, 100.0, CERTAIN, (f"{label} {value}",))

    blocks: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
    for pid, first, last in people.values_list("id", "first_name", "last_name").iterator(
        chunk_size=20_000
    ):
        f, la = normalize_name(first), normalize_name(last)
        for key in blocking_keys(f, la):
            blocks[key].append((pid, f, la, f"{f} {la}".strip()))
    pairs: list[tuple[int, int, float]] = []
    for members in blocks.values():
        if len(members) < 2:
            continue
        members = members[:MAX_BLOCK]
        for i, (pid_a, first_a, last_a, name_a) in enumerate(members):
            for pid_b, first_b, last_b, name_b in members[i + 1 :]:
                score = name_score(name_a, name_b)
                if score >= min_score and parts_agree(first_a, last_a, first_b, last_b):
                    pairs.append((pid_a, pid_b, score))
    if pairs:
        ids = {p for a, b, _ in pairs for p in (a, b)}
        orgs: dict[int, set[str]] = defaultdict(set)
        for chunk in _chunks(sorted(ids), 5000):
            for pid, org in Position.objects.filter(
                person_id__in=chunk, end_date__isnull=True
            ).values_list("person_id", "organization__name"):
                orgs[pid].add(normalize_org(org))
        for a, b, score in pairs:
            if orgs[a] & orgs[b]:
                add(a, b, score, PROBABLE, ("similar name", "same organisation"))
            else:
                add(a, b, score, UNCERTAIN, ("similar name",))
    rank = {CERTAIN: 2, PROBABLE: 1, UNCERTAIN: 0}
    result = sorted(
        found.values(), key=lambda d: (-rank[d.level], -d.score, d.survivor_id, d.person_id)
    )
    return result[:limit] if limit is not None else result


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
