"""CalDAV connector: the events of one calendar since the last sync, as plain records.

``sync_calendar(account, url, state)`` returns ``(changes, new_state)``. The first sync
(no state) returns every event in the window; later ones only the series that were
added or changed, and the UIDs that were deleted, found by sync token or, when the
server no longer knows the token, by comparing etags (see :mod:`.dav`). Nothing here
touches the database: the caller turns the records into people and interactions.

Each calendar object is one series (one UID, RFC 4791 5.3.2): its master event and its
overridden occurrences. A recurring series is expanded with recurring-ical-events into
its occurrences between ``now - past_days`` and ``now + future_days``; single events are
kept when they fall in the same window. Future events count too: a meeting next week is
a relationship signal already. As ``now`` moves on, the recurring series are expanded
again once a day (the state remembers which hrefs recur), so the next occurrences
appear without any change on the server.

Cancelled events and occurrences are returned with ``status == "CANCELLED"`` (the caller
decides what a cancelled meeting means); events with more than
``large_event_attendees`` attendees are flagged ``is_large``, so the caller can record
one event interaction instead of a contact per guest.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events

from geflecht.importers.parsers.records import ParseProblem

from .dav import CALENDARS, DavAccount, DavClient, SyncState, find_collections, sync_collection

__all__ = [
    "DEFAULT_FUTURE_DAYS",
    "DEFAULT_PAST_DAYS",
    "LARGE_EVENT_ATTENDEES",
    "Attendee",
    "CalendarChanges",
    "CalendarEvent",
    "CalendarSyncState",
    "sync_calendar",
]

log = logging.getLogger(__name__)

DEFAULT_PAST_DAYS = 365
DEFAULT_FUTURE_DAYS = 180
LARGE_EVENT_ATTENDEES = 25
#: A series with more occurrences in the window is cut there (with a problem): nobody
#: meets every hour, and an endless hourly rule would cost minutes.
MAX_OCCURRENCES = 5000
#: The recurring series are expanded again when the window's end moved this far.
REEXPAND_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Attendee:
    """An organizer or attendee: ``email`` lower-case without ``mailto:``, ``name`` the CN,
    ``partstat`` ACCEPTED, DECLINED, TENTATIVE, NEEDS-ACTION or DELEGATED, ``role`` and
    ``cutype`` as written (empty when not), e.g. ROOM for a meeting room."""

    email: str
    name: str = ""
    partstat: str = ""
    role: str = ""
    cutype: str = ""


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One occurrence of an event. ``start`` and ``end`` are aware UTC; an all-day event
    starts at midnight of the account's time zone. ``recurrence_id`` (UTC) is set for the
    occurrences of a recurring series and None for a single event."""

    uid: str
    recurrence_id: datetime | None
    start: datetime
    end: datetime
    all_day: bool
    summary: str
    location: str
    organizer: Attendee | None
    attendees: tuple[Attendee, ...]
    status: str  # CONFIRMED, TENTATIVE, CANCELLED or ""
    sequence: int
    last_modified: datetime | None
    href: str
    etag: str
    is_large: bool

    @property
    def cancelled(self) -> bool:
        return self.status == "CANCELLED"

    @property
    def external_id(self) -> str:
        """Stable id of the occurrence, the same as the .ics importer's
        (``UID`` or ``UID/20260105T080000Z``), so an imported file and a synced
        calendar name one meeting alike."""
        if self.recurrence_id is None:
            return self.uid
        return f"{self.uid}/{self.recurrence_id:%Y%m%dT%H%M%SZ}"


@dataclass(frozen=True)
class CalendarChanges:
    """What changed. For each UID in ``changed_uids`` the caller replaces what it holds
    between ``window_start`` and ``window_end`` with that UID's ``events`` (none: the
    series no longer has an occurrence there); ``deleted_uids`` are gone entirely.
    ``full_sync`` is True when the etags were compared (first sync, refused token)."""

    events: tuple[CalendarEvent, ...]
    changed_uids: frozenset[str]
    deleted_uids: frozenset[str]
    window_start: datetime
    window_end: datetime
    full_sync: bool
    problems: tuple[ParseProblem, ...] = ()


@dataclass
class CalendarSyncState(SyncState):
    """A calendar's :class:`~.dav.SyncState` plus the recurring hrefs and how far they
    were expanded."""

    recurring: list[str] = field(default_factory=list)
    expanded_until: str = ""  # ISO datetime of the window end of the last expansion

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "recurring": list(self.recurring),
            "expanded_until": self.expanded_until,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        state = super().from_dict(data)
        try:
            state.recurring = [str(h) for h in data.get("recurring", [])]
            state.expanded_until = str(data.get("expanded_until", ""))
            if state.expanded_until:
                datetime.fromisoformat(state.expanded_until)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not a calendar sync state: {exc}") from None
        return state


