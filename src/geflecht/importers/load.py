"""Load parsed files into the database: people from address books, interactions from
calendars and mailboxes.

The parsers stream records; this module matches them to the people the importing user
may see (:mod:`geflecht.importers.identity`), writes them in batches and reports what
happened. Batches make 100,000 contacts a matter of seconds; atomicity per entry is
kept because every value is validated before the write, and a batch the database
refuses anyway is rolled back and written again entry by entry, each in its own
savepoint, so one bad entry costs only itself. Re-importing a file changes nothing:
contacts are found again by e-mail, phone or exact name, interactions by
``(source, external_id)`` (Message-ID, calendar UID).
"""

from __future__ import annotations

import gc
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from geflecht.accounts.models import User
from geflecht.importers.identity import (
    CERTAIN,
    DuplicateCandidate,
    IdentityIndex,
    Known,
    normalize_email,
    normalize_name,
    normalize_org,
    normalize_phone,
    split_title,
)
from geflecht.importers.models import ImportLock
from geflecht.importers.parsers import (
    FORMATS,
    ContactRecord,
    InteractionRecord,
    ParseProblem,
    Skipped,
    detect_format,
    parse_file,
)
from geflecht.importers.parsers.records import SKIP_CANCELLED
from geflecht.lib.bulk import insert_rows, reserve_ids
from geflecht.lib.models import Visibility
from geflecht.lib.visibility import covers, require_writer, visible_q
from geflecht.network.actions import (
    UPCOMING_KINDS,
    InteractionInput,
    record_interactions,
    record_upcoming_meetings,
)
from geflecht.network.models import (
    Interaction,
    InteractionParticipant,
    Relationship,
    UpcomingMeeting,
)
from geflecht.people.actions import merge_people
from geflecht.people.models import ContactEmail, ContactPhone, Organization, Person, Position, Site

__all__ = [
    "CONTACT_FORMATS",
    "CREATED_KINDS",
    "Counts",
    "ImportReport",
    "import_file",
    "load_records",
]

CONTACT_FORMATS = ("vcard", "csv", "xlsx")
MAIL_FORMATS = ("mbox", "maildir", "eml")
CONTACT_BATCH = 2000
# Interactions per record_interactions call: one transaction and one strength update each.
INTERACTION_BATCH = 2000
#: Calendars are read from here up to now as interactions ...
CALENDAR_START = datetime(1990, 1, 1, tzinfo=UTC)
#: ... and this far ahead as upcoming meetings (a weekly series gives nine).
CALENDAR_AHEAD = timedelta(days=60)

#: ``on_progress(entries_done, bytes_done, bytes_total)``, as the parsers report it.
Progress = Callable[[int, int, int | None], None]
#: The keys of :attr:`ImportReport.created_ids`: what a load can create.
CREATED_KINDS = ("people", "organizations", "interactions", "upcoming_meetings", "relationships")
#: load_records reports progress every this many entries (it knows no byte counts).
RECORDS_PROGRESS_EVERY = 500

_COUNTRIES = {
    "de": "DE", "deutschland": "DE", "germany": "DE", "brd": "DE", "d": "DE",
    "at": "AT", "oesterreich": "AT", "österreich": "AT", "austria": "AT", "a": "AT",
    "ch": "CH", "schweiz": "CH", "switzerland": "CH", "suisse": "CH", "svizzera": "CH",
    "li": "LI", "liechtenstein": "LI", "lu": "LU", "luxemburg": "LU", "luxembourg": "LU",
    "fr": "FR", "frankreich": "FR", "france": "FR", "it": "IT", "italien": "IT", "italy": "IT",
    "nl": "NL", "niederlande": "NL", "netherlands": "NL", "be": "BE", "belgien": "BE",
    "belgium": "BE", "pl": "PL", "polen": "PL", "poland": "PL", "cz": "CZ", "tschechien": "CZ",
    "czech republic": "CZ", "czechia": "CZ", "dk": "DK", "daenemark": "DK", "dänemark": "DK",
    "denmark": "DK", "se": "SE", "schweden": "SE", "sweden": "SE", "es": "ES", "spanien": "ES",
    "spain": "ES", "gb": "GB", "uk": "GB", "united kingdom": "GB", "great britain": "GB",
    "england": "GB", "grossbritannien": "GB", "us": "US", "usa": "US", "united states": "US",
    "united states of america": "US", "vereinigte staaten": "US", "ca": "CA", "canada": "CA",
    "kanada": "CA",
}  # fmt: skip
_LOCAL_SPLIT = re.compile(r"[._\-+]+")


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    skipped: int = 0

    def add(self, other: Counts) -> None:
        for name in ("created", "updated", "unchanged", "merged", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(merged)d merged, %(skipped)d skipped"
        ) % {
            name: getattr(self, name)
            for name in ("created", "updated", "unchanged", "merged", "skipped")
        }


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    format: str | None
    dry_run: bool = False
    entries: int = 0
    people: Counts = field(default_factory=Counts)
    organizations: Counts = field(default_factory=Counts)
    interactions: Counts = field(default_factory=Counts)
    #: Meetings that lie ahead: kept as upcoming meetings until their time has passed.
    upcoming: Counts = field(default_factory=Counts)
    #: Entries that were skipped, with file, entry, line and reason.
    problems: list[ParseProblem] = field(default_factory=list)
    #: People that may be someone already known: the review list of this import.
    duplicates: list[DuplicateCandidate] = field(default_factory=list)
    #: Damage that did not cost the entry (a phone number kept in the notes, ...).
    warnings: list[str] = field(default_factory=list)
    #: Interactions left out on purpose (not errors), counted by reason.
    ignored: Counter = field(default_factory=Counter)
    #: "contacts" or "interactions": what the input held.
    kind: str = ""
    #: The ids of the rows this load created, by kind (see :data:`CREATED_KINDS`), so a
    #: caller can remember what an account brought in and forget it again later
    #: (:func:`geflecht.importers.actions.forget_records`). Empty after a dry run.
    created_ids: dict[str, list[int]] = field(
        default_factory=lambda: {kind: [] for kind in CREATED_KINDS}
    )

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """The report in a few lines of the active language (the CLI prints it)."""
        head = _("Dry run, nothing was written.") + " " if self.dry_run else ""
        what = f"{self.file} ({self.format})" if self.format else self.file
        read = ngettext("%(n)d entry read", "%(n)d entries read", self.entries) % {
            "n": self.entries
        }
        lines = [f"{head}{what}: {read}"]
        lines.append("  " + _("people: %(counts)s") % {"counts": self.people})
        if self.organizations.created:
            n = self.organizations.created
            lines.append(
                "  "
                + ngettext("%(n)d organisation created", "%(n)d organisations created", n)
                % {"n": n}
            )
        if self.kind == "interactions":
            lines.append("  " + _("interactions: %(counts)s") % {"counts": self.interactions})
            if self.upcoming.created or self.upcoming.updated or self.upcoming.unchanged:
                lines.append("  " + _("upcoming meetings: %(counts)s") % {"counts": self.upcoming})
        for reason, n in sorted(self.ignored.items()):
            lines.append(
                "  " + ngettext("left out: %(n)d entry, %(reason)s",
                                "left out: %(n)d entries, %(reason)s", n)
                % {"n": n, "reason": _(reason)}
            )  # fmt: skip
        if self.duplicates:
            n = len(self.duplicates)
            lines.append(
                "  " + ngettext("%(n)d possible duplicate to review",
                                "%(n)d possible duplicates to review", n) % {"n": n}
            )  # fmt: skip
        if self.problems:
            n = len(self.problems)
            lines.append(
                "  " + ngettext("problems: %(n)d entry skipped",
                                "problems: %(n)d entries skipped", n) % {"n": n}
            )  # fmt: skip
        return "\n".join(lines)


