"""iCalendar (.ics) events to interactions.

Parsing and time zones are ``icalendar``'s (it also reads custom VTIMEZONE blocks such
as Lotus Notes' "Central European" and Microsoft zone names), recurrence expansion is
``recurring-ical-events`` (RRULE, RDATE, EXDATE and moved or cancelled occurrences).
Each series (all components sharing a UID) is expanded on its own, so one broken
series is reported and the rest of the calendar still comes through.

Only events with at least one attendee besides the organiser become interactions;
cancelled events or occurrences, declined attendees and rooms/resources are dropped.
The kind is decided from the event itself: a conference link (Teams, Zoom, Meet, Webex,
...) makes it ``video``, a phone location ``phone``, an all-day or crowded event
``event``, anything else ``meeting`` (in person).

An .ics file is read whole (a calendar's series must be seen together to expand
overrides); exports are small compared to mailboxes, and files above ``max_bytes``
are refused with a problem instead of exhausting memory.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._io import PathOrFile, open_binary, sniff_utf16
from .records import (
    SKIP_CANCELLED,
    SKIP_NO_ATTENDEES,
    SKIP_NOT_AN_EVENT,
    SKIP_OUTSIDE_WINDOW,
    InteractionRecord,
    ParseProblem,
    Participant,
    ProgressCallback,
    Skipped,
)

__all__ = ["classify_kind", "meeting_people", "parse_ics"]

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_EVENT_ATTENDEES = 30
DEFAULT_MAX_OCCURRENCES = 5000
_TOO_FREQUENT = {"SECONDLY", "MINUTELY", "HOURLY"}
PROGRESS_EVERY = 200

_VIDEO = re.compile(
    r"(teams\.microsoft\.com|teams\.live\.com|zoom\.us|zoomgov\.com|meet\.google\.com|"
    r"webex\.com|gotomeeting\.com|gotomeet\.me|meet\.goto\.com|whereby\.com|meet\.jit\.si|"
    r"jitsi|bluejeans\.com|chime\.aws|skype\.com|lync\.|bigbluebutton|/b/\w{3}-\w{3}|"
    r"microsoft teams|teams[- ](meeting|besprechung)|\bzoom\b|facetime|"
    r"\bvideo ?(call|conference|konferenz)|\bvideokonferenz|\bonline[- ]meeting)",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"^\s*(tel:|phone\b|telefon\b|call\b|anruf\b|telko\b|telco\b|conference call|dial[- ]?in|"
    r"telefonkonferenz|\+?[\d\s()/.-]{7,}$)",
    re.IGNORECASE,
)
_VIDEO_PROPS = (
    "X-GOOGLE-CONFERENCE",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL",
    "X-MICROSOFT-ONLINEMEETINGCONFLINK",
    "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK",
    "CONFERENCE",
)
# iTIP replies and counter-proposals are answers about an event, not events.
_NOT_EVENTS = {"CANCEL", "REPLY", "REFRESH", "COUNTER", "DECLINECOUNTER"}
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_UID_LINE = re.compile(rb"^UID(?:;[^:]*)?:(.*)$", re.IGNORECASE)


def meeting_people(
    organizer: tuple[str, str] | None,
    attendees: Iterable[tuple[str, str, str, str, str]],
) -> tuple[list[Participant], list[str]]:
    """Who takes part in a meeting, from its organiser ``(address, name)`` and attendees
    ``(address, name, CUTYPE, PARTSTAT, ROLE)`` (addresses lower-case, without
    ``mailto:``): the organiser first, then each attendee once; rooms and resources,
    declined attendees and those copied for information only are left out. Also returns
    the rooms' names (a location when the event names none). The .ics importer and the
    CalDAV sync read an event's people alike through this."""
    participants: list[Participant] = []
    seen: set[str] = set()
    if organizer is not None and "@" in organizer[0]:
        seen.add(organizer[0])
        participants.append(Participant(organizer[0], organizer[1], "organiser"))
    rooms: list[str] = []
    for addr, name, cutype, partstat, role in attendees:
        if cutype.upper() in ("ROOM", "RESOURCE"):
            rooms.append(name or addr)
            continue
        if partstat.upper() == "DECLINED" or role.upper() == "NON-PARTICIPANT":
            continue  # not at the meeting (NON-PARTICIPANT: copied for information only)
        if "@" not in addr or addr in seen:
            continue
        seen.add(addr)
        participants.append(Participant(addr, name, "attendee"))
    return participants, rooms