def sync_calendar(
    account: DavAccount,
    calendar_url: str | None = None,
    state: CalendarSyncState | Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    past_days: int = DEFAULT_PAST_DAYS,
    future_days: int = DEFAULT_FUTURE_DAYS,
    large_event_attendees: int = LARGE_EVENT_ATTENDEES,
    default_tz: str | tzinfo = "UTC",
) -> tuple[CalendarChanges, CalendarSyncState]:
    """Sync one calendar: ``calendar_url``, else the state's, else the account's first
    calendar with events (found from the account URL). ``state`` is the previous
    ``new_state`` (or its ``to_dict()``); None, or a state of another calendar, starts
    over. Raises a :class:`~.dav.DavError` when the server cannot be used.
    """
    prior = _load_state(state)
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    window_start = now - timedelta(days=past_days)
    window_end = now + timedelta(days=future_days)
    dtz = _zone(default_tz)
    with DavClient(account) as client:
        url = calendar_url or prior.url or find_collections(client, CALENDARS)[0].url
        if prior.url and prior.url != url:
            prior = CalendarSyncState()
        refetch: list[str] = []
        expanded = _parse_when(prior.expanded_until)
        reexpand = expanded is None or window_end - expanded >= REEXPAND_AFTER
        if reexpand:
            refetch = prior.recurring
        delta = sync_collection(client, url, CALENDARS, prior, refetch=refetch)

    uids = {h: u for h, u in prior.uids.items() if h in delta.etags}
    recurring = {h for h in prior.recurring if h in delta.etags}
    deleted = {prior.uids[h] for h in delta.removed if h in prior.uids}
    changed: set[str] = set()
    events: list[CalendarEvent] = []
    problems: list[ParseProblem] = []
    for item in delta.fetched:
        parsed = _parse_object(
            item.data,
            item.href,
            item.etag,
            window_start,
            window_end,
            dtz,
            large_event_attendees,
        )
        if isinstance(parsed, ParseProblem):
            problems.append(parsed)
            continue  # its etag is kept: it is parsed again only when it changes
        uid, is_recurring, occurrences, problem = parsed
        if problem is not None:
            problems.append(problem)
        old_uid = uids.get(item.href)
        if old_uid and old_uid != uid:
            deleted.add(old_uid)
        uids[item.href] = uid
        changed.add(uid)
        events.extend(occurrences)
        if is_recurring:
            recurring.add(item.href)
        else:
            recurring.discard(item.href)
    deleted -= changed  # a series moved to another href, or kept by another object
    deleted -= set(uids.values())

    new_state = CalendarSyncState(
        url=url,
        sync_token=delta.sync_token,
        ctag=delta.ctag,
        etags=delta.etags,
        uids=uids,
        recurring=sorted(recurring),
        expanded_until=window_end.isoformat() if reexpand else prior.expanded_until,
    )
    changes = CalendarChanges(
        events=tuple(events),
        changed_uids=frozenset(changed),
        deleted_uids=frozenset(deleted),
        window_start=window_start,
        window_end=window_end,
        full_sync=delta.full,
        problems=tuple(problems),
    )
    log.info(
        "calendar sync: %d series changed, %d deleted, %d problems (%s)",
        len(changed),
        len(deleted),
        len(problems),
        "etags compared" if delta.full else "sync token",
    )
    return changes, new_state


def _load_state(state: CalendarSyncState | Mapping[str, Any] | None) -> CalendarSyncState:
    if state is None:
        return CalendarSyncState()
    if isinstance(state, CalendarSyncState):
        return state
    try:
        return CalendarSyncState.from_dict(state)
    except ValueError:
        log.warning("stored calendar sync state unreadable: syncing from scratch")
        return CalendarSyncState()