def import_file(
    path: str | os.PathLike[str],
    *,
    user: User,
    format: str | None = None,
    me: Iterable[str] = (),
    dry_run: bool = False,
    private: bool = True,
    on_progress: Progress | None = None,
    calendar_start: datetime = CALENDAR_START,
    name: str | None = None,
) -> ImportReport:
    """Import one file (vCard, CSV, XLSX, iCalendar, mbox, maildir, .eml) for ``user``.

    Contacts become people (matched to known ones, see :mod:`~geflecht.importers.identity`)
    with their organisation, position and work site; calendar events and e-mails become
    interactions between the people they name, the user being "me" (their own person
    plus the ``me`` addresses). Imported people and interactions are visible to ``user``
    only (a personal address book or mailbox), or to the company with ``private=False``.
    Broken entries are skipped and listed in :attr:`ImportReport.problems`; with
    ``dry_run`` everything is rolled back and the report says what would have changed.
    ``on_progress`` gets ``(entries_done, bytes_done, bytes_total)`` while the file is
    read. ``name`` is what the report calls the file (the name the user uploaded, not a
    temporary path).

    Raises :class:`~django.core.exceptions.PermissionDenied` for a read-only user (a dry
    run too: it writes and rolls back, and nobody needs it who may not import).
    """
    _check_importer(user)
    path = Path(path)
    fmt = format or detect_format(path)
    label = name or path.name
    report = ImportReport(file=label, format=fmt, dry_run=dry_run)
    if fmt not in FORMATS:
        report.problems.append(ParseProblem(label, None, None, "unknown file format"))
        return report
    me_emails = _me_addresses(user, me)
    options: dict = {
        "me": sorted(me_emails),
        "on_progress": on_progress,
        "max_unpacked_bytes": settings.GEFLECHT_XLSX_MAX_UNPACKED_BYTES,
        "max_cells": settings.GEFLECHT_XLSX_MAX_CELLS,
    }
    if fmt == "ics":
        options.update(
            window_start=calendar_start,
            window_end=timezone.now() + CALENDAR_AHEAD,
            report_skipped=True,
        )
    items = parse_file(path, format=fmt, **options)
    kind: Literal["contacts", "interactions"] = (
        "contacts" if fmt in CONTACT_FORMATS else "interactions"
    )
    source = "mail" if fmt in MAIL_FORMATS else fmt
    _load(items, user, report, kind, source, private, me_emails, dry_run)
    return report


