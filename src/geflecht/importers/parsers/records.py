"""Plain records the parsers yield and the loader consumes.

Parsers turn files into these frozen dataclasses and nothing else: no Django, no
database, no matching. Sequences are tuples so a record cannot change after it left
the parser. Every parser yields a mix of records and :class:`ParseProblem`; a problem
means the entry it names was skipped and everything else in the file is still usable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

__all__ = [
    "BULK_REASONS",
    "INTERACTION_KINDS",
    "PARTICIPANT_ROLES",
    "SKIP_CANCELLED",
    "SKIP_NOT_AN_EVENT",
    "SKIP_NO_ATTENDEES",
    "SKIP_OUTSIDE_WINDOW",
    "Address",
    "ContactRecord",
    "InteractionRecord",
    "Labelled",
    "ParseProblem",
    "Participant",
    "Photo",
    "ProgressCallback",
    "Skipped",
]

INTERACTION_KINDS = ("meeting", "video", "phone", "email", "event")
PARTICIPANT_ROLES = ("organiser", "attendee", "sender", "recipient", "cc")
BULK_REASONS = (
    "list-id",
    "precedence",
    "auto-submitted",
    "list-unsubscribe",
    "no-reply sender",
    "many recipients",
)

#: ``on_progress(entries_done, bytes_done, bytes_total)``; ``bytes_total`` is None when
#: the input is a stream of unknown size. Called every few hundred entries and once at
#: the end, so a CLI bar or a web task can show progress without slowing the parse.
ProgressCallback = Callable[[int, int, int | None], None]


class Labelled(NamedTuple):
    """An e-mail address or phone number with its label ("work", "cell", "home,voice")."""

    value: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Address:
    street: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    label: str = ""
    po_box: str = ""
    extended: str = ""

    def is_empty(self) -> bool:
        return not any(
            (
                self.street,
                self.postal_code,
                self.city,
                self.region,
                self.country,
                self.po_box,
                self.extended,
            )
        )


@dataclass(frozen=True, slots=True)
class Photo:
    data: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One contact from a vCard, a CSV/XLSX row or any later contact source.

    ``source_format`` is ``"vcard"`` or ``"csv:<flavour>"`` (``csv:linkedin``,
    ``csv:google``, ``csv:outlook``, ``csv:thunderbird``, ``csv:generic``) or
    ``"xlsx:<flavour>"``. ``entry_no`` counts entries from 1 in the file (cards, data rows);
    ``line_no`` is the physical line where the entry starts (for .xlsx the sheet row).
    ``organization``/``department``/``job_title`` become the Position. Phones are raw
    strings: the loader normalises them to E.164. ``extra`` holds what we do not map so an
    export can give it back: vCard properties by upper-case name with their raw text
    (escapes kept, parameters dropped), CSV columns by header.
    """

    source_format: str
    entry_no: int
    line_no: int | None = None
    external_id: str = ""
    prefix: str = ""
    given_name: str = ""
    additional_names: str = ""
    family_name: str = ""
    suffix: str = ""
    formatted_name: str = ""
    nickname: str = ""
    emails: tuple[Labelled, ...] = ()
    phones: tuple[Labelled, ...] = ()
    addresses: tuple[Address, ...] = ()
    organization: str = ""
    department: str = ""
    job_title: str = ""
    birthday: date | None = None
    notes: str = ""
    urls: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    photo: Photo | None = None
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source_file: str = ""
    #: Damage that did not cost the entry (a photo that would not decode, ...).
    warnings: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        """The name to show: FN, else the name parts, else nickname, organisation, e-mail."""
        if self.formatted_name:
            return self.formatted_name
        parts = [self.prefix, self.given_name, self.additional_names, self.family_name]
        joined = " ".join(p for p in parts if p)
        if self.suffix and joined:
            joined = f"{joined} {self.suffix}"
        if joined:
            return joined
        if self.nickname:
            return self.nickname
        if self.organization:
            return self.organization
        return self.emails[0].value if self.emails else ""


class Participant(NamedTuple):
    """Someone who took part: ``(email, display_name, role)``, role in :data:`PARTICIPANT_ROLES`.

    ``email`` is lower-cased; each address appears once per interaction (first role wins).
    """

    email: str
    display_name: str
    role: str


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    """One meeting, call, event occurrence or e-mail message.

    ``start`` is always an aware UTC datetime. ``external_id`` is stable across
    re-imports: the iCalendar UID plus the occurrence's start (``UID/20240105T090000Z``)
    or the e-mail Message-ID (a hash of the headers when a message has none). E-mail
    records never carry a body; ``subject`` is the Subject header or calendar SUMMARY.
    """

    source_format: str
    entry_no: int
    external_id: str
    kind: str
    start: datetime
    duration_minutes: int | None = None
    subject: str = ""
    location: str = ""
    participants: tuple[Participant, ...] = ()
    in_reply_to: str = ""
    is_bulk: bool = False
    bulk_reason: str = ""
    line_no: int | None = None
    source_file: str = ""
    all_day: bool = False
    conference_url: str = ""
    my_role: str = ""


#: Why an entry was left out on purpose (:class:`Skipped`); the loader counts by these.
SKIP_CANCELLED = "cancelled"
SKIP_NO_ATTENDEES = "no attendees besides you"
SKIP_OUTSIDE_WINDOW = "outside the calendar window"
SKIP_NOT_AN_EVENT = "a reply to an invitation, not a meeting"


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry left out on purpose (not damage): a cancelled meeting, one without
    attendees, one outside the calendar window. ``external_id`` names the meeting where
    it is known, so a cancellation can remove the meeting it cancels."""

    file: str
    entry_no: int | None
    line_no: int | None
    reason: str
    external_id: str = ""


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """An entry that was skipped (or a file that could not be read), and why."""

    file: str
    entry_no: int | None
    line_no: int | None
    reason: str

    def __str__(self) -> str:
        where = self.file or "<stream>"
        if self.entry_no is not None:
            where += f", entry {self.entry_no}"
        if self.line_no is not None:
            where += f", line {self.line_no}"
        return f"{where}: {self.reason}"