def classify_kind(
    *,
    location: str,
    texts: Iterable[str],
    all_day: bool,
    n_people: int,
    event_attendee_threshold: int = DEFAULT_EVENT_ATTENDEES,
) -> tuple[str, str]:
    """Return ``(kind, conference_url)`` for an event; see the module docstring."""
    all_texts = [t for t in (location, *texts) if t]
    if any(_VIDEO.search(t) for t in all_texts):
        # The join link may sit elsewhere than the hint ("Microsoft Teams Meeting").
        links = (u for t in all_texts for u in _URL.findall(t))
        return "video", next((u for u in links if _VIDEO.search(u)), "")
    if location and _PHONE.match(location):
        return "phone", ""
    if all_day or n_people > event_attendee_threshold:
        return "event", ""
    return "meeting", ""


def _tz(name: str | tzinfo | None) -> tzinfo:
    if isinstance(name, tzinfo):
        return name
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _to_utc(value: date | datetime, default_tz: tzinfo) -> tuple[datetime, bool]:
    """Aware UTC datetime and whether it was a whole-day (DATE) value."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=default_tz)  # floating time: the user's zone
        return value.astimezone(UTC), False
    return datetime(value.year, value.month, value.day, tzinfo=default_tz).astimezone(UTC), True


def _address(value: object) -> str:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _param(value: object, name: str) -> str:
    params = getattr(value, "params", None)
    if not params:
        return ""
    got = params.get(name)
    if isinstance(got, list):
        got = got[0] if got else ""
    return str(got or "").strip().strip('"')


def _as_list(value: object) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_ics(
    source: PathOrFile,
    *,
    window_start: datetime,
    window_end: datetime,
    me: Iterable[str] | str = (),
    default_tz: str | tzinfo | None = "UTC",
    event_attendee_threshold: int = DEFAULT_EVENT_ATTENDEES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_occurrences: int = DEFAULT_MAX_OCCURRENCES,
    on_progress: ProgressCallback | None = None,
    report_skipped: bool = False,
) -> Iterator[InteractionRecord | ParseProblem | Skipped]:
    """Yield one :class:`InteractionRecord` per event occurrence in the window.

    ``window_start``/``window_end`` must be aware; recurring events are expanded only
    inside them (an endless RRULE stays finite). ``default_tz`` places floating times
    and all-day events. ``entry_no`` counts series (UIDs) in file order; the problem
    for a broken series carries the line of its UID. With ``report_skipped`` every
    series or occurrence left out on purpose yields a :class:`Skipped` with the reason
    (cancelled, no attendees, outside the window, an iTIP reply).
    """
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("window_start and window_end must be timezone-aware")
    with warnings.catch_warnings():
        # icalendar warns on guessed vendor TZIDs; the guess is what we want.
        warnings.simplefilter("ignore")
        yield from _parse_ics(
            source,
            window_start,
            window_end,
            me,
            default_tz,
            event_attendee_threshold,
            max_bytes,
            max_occurrences,
            on_progress,
            report_skipped,
        )


def _parse_ics(
    source: PathOrFile,
    window_start: datetime,
    window_end: datetime,
    me: Iterable[str] | str,
    default_tz: str | tzinfo | None,
    event_attendee_threshold: int,
    max_bytes: int,
    max_occurrences: int,
    on_progress: ProgressCallback | None,
    report_skipped: bool = False,
) -> Iterator[InteractionRecord | ParseProblem | Skipped]:
    import icalendar
    import recurring_ical_events

    me_set = frozenset(
        m.strip().lower() for m in ((me,) if isinstance(me, str) else me) if m.strip()
    )
    dtz = _tz(default_tz)
    with open_binary(source) as (fh, name, size):
        if size is not None and size > max_bytes:
            yield ParseProblem(name, None, None, f"file larger than {max_bytes} bytes: refused")
            return
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            yield ParseProblem(name, None, None, f"cannot read file: {exc}")
            return
    if len(data) > max_bytes:
        yield ParseProblem(name, None, None, f"file larger than {max_bytes} bytes: refused")
        return
    utf16 = sniff_utf16(data[:4096])
    if utf16:
        data = data.decode(utf16, "replace").encode("utf-8")
    elif data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    uid_lines = _uid_lines(data)

    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception as exc:
        calendars = []
        salvaged = 0
        for chunk_line, chunk, bare in _event_chunks(data):
            try:
                calendars.extend(icalendar.Calendar.from_ical(chunk, multiple=True))
                salvaged += 1
                continue
            except Exception as chunk_exc:
                problem = f"broken VEVENT skipped: {chunk_exc}"
            try:
                # A broken VTIMEZONE must not sink good events: retry without the zones
                # (icalendar then resolves well-known TZIDs by name).
                calendars.extend(icalendar.Calendar.from_ical(bare, multiple=True))
                salvaged += 1
            except Exception:
                yield ParseProblem(name, None, chunk_line, problem)
        if not salvaged:
            yield ParseProblem(name, None, None, f"not a readable iCalendar file: {exc}")
            return
    if not calendars:
        yield ParseProblem(name, None, None, "no VCALENDAR found")
        return

    entry_no = 0
    for cal in calendars:
        method = str(cal.get("METHOD", "")).upper()
        timezones = [c for c in cal.walk("VTIMEZONE")]
        series: dict[str, list] = {}
        for comp in cal.walk("VEVENT"):
            uid = str(comp.get("UID", "")).strip()
            if not uid:
                uid = "sha1:" + hashlib.sha1(comp.to_ical(), usedforsecurity=False).hexdigest()
            series.setdefault(uid, []).append(comp)
        for uid, comps in series.items():
            entry_no += 1
            line_no = uid_lines.get(uid)
            if method == "CANCEL":
                if report_skipped:
                    for comp in comps:
                        yield Skipped(
                            name, entry_no, line_no, SKIP_CANCELLED, _cancelled_id(comp, uid, dtz)
                        )
                continue
            if method in _NOT_EVENTS:
                if report_skipped:
                    yield Skipped(name, entry_no, line_no, SKIP_NOT_AN_EVENT)
                continue
            if not any(c.get("ATTENDEE") for c in comps):
                # No attendees, no interaction: skip before costly expansion.
                if report_skipped:
                    yield Skipped(name, entry_no, line_no, SKIP_NO_ATTENDEES)
                continue
            freqs = {str(f).upper() for c in comps for f in _rrule_freqs(c)}
            if freqs & _TOO_FREQUENT:
                # Nobody meets every hour; expanding such a rule over a long window
                # would cost minutes and millions of records.
                reason = f"event {uid!r}: recurrence FREQ={'/'.join(sorted(freqs))} ignored"
                yield ParseProblem(name, entry_no, line_no, reason)
                continue
            mini = icalendar.Calendar()
            for tz in timezones:
                mini.add_component(tz)
            for comp in comps:
                mini.add_component(comp)
            try:
                occurrences = list(recurring_ical_events.of(mini).between(window_start, window_end))
            except Exception as exc:
                yield ParseProblem(name, entry_no, line_no, f"event {uid!r} unreadable: {exc}")
                continue
            if len(occurrences) > max_occurrences:
                reason = f"event {uid!r}: only the first {max_occurrences} occurrences kept"
                yield ParseProblem(name, entry_no, line_no, reason)
                del occurrences[max_occurrences:]
            recurring = len(comps) > 1 or any(c.get("RRULE") or c.get("RDATE") for c in comps)
            if not occurrences and report_skipped:
                yield Skipped(name, entry_no, line_no, SKIP_OUTSIDE_WINDOW)
            for occ in occurrences:
                try:
                    rec = _occurrence(
                        occ,
                        uid,
                        recurring,
                        name,
                        entry_no,
                        line_no,
                        me_set,
                        dtz,
                        event_attendee_threshold,
                    )
                except Exception as exc:
                    rec = ParseProblem(name, entry_no, line_no, f"event {uid!r}: {exc}")
                if isinstance(rec, Skipped):
                    if report_skipped:
                        yield rec
                elif rec is not None:
                    yield rec
            if on_progress is not None and entry_no % PROGRESS_EVERY == 0:
                on_progress(entry_no, 0, size)
    if on_progress is not None:
        on_progress(entry_no, size or 0, size)


def _uid_lines(data: bytes) -> dict[str, int]:
    """Line number of each UID's first appearance (folded UIDs unfolded), for problems."""
    out: dict[str, int] = {}
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if line[:4].upper() != b"UID:" and line[:4].upper() != b"UID;":
            continue
        m = _UID_LINE.match(line.rstrip(b"\r"))
        if not m:
            continue
        value = m.group(1)
        for cont in lines[i + 1 :]:
            if cont[:1] not in (b" ", b"\t"):
                break
            value += cont.rstrip(b"\r")[1:]
        out.setdefault(value.strip().decode("utf-8", "replace"), i + 1)
    return out