def load_records(
    records: Iterable[ContactRecord | InteractionRecord | ParseProblem],
    *,
    user: User,
    kind: Literal["contacts", "interactions"],
    source: str,
    name: str,
    private: bool = True,
    me: Iterable[str] = (),
    own_address_book: bool = False,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Load parsed records for ``user``: the loaders of :func:`import_file`, without a file.

    For the mailbox, calendar and address-book connectors: ``records`` are what a parser
    yields (:class:`ContactRecord` for ``kind="contacts"``, :class:`InteractionRecord` for
    ``kind="interactions"``, :class:`ParseProblem` for broken entries). ``source`` becomes
    :attr:`Interaction.source <geflecht.network.models.Interaction.source>` (``"imap:12"``;
    at most 30 characters) and, with the external ids, makes a repeated load create
    nothing; ``name`` is what the report calls the input. Records are private to ``user``
    unless ``private=False``. ``on_progress(entries, 0, None)`` is called every few
    hundred entries. The report's :attr:`~ImportReport.created_ids` name what was created.
    """
    _check_importer(user)
    if kind not in ("contacts", "interactions"):
        raise ValueError(f"kind must be 'contacts' or 'interactions', not {kind!r}")
    if not source or len(source) > 30:
        raise ValueError("source must be 1 to 30 characters")
    report = ImportReport(file=name, format=None)
    items: Iterable = records
    if on_progress is not None:
        items = _counted(records, on_progress)
    _load(items, user, report, kind, source, private, _me_addresses(user, me), False)
    return report


def _check_importer(user: User) -> None:
    if user.tenant_id is None:
        raise ValueError("the importing user belongs to no tenant")
    require_writer(user)


def _counted(records: Iterable, on_progress: Progress) -> Iterator:
    n = 0
    for n, item in enumerate(records, 1):
        if n % RECORDS_PROGRESS_EVERY == 0:
            on_progress(n, 0, None)
        yield item
    on_progress(n, 0, None)


def _load(
    items: Iterable,
    user: User,
    report: ImportReport,
    kind: str,
    source: str,
    private: bool,
    me_emails: set[str],
    dry_run: bool,
) -> None:
    """Feed ``items`` to the loader of ``kind``; fill ``report``."""
    report.kind = kind
    visibility = "private" if private else "company"
    if kind == "contacts":
        loader: _ContactLoader | _InteractionLoader = _ContactLoader(user, report, visibility)
    else:
        loader = _InteractionLoader(user, report, visibility, source, me_emails)
    if connection.vendor == "sqlite":
        # SQLite's default 2 MB page cache makes index inserts of a big import go to the
        # OS for every page; 64 MB keeps the hot part of the indexes in memory.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -65536")
    try:
        with transaction.atomic() if dry_run else _nothing():
            _run(iter(items), loader, report)
            if dry_run:
                transaction.set_rollback(True)
    finally:
        gc.unfreeze()
    if dry_run:
        report.created_ids = {k: [] for k in CREATED_KINDS}


def _run(items: Iterator, loader: _ContactLoader | _InteractionLoader, report) -> None:
    for item in items:
        if isinstance(item, Skipped):
            report.entries += 1
            report.ignored[item.reason] += 1
            if item.reason == SKIP_CANCELLED and item.external_id:
                loader.cancel(item.external_id)
            continue
        if isinstance(item, ParseProblem):
            # Named as the user knows the input (an upload lives under a temporary name).
            report.problems.append(replace(item, file=report.file))
            if item.entry_no is not None:
                report.entries += 1
                loader.counts.skipped += 1
            continue
        report.entries += 1
        loader.feed(item)
    loader.finish()


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _generation(tenant_id: int) -> int:
    """The tenant's import generation now (creating its lock row on the first import)."""
    seen = ImportLock.objects.filter(tenant_id=tenant_id).values_list("generation", flat=True)
    if (generation := seen.first()) is not None:
        return generation
    return ImportLock.objects.get_or_create(tenant_id=tenant_id)[0].generation


def _lock_imports(tenant_id: int) -> int:
    """Lock the tenant's imports until the current transaction ends and raise their
    generation; return the generation before this batch.

    Parallel imports of one tenant (the same file uploaded twice at once) thus write one
    batch after the other, and each sees whether another wrote since its last batch.
    PostgreSQL waits on the row lock; on SQLite the IMMEDIATE transaction already holds
    the database's write lock and select_for_update is a no-op.
    """
    seen = (
        ImportLock.objects.select_for_update()
        .filter(tenant_id=tenant_id)
        .values_list("generation", flat=True)
        .get()
    )
    ImportLock.objects.filter(tenant_id=tenant_id).update(generation=F("generation") + 1)
    return seen


def _me_addresses(user: User, extra: Iterable[str]) -> set[str]:
    found = {e for raw in extra if (e := normalize_email(raw))}
    if user.email and (e := normalize_email(user.email)):
        found.add(e)
    if user.person_id:
        found |= set(
            ContactEmail.objects.filter(person_id=user.person_id).values_list("email", flat=True)
        )
    return found


def _cut(text: str, limit: int, what: str, warnings: list[str]) -> str:
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    if len(text) > limit:
        warnings.append(f"{what} shortened to {limit} characters")
        return text[:limit]
    return text


def _names_from_text(text: str) -> tuple[str, str, str]:
    """(title, first, last) from a display name: "Dr. Jürgen Müller", "Weiß, Björn"."""
    text = " ".join(text.replace('"', " ").split())
    title, text = split_title(text)
    if "," in text:
        last, _, first = text.partition(",")
        return title, first.strip(), last.strip()
    words = text.split()
    if not words:
        return title, "", ""
    return title, " ".join(words[:-1]), words[-1]


def _names_from_address(email: str) -> tuple[str, str]:
    local = email.split("@", 1)[0]
    words = [w.capitalize() for w in _LOCAL_SPLIT.split(local) if w]
    if not words:
        return "", local or email
    return " ".join(words[:-1]), words[-1]


# --------------------------------------------------------------------------- contacts


@dataclass(slots=True)
class _Prepared:
    """A contact with every value validated and cut to fit its column."""

    file: str
    entry_no: int
    line_no: int | None
    title: str
    first: str
    last: str
    emails: list[tuple[str, str]]
    phones: list[tuple[str, str]]
    org: str
    department: str
    job_title: str
    address: tuple[str, str, str, str] | None  # street, postal code, city, country
    notes: str
    tags: list[str]
    norm_first: str = ""
    norm_last: str = ""
    norm_org: str = ""


def prepare_contact(
    rec: ContactRecord, warnings: list[str], *, file: str | None = None
) -> _Prepared | ParseProblem:
    """Validate and shape one contact; a ParseProblem when it cannot become a person.

    ``file`` is what problems and warnings call the input (default: the record's own
    ``source_file``)."""
    file = rec.source_file if file is None else file
    where = f"{file}, entry {rec.entry_no}"
    notes_extra: list[str] = []
    local: list[str] = []
    title = rec.prefix
    first = " ".join(p for p in (rec.given_name, rec.additional_names) if p)
    last = rec.family_name
    if not title:
        title, first = split_title(first) if first else ("", first)
    if not last and rec.formatted_name:
        t, f, last = _names_from_text(rec.formatted_name)
        title, first = title or t, first or f
    if not last and rec.nickname:
        last = rec.nickname
    emails: list[tuple[str, str]] = []
    for value, label in rec.emails:
        e = normalize_email(value)
        if e is None:
            notes_extra.append(f"E-mail{f' ({label})' if label else ''}: {value}")
            local.append(f"e-mail {value!r} is not valid: kept in the notes")
        elif e not in {x for x, _ in emails}:
            emails.append((e, label[:30]))
    if not last and not first and emails:
        first, last = _names_from_address(emails[0][0])
        local.append("no name: taken from the e-mail address")
    if not last and first:
        first, last = "", first
    if not last:
        return ParseProblem(file, rec.entry_no, rec.line_no, "missing name")
    if rec.suffix:
        last = f"{last} {rec.suffix}"
    phones: list[tuple[str, str]] = []
    for value, label in rec.phones:
        number = normalize_phone(value)
        if number is None or len(number) > 20:
            notes_extra.append(f"Phone{f' ({label})' if label else ''}: {value}")
            local.append(f"phone {value!r} is not a valid number: kept in the notes")
        elif number not in {x for x, _ in phones}:
            phones.append((number, label[:30]))
    address = None
    if rec.organization:
        work = [a for a in rec.addresses if "work" in a.label.lower()] or (
            list(rec.addresses) if len(rec.addresses) == 1 else []
        )
        if work and work[0].city:
            a = work[0]
            country = a.country.strip()
            code = _COUNTRIES.get(country.casefold(), country.upper() if len(country) == 2 else "")
            if country and not code:
                code = ""
            street = " ".join(p for p in (a.street, a.extended) if p)
            if code or not country:
                address = (
                    street[:200],
                    a.postal_code[:20],
                    a.city[:100],
                    code or settings.GEFLECHT_PHONE_REGION,
                )
    notes = rec.notes.strip()
    if notes_extra:
        notes = "\n".join([notes, *notes_extra]).strip()
    prep = _Prepared(
        file=file,
        entry_no=rec.entry_no,
        line_no=rec.line_no,
        title=_cut(title, 50, "title", local),
        first=_cut(first, 100, "first name", local),
        last=_cut(last, 100, "last name", local),
        emails=emails,
        phones=phones,
        org=_cut(rec.organization, 200, "organisation", local),
        department=_cut(rec.department, 100, "department", local),
        job_title=_cut(rec.job_title, 200, "job title", local),
        address=address,
        notes=notes,
        tags=[t.strip() for t in rec.categories if t.strip()],
    )
    prep.norm_first = normalize_name(prep.first)
    prep.norm_last = normalize_name(prep.last)
    prep.norm_org = normalize_org(prep.org) if prep.org else ""
    warnings.extend(f"{where}: {w}" for w in (*rec.warnings, *local))
    return prep


@dataclass(slots=True)
class _Plan:
    prep: _Prepared
    target: Known
    new: bool
    emails: list[tuple[str, str]]
    phones: list[tuple[str, str]]
    position: bool


@dataclass
class _Delta:
    people: Counts = field(default_factory=Counts)
    organizations: Counts = field(default_factory=Counts)
    flagged: list[tuple[Known, Known, float, str, tuple[str, ...]]] = field(default_factory=list)
    created: dict[str, list[int]] = field(default_factory=dict)


class _ContactLoader:
    def __init__(self, user: User, report: ImportReport, visibility: str) -> None:
        self.user = user
        self.report = report
        self.counts = report.people
        self.visibility = visibility
        self.owner_id = user.pk
        self.batch: list[_Prepared] = []
        self._load_caches()

    def _load_caches(self) -> None:
        # The generation first: an import writing while the caches load makes the next
        # batch load them again, never the other way round.
        self.generation = _generation(self.user.tenant_pk)
        self.index = IdentityIndex.for_user(self.user)
        # The employers this import may name: those everyone who will see its people may
        # see, and the user's own narrower ones, which a shared import then shares too.
        self.orgs: dict[str, int] = {}
        self.to_share: set[int] = set()
        newcomer = Organization(visibility=self.visibility, owner_id=self.owner_id)
        rows = (
            Organization.objects.filter(tenant_id=self.user.tenant_pk)
            .filter(visible_q(self.user))
            .order_by("pk")
            .values_list("pk", "name", "visibility", "owner_id")
        )
        for pk, name, visibility, owner_id in sorted(rows, key=lambda r: r[2] != "company"):
            org = Organization(visibility=visibility, owner_id=owner_id)
            if not covers(org, newcomer) and owner_id != self.owner_id:
                continue
            key = normalize_org(name)
            if key not in self.orgs:
                self.orgs[key] = pk
                if not covers(org, newcomer):
                    self.to_share.add(pk)
        self.sites: dict[tuple[int, str, str], int] = {}
        for pk, org_id, city, street in Site.objects.filter(
            tenant_id=self.user.tenant_pk
        ).values_list("pk", "organization_id", "city", "street"):
            self.sites.setdefault((org_id, city.casefold(), street.casefold()), pk)

    def feed(self, rec: ContactRecord | InteractionRecord) -> None:
        if not isinstance(rec, ContactRecord):
            self._skip(ParseProblem(self.report.file, rec.entry_no, rec.line_no, "not a contact"))
            return
        prep = prepare_contact(rec, self.report.warnings, file=self.report.file)
        if isinstance(prep, ParseProblem):
            self._skip(prep)
            return
        self.batch.append(prep)
        if len(self.batch) >= CONTACT_BATCH:
            self.flush()

    def cancel(self, external_id: str) -> None:
        """Address books cancel no meetings."""

    def _skip(self, problem: ParseProblem) -> None:
        self.report.problems.append(problem)
        self.counts.skipped += 1

    def finish(self) -> None:
        self.flush()

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if batch:
            self._write_atomically(batch)
            # The index holds hundreds of thousands of objects that live until the end;
            # without this every full garbage collection walks them all again, and the
            # import slows down the bigger it gets. import_file unfreezes at the end.
            gc.freeze()

    def _write_atomically(self, batch: list[_Prepared]) -> None:
        try:
            with transaction.atomic():
                if _lock_imports(self.user.tenant_pk) != self.generation:
                    # Another import wrote since: match against what it created, too.
                    self._load_caches()
                delta = self._write(batch)
                self.generation += 1
        except (DatabaseError, ValidationError) as exc:
            # The batch is gone; so are the index entries it made. Start again from the
            # database, one entry per savepoint, so only the bad entry is lost.
            self._load_caches()
            if len(batch) == 1:
                p = batch[0]
                reason = f"not stored: {exc}"
                self._skip(ParseProblem(p.file, p.entry_no, p.line_no, reason))
                return
            for prep in batch:
                self._write_atomically([prep])
            return
        self.counts.add(delta.people)
        self.report.organizations.add(delta.organizations)
        _note_created(self.report, delta.created)
        for cand, new, score, level, reasons in delta.flagged:
            if cand.pid is not None and new.pid is not None and cand.pid != new.pid:
                self.report.duplicates.append(
                    DuplicateCandidate(
                        min(cand.pid, new.pid), max(cand.pid, new.pid), score, level, reasons
                    )
                )

    def _in_scope(self, k: Known) -> bool:
        """May this import write to ``k``? Company imports write shared people only,
        private imports the user's own private people only (no leak either way)."""
        if self.visibility == Visibility.PRIVATE:
            return k.visibility == Visibility.PRIVATE and k.owner_id == self.owner_id
        return k.visibility != Visibility.PRIVATE

    def _write(self, batch: list[_Prepared]) -> _Delta:
        delta = _Delta()
        plans: list[_Plan] = []
        for prep in batch:
            emails = {e for e, _ in prep.emails}
            phones = {p for p, _ in prep.phones}
            match = self.index.match(
                first=prep.norm_first,
                last=prep.norm_last,
                emails=emails,
                phones=phones,
                org=prep.norm_org,
            )
            targets = [k for k in match.certain if self._in_scope(k)]
            outside = [k for k in match.certain if not self._in_scope(k)]
            if targets:
                targets.sort(key=lambda k: (k.pid is None, k.pid or 0))
                target, new = targets[0], False
                for extra in targets[1:]:
                    if (
                        target.pid is not None
                        and extra.pid is not None
                        and (extra.visibility, extra.owner_id)
                        == (target.visibility, target.owner_id)
                    ):
                        try:
                            merge_people(
                                Person(pk=target.pid, tenant_id=self.user.tenant_pk),
                                Person(pk=extra.pid, tenant_id=self.user.tenant_pk),
                                by=self.user,
                            )
                        except ValidationError:  # e.g. both have user accounts: a human decides
                            delta.flagged.append(
                                (target, extra, 100.0, CERTAIN, tuple(match.reasons))
                            )
                            continue
                        self.index.forget(extra, into=target)
                        delta.people.merged += 1
                    else:
                        delta.flagged.append((target, extra, 100.0, CERTAIN, tuple(match.reasons)))
            else:
                target = Known(
                    None,
                    prep.norm_first,
                    prep.norm_last,
                    self.visibility,
                    self.owner_id if self.visibility == Visibility.PRIVATE else None,
                )
                new = True
                for cand, score, level, reasons in match.candidates:
                    delta.flagged.append((cand, target, score, level, reasons))
                for other in outside:
                    delta.flagged.append((other, target, 100.0, CERTAIN, tuple(match.reasons)))
            plan = _Plan(
                prep,
                target,
                new,
                [(e, label) for e, label in prep.emails if e not in target.emails],
                [(p, label) for p, label in prep.phones if p not in target.phones],
                bool(prep.norm_org) and prep.norm_org not in target.orgs,
            )
            target.emails |= emails
            target.phones |= phones
            if prep.norm_org:
                target.orgs.add(prep.norm_org)
            self.index.add(target)
            plans.append(plan)
        self._store(plans, delta)
        return delta

    def _store(self, plans: list[_Plan], delta: _Delta) -> None:
        tenant_id = self.user.tenant_pk
        # Organisations and sites first: positions point at them.
        missing_orgs: dict[str, str] = {}
        for plan in plans:
            if plan.position and plan.prep.norm_org not in self.orgs:
                missing_orgs.setdefault(plan.prep.norm_org, plan.prep.org)
        stamp = _stamp()
        if missing_orgs:
            ids = _insert_new(
                Organization,
                ["tenant", "name", "kind", "industry", "website", "notes", "owner", "visibility"],
                [
                    (tenant_id, name, "prospect", "other", "", "", self.owner_id, self.visibility)
                    for name in missing_orgs.values()
                ],
                stamp,
            )
            self.orgs.update(zip(missing_orgs, ids, strict=True))
            delta.organizations.created += len(ids)
            delta.created.setdefault("organizations", []).extend(ids)
        shared = {self.orgs[p.prep.norm_org] for p in plans if p.position} & self.to_share
        if shared:
            Organization.objects.filter(pk__in=shared).update(
                visibility=self.visibility, updated_at=timezone.now()
            )
            self.to_share -= shared
        missing_sites: dict[tuple[int, str, str], tuple] = {}
        for plan in plans:
            if plan.position and plan.prep.address:
                street, postal, city, country = plan.prep.address
                key = (self.orgs[plan.prep.norm_org], city.casefold(), street.casefold())
                if key not in self.sites and key not in missing_sites:
                    missing_sites[key] = (tenant_id, key[0], city, street, postal, city, country)
        if missing_sites:
            ids = _insert_new(
                Site,
                ["tenant", "organization", "name", "street", "postal_code", "city", "country"],
                list(missing_sites.values()),
                stamp,
            )
            self.sites.update(zip(missing_sites, ids, strict=True))

        # People: new ones built from their first entry, the rest fill empty fields.
        existing_ids = {p.target.pid for p in plans if p.target.pid is not None}
        people: dict[int, Person] = Person.objects.in_bulk(existing_ids) if existing_ids else {}
        pending: dict[int, _NewPerson] = {}
        changed: set[int] = set()
        outcome: list[str] = []
        for plan in plans:
            prep, k = plan.prep, plan.target
            if k.pid is None and id(k) not in pending:
                # Not saved yet: later entries of this batch may still fill its fields.
                pending[id(k)] = _NewPerson(
                    prep.title, prep.first, prep.last, prep.notes, list(dict.fromkeys(prep.tags))
                )
                outcome.append("created")
                continue
            person = pending.get(id(k)) or people[k.pid]  # type: ignore[index]  # a saved one
            touched = _fill(person, prep)
            if touched and k.pid is not None:
                changed.add(k.pid)
            outcome.append(
                "updated" if touched or plan.emails or plan.phones or plan.position else "unchanged"
            )
        ids = _insert_new(
            Person,
            PERSON_FIELDS,
            [
                self._person_row(p.title, p.first_name, p.last_name, p.notes, p.tags)
                for p in pending.values()
            ],
            stamp,
        )
        ids_of = dict(zip(pending, ids, strict=True))
        delta.created.setdefault("people", []).extend(ids)
        for plan in plans:
            if plan.target.pid is None:
                plan.target.pid = ids_of[id(plan.target)]
                self.index.by_pid[plan.target.pid] = plan.target
        if changed:
            for pid in changed:
                people[pid].version += 1
            Person.objects.bulk_update(
                [people[pid] for pid in changed],
                ["title", "first_name", "notes", "tags", "version", "updated_at"],
            )
        for name in outcome:
            setattr(delta.people, name, getattr(delta.people, name) + 1)

        has_email = set(
            ContactEmail.objects.filter(person_id__in=existing_ids, is_primary=True).values_list(
                "person_id", flat=True
            )
        )
        emails: list[tuple[int, str, str, bool]] = []
        phones: list[tuple[int, str, str]] = []
        positions: list[tuple] = []
        for plan in plans:
            assert plan.target.pid is not None  # every target was saved above
            pid = plan.target.pid
            for e, label in plan.emails:
                emails.append((pid, e, label, pid not in has_email))
                has_email.add(pid)
            phones.extend((pid, p, label) for p, label in plan.phones)
            if plan.position:
                prep = plan.prep
                org_id = self.orgs[prep.norm_org]
                site_id = None
                if prep.address:
                    street, _postal, city, _country = prep.address
                    site_id = self.sites.get((org_id, city.casefold(), street.casefold()))
                row = (tenant_id, pid, org_id, site_id, prep.job_title, prep.department, "")
                positions.append((*row, stamp, stamp))
        insert_rows(ContactEmail, ["person", "email", "label", "is_primary"], emails)
        insert_rows(ContactPhone, ["person", "number", "label"], phones)
        insert_rows(Position, POSITION_FIELDS, positions)

    def _person_row(self, title, first, last, notes, tags) -> tuple:
        return (
            self.user.tenant_id,
            title,
            first,
            last,
            notes,
            json.dumps(tags, ensure_ascii=False),
            "business",
            "",
            1,
            self.owner_id,
            self.visibility,
        )


PERSON_FIELDS = [
    "tenant", "title", "first_name", "last_name", "notes", "tags", "classification",
    "importance", "version", "owner", "visibility",
]  # fmt: skip
POSITION_FIELDS = [
    "tenant", "person", "organization", "site", "title", "department", "buying_role",
    "created_at", "updated_at",
]  # fmt: skip


def _note_created(report: ImportReport, created: dict[str, list[int]]) -> None:
    """Add the ids a committed batch created to the report."""
    for kind, ids in created.items():
        report.created_ids[kind].extend(ids)


def _stamp():
    """Now, as the database column wants it (raw inserts bypass the ORM's conversion)."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _insert_new(model, fields: list[str], rows: list[tuple], stamp) -> list[int]:
    """Insert ``rows`` (plus id and time stamps) in one streaming pass; return their ids.

    Django's bulk_create spends most of an import building SQL per value; the plain
    ``executemany``/``COPY`` of :mod:`geflecht.lib.bulk` is about ten times faster.
    """
    ids = reserve_ids(model, len(rows))
    insert_rows(
        model,
        ["id", *fields, "created_at", "updated_at"],
        ((pk, *row, stamp, stamp) for pk, row in zip(ids, rows, strict=True)),
    )
    return ids


@dataclass(slots=True)
class _NewPerson:
    """A person of this batch before it is written (later entries may fill its fields)."""

    title: str
    first_name: str
    last_name: str
    notes: str
    tags: list[str]


def _fill(person: Person | _NewPerson, prep: _Prepared) -> bool:
    """Fill the person's empty fields from ``prep``; add new notes and tags. Changed?"""
    touched = False
    if not person.title and prep.title:
        person.title, touched = prep.title, True
    if not person.first_name and prep.first:
        person.first_name, touched = prep.first, True
    if prep.notes and prep.notes not in person.notes:
        person.notes = f"{person.notes}\n\n{prep.notes}" if person.notes else prep.notes
        touched = True
    tags = list(dict.fromkeys([*(person.tags or []), *prep.tags]))
    if tags != (person.tags or []):
        person.tags, touched = tags, True
    return touched


# ----------------------------------------------------------------------- interactions


class _InteractionLoader:
    def __init__(
        self,
        user: User,
        report: ImportReport,
        visibility: str,
        source: str,
        me_emails: set[str],
    ) -> None:
        self.user = user
        self.report = report
        self.counts = report.interactions
        self.visibility = visibility
        self.source = source
        self.me = me_emails if user.person_id else set()
        self.pid_of: dict[str, int] = {}
        self.batch: list[InteractionRecord] = []
        self.bulk: list[InteractionRecord] = []
        self.batches = 0
        self.generation = _generation(user.tenant_pk)
        self.cancelled: list[str] = []
        self.now = timezone.now()

    def feed(self, rec: ContactRecord | InteractionRecord) -> None:
        if not isinstance(rec, InteractionRecord):
            self.report.problems.append(
                ParseProblem(self.report.file, rec.entry_no, rec.line_no, "not an interaction")
            )
            self.counts.skipped += 1
            return
        if rec.is_bulk:
            # Mass mail counts only between people the file makes known; recorded after
            # everything else, the outcome does not depend on where in the file the
            # people first appear, and a re-import of the same file creates nothing.
            self.bulk.append(rec)
            return
        self.batch.append(rec)
        if len(self.batch) >= INTERACTION_BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if batch:
            self._write_atomically(batch)
            self._refresh_statistics()

    def _refresh_statistics(self) -> None:
        """ANALYZE the interaction tables after batches 1, 2, 4, 8, ... on PostgreSQL.

        An import can grow them from nothing to millions of rows faster than autovacuum
        looks; with the statistics of an empty table the planner reads all participations
        of the importing user (a hash join) for every pair whose history it needs.
        """
        self.batches += 1
        if connection.vendor != "postgresql" or self.batches & (self.batches - 1):
            return
        tables = (Interaction, InteractionParticipant, Relationship)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(m._meta.db_table for m in tables)}")

    def finish(self) -> None:
        self.flush()
        self._remove_cancelled()
        bulk, self.bulk = self.bulk, []
        for start in range(0, len(bulk), INTERACTION_BATCH):
            self._write_atomically(bulk[start : start + INTERACTION_BATCH])

    def _write_atomically(self, batch: list[InteractionRecord]) -> None:
        known_before = dict(self.pid_of)
        try:
            with transaction.atomic():
                if _lock_imports(self.user.tenant_pk) != self.generation:
                    # Another import may have created people for these addresses since.
                    self.pid_of.clear()
                people, counts, problems, ignored, created, upcoming = self._write(batch)
                self.generation += 1
        except (DatabaseError, ValidationError) as exc:
            self.pid_of = known_before
            self.generation = -1  # not known what the database holds: look again
            if len(batch) == 1:
                rec = batch[0]
                reason = f"not stored: {exc}"
                self.report.problems.append(
                    ParseProblem(self.report.file, rec.entry_no, rec.line_no, reason)
                )
                self.counts.skipped += 1
                return
            for rec in batch:
                self._write_atomically([rec])
            return
        self.report.people.add(people)
        self.counts.add(counts)
        self.report.upcoming.add(upcoming)
        self.report.problems.extend(problems)
        self.report.ignored.update(ignored)
        _note_created(self.report, created)

    def cancel(self, external_id: str) -> None:
        """The calendar cancelled this meeting: it is removed at the end of the load."""
        self.cancelled.append(external_id[:300])

    def _remove_cancelled(self) -> None:
        cancelled, self.cancelled = self.cancelled, []
        for start in range(0, len(cancelled), 500):
            UpcomingMeeting.objects.filter(
                tenant_id=self.user.tenant_pk,
                source=self.source,
                external_id__in=cancelled[start : start + 500],
            ).filter(visible_q(self.user)).delete()

    def _resolve(self, addresses: set[str]) -> None:
        unknown = sorted(addresses - self.pid_of.keys())
        for start in range(0, len(unknown), 2000):
            # Addresses first (their index), then the rule of visible_people() applied to
            # those people fetched by primary key: with a join or a subquery, SQLite walks
            # every person of the tenant for every address instead.
            rows = list(
                ContactEmail.objects.filter(email__in=unknown[start : start + 2000])
                .order_by("person_id")
                .values_list("email", "person_id")
            )
            visible = {
                pid
                for pid, tenant_id, visibility, owner_id in Person.objects.filter(
                    id__in={pid for _, pid in rows}
                ).values_list("id", "tenant_id", "visibility", "owner_id")
                if tenant_id == self.user.tenant_id
                and (visibility != "private" or owner_id == self.user.pk)
            }
            for email, pid in rows:
                if pid in visible:
                    self.pid_of.setdefault(email, pid)

    def _write(self, batch: list[InteractionRecord]):
        people, counts, upcoming = Counts(), Counts(), Counts()
        problems: list[ParseProblem] = []
        ignored: Counter[str] = Counter()
        created: dict[str, list[int]] = {}
        # Messages and events stored before (a re-import) change nothing: leave them out
        # before any other work, so that a re-import costs one query per batch.
        ids = [rec.external_id[:300] for rec in batch if rec.external_id]
        known = set(
            Interaction.objects.filter(
                tenant_id=self.user.tenant_pk, source=self.source, external_id__in=ids
            ).values_list("external_id", flat=True)
        )
        if known:
            counts.unchanged += sum(1 for rec in batch if rec.external_id[:300] in known)
            batch = [rec for rec in batch if rec.external_id[:300] not in known]
        addresses = {p.email for rec in batch for p in rec.participants} - self.me
        self._resolve(addresses)
        # Unknown addresses of real (not bulk) mail and meetings become minimal people.
        fresh: dict[str, tuple] = {}
        for rec in batch:
            if rec.is_bulk:
                continue
            for p in rec.participants:
                if p.email in self.me or p.email in self.pid_of or p.email in fresh:
                    continue
                if normalize_email(p.email) is None:
                    continue
                fresh[p.email] = self._minimal_person(p.email, p.display_name)
        if fresh:
            new_ids = _insert_new(Person, PERSON_FIELDS, list(fresh.values()), _stamp())
            insert_rows(
                ContactEmail,
                ["person", "email", "label", "is_primary"],
                [(pk, email, "", True) for email, pk in zip(fresh, new_ids, strict=True)],
            )
            self.pid_of.update(zip(fresh, new_ids, strict=True))
            people.created += len(fresh)
            created["people"] = list(new_ids)

        items: list[InteractionInput] = []
        records: list[InteractionRecord] = []
        ahead: list[InteractionInput] = []
        ahead_records: list[InteractionRecord] = []
        for rec in batch:
            roles: dict[int, str] = {}
            for p in rec.participants:
                pid = self.user.person_id if p.email in self.me else self.pid_of.get(p.email)
                if pid is not None:
                    roles.setdefault(pid, p.role)
            if len(roles) < 2:
                ignored[
                    "mass mailing without two known people"
                    if rec.is_bulk
                    else "fewer than two people"
                ] += 1
                counts.skipped += 1
                continue
            item = InteractionInput(
                kind=rec.kind,
                occurred_at=rec.start,
                participants=list(roles.items()),
                duration_minutes=rec.duration_minutes or None,
                subject=rec.subject,
                location=rec.location,
                source=self.source,
                external_id=rec.external_id[:300],
                visibility=self.visibility,
                is_bulk=rec.is_bulk,
            )
            if rec.start > self.now and rec.kind in UPCOMING_KINDS:
                # Not evidence yet: kept as an upcoming meeting until its time has passed.
                ahead.append(item)
                ahead_records.append(rec)
            else:
                items.append(item)
                records.append(rec)
        if ahead:
            outcomes = record_upcoming_meetings(
                tenant=self.user.company, items=ahead, recorded_by=self.user
            )
            new_meetings = created.setdefault("upcoming_meetings", [])
            for rec, outcome in zip(ahead_records, outcomes, strict=True):
                if isinstance(outcome, ValidationError):
                    reason = "; ".join(outcome.messages)
                    problems.append(
                        ParseProblem(self.report.file, rec.entry_no, rec.line_no, reason)
                    )
                    upcoming.skipped += 1
                elif outcome[1]:
                    upcoming.created += 1
                    new_meetings.append(outcome[0].pk)
                else:
                    upcoming.unchanged += 1
        if not items:
            return people, counts, problems, ignored, created, upcoming
        new_ties: list[int] = []
        results = record_interactions(
            tenant=self.user.company,
            items=items,
            recorded_by=self.user,
            new_relationship_ids=new_ties,
        )
        created["relationships"] = new_ties
        new_interactions: list[int] = created.setdefault("interactions", [])
        seen: set[int] = set()
        for rec, result in zip(records, results, strict=True):
            if isinstance(result, ValidationError):
                reason = "; ".join(result.messages)
                problems.append(ParseProblem(self.report.file, rec.entry_no, rec.line_no, reason))
                counts.skipped += 1
            elif id(result) in seen:  # the same message twice in this file
                counts.unchanged += 1
            else:
                seen.add(id(result))
                counts.created += 1
                new_interactions.append(result.pk)
        # A meeting that was ahead at the last import has happened: it is evidence now.
        if happened := [i.external_id for i in items if i.external_id and i.kind in UPCOMING_KINDS]:
            UpcomingMeeting.objects.filter(
                tenant_id=self.user.tenant_pk, source=self.source, external_id__in=happened
            ).delete()
        return people, counts, problems, ignored, created, upcoming

    def _minimal_person(self, email: str, display_name: str) -> tuple:
        title, first, last = _names_from_text(display_name) if display_name else ("", "", "")
        if not last or "@" in last:
            title = ""
            first, last = _names_from_address(email)
        return (
            self.user.tenant_id,
            title[:50],
            first[:100],
            last[:100],
            "",
            "[]",
            "business",
            "",
            1,
            self.user.pk,
            self.visibility,
        )


def iter_problems(report: ImportReport) -> Iterator[str]:
    """The problems as ``file:entry:line: reason`` lines, for the CLI."""
    for p in report.problems:
        entry = "" if p.entry_no is None else p.entry_no
        line = "" if p.line_no is None else p.line_no
        yield f"{p.file}:{entry}:{line}: {p.reason}"