def _parse_when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _zone(name: str | tzinfo) -> tzinfo:
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _utc(value: date | datetime, dtz: tzinfo) -> tuple[datetime, bool]:
    """Aware UTC and whether it was a whole day (DATE); floating times are in ``dtz``."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dtz)
        return value.astimezone(UTC), False
    return datetime(value.year, value.month, value.day, tzinfo=dtz).astimezone(UTC), True


def _when(prop: Any) -> date | datetime | None:
    value = getattr(prop, "dt", None)
    return value if isinstance(value, date) else None


def _person(prop: Any) -> Attendee | None:
    email = str(prop).strip()
    if email.lower().startswith("mailto:"):
        email = email[7:]
    email = email.strip().lower()
    if not email:
        return None
    params = getattr(prop, "params", {}) or {}

    def param(name: str) -> str:
        value = params.get(name, "")
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value).strip().strip('"')

    return Attendee(
        email=email,
        name=param("CN"),
        partstat=param("PARTSTAT").upper(),
        role=param("ROLE").upper(),
        cutype=param("CUTYPE").upper(),
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _parse_object(
    data: bytes,
    href: str,
    etag: str,
    window_start: datetime,
    window_end: datetime,
    dtz: tzinfo,
    large_event_attendees: int,
) -> tuple[str, bool, list[CalendarEvent], ParseProblem | None] | ParseProblem:
    """``(uid, recurring, occurrences, problem)`` of one calendar object, or the problem
    that made it unreadable."""
    with warnings.catch_warnings():
        # icalendar warns on guessed vendor TZIDs; the guess is what we want.
        warnings.simplefilter("ignore")
        try:
            cal = icalendar.Calendar.from_ical(data)
        except Exception as exc:  # one broken object must not end the sync
            return ParseProblem(href, None, None, f"not a readable calendar object: {exc}")
        vevents = list(cal.walk("VEVENT"))
        if not vevents:
            # A task or journal in the same calendar: known (for its deletion), no events.
            other = next((c for c in cal.subcomponents if c.get("UID")), None)
            return str(other.get("UID")).strip() if other else href, False, [], None
        uid = str(vevents[0].get("UID", "") or "").strip() or href
        recurring = len(vevents) > 1 or any(c.get("RRULE") or c.get("RDATE") for c in vevents)
        try:
            occurrences = recurring_ical_events.of(cal).between(window_start, window_end)
        except Exception as exc:
            return ParseProblem(href, None, None, f"event {uid!r} unreadable: {exc}")
    problem = None
    if len(occurrences) > MAX_OCCURRENCES:
        problem = ParseProblem(
            href, None, None, f"event {uid!r}: only the first {MAX_OCCURRENCES} occurrences kept"
        )
        del occurrences[MAX_OCCURRENCES:]
    events = []
    for occ in occurrences:
        event = _occurrence(occ, uid, recurring, href, etag, dtz, large_event_attendees)
        if event is not None:
            events.append(event)
    return uid, recurring, events, problem


def _occurrence(
    occ: Any,
    uid: str,
    recurring: bool,
    href: str,
    etag: str,
    dtz: tzinfo,
    large_event_attendees: int,
) -> CalendarEvent | None:
    begin = _when(occ.get("DTSTART"))
    if begin is None:
        return None
    start, all_day = _utc(begin, dtz)
    finish = _when(occ.get("DTEND"))
    if finish is not None:
        end = _utc(finish, dtz)[0]
    elif isinstance(getattr(occ.get("DURATION"), "dt", None), timedelta):
        end = start + occ.get("DURATION").dt
    else:
        end = start + timedelta(days=1) if all_day else start
    end = max(end, start)
    recurrence_id = None
    if recurring:
        rid = _when(occ.get("RECURRENCE-ID"))
        recurrence_id = _utc(rid, dtz)[0] if rid is not None else start
    organizer = _person(occ.get("ORGANIZER")) if occ.get("ORGANIZER") is not None else None
    attendees: list[Attendee] = []
    seen: set[str] = set()
    for prop in _as_list(occ.get("ATTENDEE")):
        person = _person(prop)
        if person is None or person.email in seen:
            continue
        seen.add(person.email)
        attendees.append(person)
    people = sum(1 for a in attendees if a.cutype not in ("ROOM", "RESOURCE"))
    modified = _when(occ.get("LAST-MODIFIED"))
    try:
        sequence = int(occ.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        sequence = 0
    return CalendarEvent(
        uid=uid,
        recurrence_id=recurrence_id,
        start=start,
        end=end,
        all_day=all_day,
        summary=str(occ.get("SUMMARY", "") or "").strip(),
        location=str(occ.get("LOCATION", "") or "").strip(),
        organizer=organizer,
        attendees=tuple(attendees),
        status=str(occ.get("STATUS", "") or "").strip().upper(),
        sequence=sequence,
        last_modified=_utc(modified, UTC)[0] if modified is not None else None,
        href=href,
        etag=etag,
        is_large=people > large_event_attendees,
    )