def _rrule_freqs(comp) -> list[str]:
    out: list[str] = []
    for rule in _as_list(comp.get("RRULE")):
        try:
            out.extend(str(f) for f in rule.get("FREQ", []))
        except (AttributeError, ValueError):
            # A damaged rule ("FREQ= EEKLY") is icalendar's ValueError: no known frequency.
            continue
    return out


_BLOCK = re.compile(
    rb"^BEGIN:(VEVENT|VTIMEZONE)\r?$.*?^END:\1\r?$", re.MULTILINE | re.DOTALL | re.IGNORECASE
)


def _event_chunks(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """When the whole file does not parse: each VEVENT alone, with the file's time zones.

    Overrides of a recurring event then become single events, which is the best we can
    do with a file icalendar refuses.
    """
    timezones: list[bytes] = []
    events: list[tuple[int, bytes]] = []
    for m in _BLOCK.finditer(data):
        if m.group(1).upper() == b"VTIMEZONE":
            timezones.append(m.group(0))
        else:
            events.append((data.count(b"\n", 0, m.start()) + 1, m.group(0)))
    head = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//geflecht//salvage//EN\r\n"
    tz = b"\r\n".join(timezones)
    tail = b"\r\nEND:VCALENDAR\r\n"
    for line_no, event in events:
        yield line_no, head + tz + (b"\r\n" if tz else b"") + event + tail, head + event + tail


def _external_id(occ, uid: str, recurring: bool, dtz: tzinfo, start: datetime | None = None) -> str:
    """The UID, and for an occurrence of a series the start it was planned for."""
    if not recurring:
        return uid
    rid = occ.get("RECURRENCE-ID")
    rid_dt = rid.dt if rid is not None and isinstance(getattr(rid, "dt", None), date) else None
    if rid_dt is not None:
        anchor = _to_utc(rid_dt, dtz)[0]
    elif start is not None:
        anchor = start
    else:
        dtstart = occ.get("DTSTART")
        if dtstart is None or not isinstance(getattr(dtstart, "dt", None), date):
            return uid
        anchor = _to_utc(dtstart.dt, dtz)[0]
    return f"{uid}/{anchor:%Y%m%dT%H%M%SZ}"


def _cancelled_id(comp, uid: str, dtz: tzinfo) -> str:
    """The meeting an iTIP CANCEL names: one occurrence (RECURRENCE-ID) or the event."""
    return _external_id(comp, uid, comp.get("RECURRENCE-ID") is not None, dtz)


def _occurrence(
    occ,
    uid: str,
    recurring: bool,
    file: str,
    entry_no: int,
    line_no: int | None,
    me: frozenset[str],
    dtz: tzinfo,
    event_attendee_threshold: int,
) -> InteractionRecord | ParseProblem | Skipped:
    if str(occ.get("STATUS", "")).upper() == "CANCELLED":
        return Skipped(
            file, entry_no, line_no, SKIP_CANCELLED, _external_id(occ, uid, recurring, dtz)
        )
    dtstart = occ.get("DTSTART")
    if dtstart is None or not isinstance(getattr(dtstart, "dt", None), date):
        return ParseProblem(file, entry_no, line_no, f"event {uid!r} has no valid DTSTART")
    start, all_day = _to_utc(dtstart.dt, dtz)
    duration: int | None = None
    dtend = occ.get("DTEND")
    if dtend is not None and isinstance(getattr(dtend, "dt", None), date):
        end, _ = _to_utc(dtend.dt, dtz)
        duration = max(0, int((end - start).total_seconds() // 60))
    elif occ.get("DURATION") is not None:
        td = occ.get("DURATION").dt
        if isinstance(td, timedelta):
            duration = max(0, int(td.total_seconds() // 60))

    organizer = occ.get("ORGANIZER")
    participants, rooms = meeting_people(
        (_address(organizer), _param(organizer, "CN")) if organizer is not None else None,
        (
            (
                _address(a),
                _param(a, "CN"),
                _param(a, "CUTYPE"),
                _param(a, "PARTSTAT"),
                _param(a, "ROLE"),
            )
            for a in _as_list(occ.get("ATTENDEE"))
        ),
    )
    if not any(p.role == "attendee" for p in participants):
        return Skipped(file, entry_no, line_no, SKIP_NO_ATTENDEES)

    location = str(occ.get("LOCATION", "") or "").strip()
    if not location and rooms:
        location = ", ".join(rooms)
    texts = [str(occ.get(p, "")) for p in _VIDEO_PROPS if occ.get(p) is not None]
    texts += [str(occ.get("URL", "") or ""), str(occ.get("DESCRIPTION", "") or "")]
    kind, conference_url = classify_kind(
        location=location,
        texts=texts,
        all_day=all_day,
        n_people=len(participants),
        event_attendee_threshold=event_attendee_threshold,
    )
    external_id = _external_id(occ, uid, recurring, dtz, start)
    return InteractionRecord(
        source_format="ics",
        entry_no=entry_no,
        external_id=external_id,
        kind=kind,
        start=start,
        duration_minutes=duration,
        subject=str(occ.get("SUMMARY", "") or "").strip(),
        location=location,
        participants=tuple(participants),
        line_no=line_no,
        source_file=file,
        all_day=all_day,
        conference_url=conference_url,
        my_role=next((p.role for p in participants if p.email in me), ""),
    )
