"""Calendar sync against a real Radicale: first sync, changes, deletions, lost tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest

from geflecht.capture.caldav_sync import CalendarSyncState, sync_calendar
from geflecht.capture.dav import (
    ADDRESS_BOOKS,
    CALENDARS,
    CollectionNotFound,
    DavAccount,
    DavClient,
    find_collections,
)
from geflecht.importers.tests.conftest import shared_path

from .radicale import EMAIL_USER, radicale_server  # noqa: F401  (the session-scoped server)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def vevent(
    uid: str,
    start: datetime,
    *,
    minutes: int = 60,
    summary: str = "Abstimmung",
    guests: int = 2,
    status: str = "",
    sequence: int = 0,
    extra: str = "",
) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261101T080000Z",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(start + timedelta(minutes=minutes))}",
        f"SUMMARY:{summary}",
        f"SEQUENCE:{sequence}",
        "ORGANIZER;CN=Jana Kühn:mailto:jana@mueller-metall.de",
    ]
    for i in range(guests):
        partstat = "DECLINED" if i == 1 else "ACCEPTED"
        lines.append(f"ATTENDEE;CN=Gast {i};PARTSTAT={partstat}:mailto:Gast{i}@kunde.de")
    if status:
        lines.append(f"STATUS:{status}")
    if extra:
        lines.append(extra)
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


def vcalendar(*components: str) -> str:
    return (
        "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//geflecht tests//EN", *components])
        + "\r\nEND:VCALENDAR\r\n"
    )


@pytest.fixture
def account(radicale_server):  # noqa: F811
    return DavAccount(radicale_server.url, radicale_server.user, radicale_server.password)


@pytest.fixture
def calendar(radicale_server):  # noqa: F811
    """A fresh calendar with a past, a future, a recurring, a cancelled, a large and an
    old event, and a task."""
    url = radicale_server.make_calendar()
    put = radicale_server.put
    put(url, "past.ics", vcalendar(vevent("past", NOW - timedelta(days=30))))
    put(url, "future.ics", vcalendar(vevent("future", NOW + timedelta(days=14), minutes=90)))
    weekly_start = NOW - timedelta(days=21)
    moved = weekly_start + timedelta(weeks=2)
    put(
        url,
        "weekly.ics",
        vcalendar(
            vevent(
                "weekly",
                weekly_start,
                summary="Jour fixe",
                extra=(
                    "RRULE:FREQ=WEEKLY;COUNT=6\r\n"
                    f"EXDATE:{_stamp(weekly_start + timedelta(weeks=1))}"
                ),
            ),
            vevent(
                "weekly",
                moved + timedelta(hours=3),
                summary="Jour fixe (verschoben)",
                extra=f"RECURRENCE-ID:{_stamp(moved)}",
            ),
        ),
    )
    put(
        url,
        "cancelled.ics",
        vcalendar(vevent("cancelled", NOW + timedelta(days=3), status="CANCELLED")),
    )
    put(url, "fair.ics", vcalendar(vevent("fair", NOW + timedelta(days=60), guests=40)))
    put(url, "old.ics", vcalendar(vevent("old", NOW - timedelta(days=800))))
    put(
        url,
        "task.ics",
        vcalendar(
            "BEGIN:VTODO\r\nUID:task\r\nDTSTAMP:20261101T080000Z\r\nSUMMARY:Angebot\r\nEND:VTODO"
        ),
    )
    return url


def _by_id(changes):
    return {e.external_id: e for e in changes.events}


def test_first_sync_returns_past_future_recurring_cancelled_and_large_events(account, calendar):
    changes, state = sync_calendar(account, calendar, now=NOW)

    assert changes.full_sync
    assert changes.changed_uids == {"past", "future", "weekly", "cancelled", "fair", "old", "task"}
    assert changes.deleted_uids == frozenset()
    events = _by_id(changes)
    weekly = sorted((e for e in changes.events if e.uid == "weekly"), key=lambda e: e.start)
    assert {"past", "future", "cancelled", "fair"} <= set(events)
    assert "old" not in {e.uid for e in changes.events}  # before the window, not lost: known
    assert len(changes.events) == 4 + len(weekly)

    future = events["future"]
    assert future.start == NOW + timedelta(days=14) and future.start.tzinfo == UTC
    assert future.end - future.start == timedelta(minutes=90)
    assert future.organizer is not None and future.organizer.email == "jana@mueller-metall.de"
    assert future.organizer.name == "Jana Kühn"
    assert [(a.email, a.name, a.partstat) for a in future.attendees] == [
        ("gast0@kunde.de", "Gast 0", "ACCEPTED"),
        ("gast1@kunde.de", "Gast 1", "DECLINED"),
    ]
    assert future.recurrence_id is None and future.external_id == "future"

    # Six weeks, one struck out (EXDATE), one moved by three hours (an override).
    first = NOW - timedelta(days=21)
    assert len(weekly) == 5
    assert [e.recurrence_id for e in weekly] == [
        first + timedelta(weeks=w) for w in (0, 2, 3, 4, 5)
    ]
    moved = weekly[1]
    assert moved.start == first + timedelta(weeks=2, hours=3)
    assert moved.summary == "Jour fixe (verschoben)"
    assert moved.external_id == f"weekly/{_stamp(first + timedelta(weeks=2))}"

    assert events["cancelled"].cancelled and events["cancelled"].status == "CANCELLED"
    assert not events["future"].cancelled
    assert events["fair"].is_large and len(events["fair"].attendees) == 40
    assert not any(e.is_large for e in changes.events if e.uid != "fair")

    assert state.url == calendar and state.sync_token
    assert set(state.uids.values()) == changes.changed_uids


def test_next_sync_returns_exactly_the_changed_and_the_deleted_event(
    account,
    calendar,
    radicale_server,  # noqa: F811
):
    _, state = sync_calendar(account, calendar, now=NOW)
    radicale_server.put(
        calendar,
        "future.ics",
        vcalendar(vevent("future", NOW + timedelta(days=15), summary="Abstimmung neu", sequence=1)),
    )
    radicale_server.delete(calendar + "past.ics")

    changes, state = sync_calendar(account, calendar, state.to_dict(), now=NOW)

    assert not changes.full_sync  # the sync token was used
    assert changes.changed_uids == {"future"}
    assert changes.deleted_uids == {"past"}
    [event] = changes.events
    assert (event.uid, event.sequence, event.summary) == ("future", 1, "Abstimmung neu")
    assert event.start == NOW + timedelta(days=15)

    again, _ = sync_calendar(account, calendar, state, now=NOW)
    assert again.events == () and again.changed_uids == again.deleted_uids == frozenset()


def test_forgotten_sync_token_falls_back_to_comparing_etags(
    account,
    calendar,
    radicale_server,  # noqa: F811
):
    _, state = sync_calendar(account, calendar, now=NOW)
    radicale_server.put(
        calendar,
        "cancelled.ics",
        vcalendar(vevent("cancelled", NOW + timedelta(days=3), sequence=2)),
    )
    radicale_server.delete(calendar + "fair.ics")
    radicale_server.forget_sync_tokens(calendar)

    changes, state = sync_calendar(account, calendar, state, now=NOW)

    assert changes.full_sync
    assert changes.changed_uids == {"cancelled"}
    assert changes.deleted_uids == {"fair"}
    [event] = changes.events
    assert event.sequence == 2 and not event.cancelled

    radicale_server.delete(calendar + "future.ics")
    changes, _ = sync_calendar(account, calendar, state, now=NOW)
    assert not changes.full_sync and changes.deleted_uids == {"future"}


def test_recurring_series_is_expanded_again_when_the_window_moves(
    account,
    radicale_server,  # noqa: F811
):
    url = radicale_server.make_calendar()
    radicale_server.put(
        url,
        "daily.ics",
        vcalendar(vevent("daily", NOW - timedelta(hours=1), extra="RRULE:FREQ=DAILY")),
    )
    radicale_server.put(url, "once.ics", vcalendar(vevent("once", NOW + timedelta(days=2))))
    first, state = sync_calendar(account, url, now=NOW, past_days=0, future_days=5)
    assert len([e for e in first.events if e.uid == "daily"]) == 5

    later, state = sync_calendar(
        account, url, state, now=NOW + timedelta(days=3), past_days=0, future_days=5
    )

    assert later.changed_uids == {"daily"}  # nothing changed on the server
    starts = [e.start for e in later.events]
    assert starts == [NOW - timedelta(hours=1) + timedelta(days=d) for d in range(4, 9)]
    same_day, _ = sync_calendar(
        account, url, state, now=NOW + timedelta(days=3, hours=2), past_days=0, future_days=5
    )
    assert same_day.changed_uids == frozenset()


def test_state_survives_a_json_round_trip_and_a_broken_state_starts_over(account, calendar):
    import json

    _, state = sync_calendar(account, calendar, now=NOW)
    stored = json.loads(json.dumps(state.to_dict()))
    assert CalendarSyncState.from_dict(stored) == state

    changes, _ = sync_calendar(account, calendar, {"etags": "not a mapping"}, now=NOW)
    assert changes.full_sync and "future" in changes.changed_uids


def test_calendars_are_found_from_the_server_address(account, calendar, radicale_server):  # noqa: F811
    book = radicale_server.make_addressbook()
    with DavClient(account) as client:
        calendars = [c.url for c in find_collections(client, CALENDARS)]
        books = [c.url for c in find_collections(client, ADDRESS_BOOKS)]
    assert calendar in calendars and book not in calendars
    assert book in books and calendar not in books

    _, state = sync_calendar(account, now=NOW)  # no URL: the first calendar
    assert state.url in calendars


def test_calendar_of_a_user_named_by_e_mail_is_found(radicale_server):  # noqa: F811
    url = radicale_server.make_calendar(user=EMAIL_USER)
    account = DavAccount(radicale_server.url, EMAIL_USER, radicale_server.password)

    _, state = sync_calendar(account, now=NOW)  # principal /jana.kuehn%40mueller-metall.de/

    assert unquote(state.url) == unquote(url)


def test_an_address_book_or_a_missing_collection_is_not_a_calendar(account, radicale_server):  # noqa: F811
    book = radicale_server.make_addressbook()
    with pytest.raises(CollectionNotFound, match="is not a calendar"):
        sync_calendar(account, book, now=NOW)
    with pytest.raises(CollectionNotFound):
        sync_calendar(account, radicale_server.collection_url("nothing-here"), now=NOW)


#: Real objects from Radicale's own test suite: Windows and German time zone names, an
#: overridden daily series, whole-day series, EXDATE without RRULE, RDATE, a task.
REAL_FILES = [
    "event1", "event3", "event1_y2040", "event_daily_rrule_overridden",
    "event_full_day_rrule_overridden", "event_mixed_recurrence_id_dt_type",
    "event_timezone_seconds", "event_issue2151", "event_issue2172",
    "event_exdate_without_rrule", "event_weekly_rrule", "event_rrule_rdate",
    "event_issue1880_1", "todo1",
]  # fmt: skip


def test_real_calendar_files_sync_without_losing_one(account, radicale_server):  # noqa: F811
    folder = shared_path("ics", "radicale")
    url = radicale_server.make_calendar()
    for name in REAL_FILES:
        radicale_server.put(url, f"{name}.ics", (folder / f"{name}.ics").read_bytes())

    changes, state = sync_calendar(account, url, now=NOW, past_days=365 * 21, future_days=365 * 14)

    assert changes.problems == ()
    assert sorted(h.rsplit("/", 1)[-1] for h in state.uids) == sorted(
        f"{n}.ics" for n in REAL_FILES
    )
    assert changes.changed_uids == set(state.uids.values())
    by_file: dict[str, list] = {}
    for event in changes.events:
        by_file.setdefault(event.href.rsplit("/", 1)[-1][:-4], []).append(event)
    assert set(by_file) == set(REAL_FILES) - {"todo1"}
    daily = sorted(by_file["event_daily_rrule_overridden"], key=lambda e: e.recurrence_id)
    assert len(daily) == 5
    moved = daily[2]  # 4 Jan 2006 moved from 12:00 to 14:00 New York time
    assert moved.recurrence_id == datetime(2006, 1, 4, 17, tzinfo=UTC)
    assert moved.start == datetime(2006, 1, 4, 19, tzinfo=UTC)
    assert moved.summary == "Event #2 bis"
    [german_zone] = by_file["event_issue2172"]  # TZID "Mitteleuropäische Zeit " (sic)
    assert german_zone.start == datetime(2026, 7, 1, 15, tzinfo=UTC)
    assert all(e.start.tzinfo == UTC and e.end >= e.start for e in changes.events)
