"""iCalendar parser: recurrence, time zones, kinds, cancelled and declined, real files."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from geflecht.importers.parsers import InteractionRecord, ParseProblem, parse_ics

ME = "me@geflecht.example"
MARCH = datetime(2024, 3, 1, tzinfo=UTC)
MAY = datetime(2024, 5, 1, tzinfo=UTC)
WIDE = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))


@pytest.fixture
def tricky(files):
    items = list(
        parse_ics(
            files / "tricky.ics", window_start=MARCH, window_end=MAY, me=[ME],
            default_tz="Europe/Berlin",
        )
    )  # fmt: skip
    assert all(isinstance(i, InteractionRecord) for i in items)
    return items


def _uid(items, uid):
    return [i for i in items if i.external_id.split("/")[0] == uid]


def test_recurring_event_expanded_with_exdate_moved_and_cancelled_occurrences(tricky):
    jf = _uid(tricky, "jourfixe-ulm@example.de")
    # 6 weekly from 5 March; 12 March excluded, 19 March moved, 26 March cancelled.
    # Outlook's "W. Europe Standard Time": CET until 31 March, CEST after.
    assert [(i.start, i.duration_minutes) for i in jf] == [
        (datetime(2024, 3, 5, 8, 0, tzinfo=UTC), 60),
        (datetime(2024, 3, 19, 13, 0, tzinfo=UTC), 90),
        (datetime(2024, 4, 2, 7, 0, tzinfo=UTC), 60),
        (datetime(2024, 4, 9, 7, 0, tzinfo=UTC), 60),
    ]
    # The moved occurrence keeps the id of its original slot: re-imports stay idempotent.
    assert jf[1].external_id == "jourfixe-ulm@example.de/20240319T080000Z"
    assert len({i.external_id for i in jf}) == 4


def test_declined_attendees_and_rooms_are_dropped(tricky):
    first = _uid(tricky, "jourfixe-ulm@example.de")[0]
    assert [(p.email, p.role) for p in first.participants] == [
        (ME, "organiser"),
        ("j.mueller@example.de", "attendee"),  # lower-cased
    ]
    assert first.my_role == "organiser"
    assert first.kind == "meeting" and first.location == "Besprechungsraum 2, Werk Ulm"


def test_cancelled_events_and_events_without_attendees_are_ignored(tricky):
    assert not _uid(tricky, "cancelled-1@example.de")
    assert not _uid(tricky, "private-block@example.de")
    assert not _uid(tricky, "old-1@example.de")  # outside the window


def test_kind_from_location_and_conference_links(tricky):
    (teams,) = _uid(tricky, "teams-call-1@example.de")
    assert teams.kind == "video" and teams.duration_minutes == 45
    assert teams.conference_url.startswith("https://teams.microsoft.com/")
    (meet,) = _uid(tricky, "google-meet-1@example.com")
    assert meet.kind == "video" and meet.conference_url == "https://meet.google.com/abc-defg-hij"
    (phone,) = _uid(tricky, "phone-1@example.de")
    assert phone.kind == "phone"
    (fair,) = _uid(tricky, "hannover-messe-2024@example.de")
    assert fair.kind == "event" and fair.all_day and fair.duration_minutes == 5 * 24 * 60


def test_time_zones_are_converted_to_utc(tricky):
    (meet,) = _uid(tricky, "google-meet-1@example.com")
    assert meet.start == datetime(2024, 3, 7, 15, 0, tzinfo=UTC)  # 10:00 EST
    (lunch,) = _uid(tricky, "floating-1@example.de")
    assert lunch.start == datetime(2024, 3, 8, 11, 0, tzinfo=UTC)  # floating, default_tz
    (fair,) = _uid(tricky, "hannover-messe-2024@example.de")
    assert fair.start == datetime(2024, 4, 21, 22, 0, tzinfo=UTC)  # midnight CEST
    assert all(i.start.tzinfo is UTC for i in tricky)


def test_endless_rule_is_bounded_by_the_window(tricky):
    weekly = _uid(tricky, "weekly-forever@example.de")
    assert len(weekly) == 9  # Mondays 4 March .. 29 April
    assert weekly[0].start == datetime(2024, 3, 4, 7, 30, tzinfo=UTC)
    assert weekly[-1].start == datetime(2024, 4, 29, 6, 30, tzinfo=UTC)


def test_broken_event_reported_with_line_rest_kept(files):
    items = list(parse_ics(files / "broken_event.ics", window_start=MARCH, window_end=MAY))
    good = [i for i in items if isinstance(i, InteractionRecord)]
    bad = [i for i in items if isinstance(i, ParseProblem)]
    assert [g.external_id for g in good] == ["good-1@example.de"]
    assert len(bad) == 1 and bad[0].line_no == 13 and "2024030X" in bad[0].reason


def test_naive_window_is_refused(files):
    with pytest.raises(ValueError, match="aware"):
        list(parse_ics(files / "tricky.ics", window_start=datetime(2024, 1, 1), window_end=MAY))


# --- real calendars ---------------------------------------------------------------


def test_lotus_notes_custom_timezone(shared):
    (rec,) = parse_ics(
        shared("ics", "horde-icalendar", "vTimezone__test_recurring.ics"),
        window_start=WIDE[0], window_end=WIDE[1],
    )  # fmt: skip
    assert rec.start == datetime(2004, 4, 17, 9, 0, tzinfo=UTC)  # 11:00 "Central European"
    assert rec.duration_minutes == 30
    assert rec.participants[0] == ("xxxx@xxxx.ba", "XXXX/UNSA", "organiser")
    assert rec.my_role == ""  # no me= given
    assert len(rec.participants) == 6


def test_thunderbird_teams_series_with_overrides(shared):
    items = list(
        parse_ics(
            shared("ics", "radicale", "event_issue2151.ics"),
            window_start=WIDE[0], window_end=WIDE[1],
        )
    )  # fmt: skip
    assert len(items) == 27 and all(isinstance(i, InteractionRecord) for i in items)
    assert len({i.external_id for i in items}) == 27
    assert all(i.kind == "video" for i in items)  # "Microsoft Teams-Besprechung"
    moved = [i for i in items if i.external_id.endswith("/20260130T100000Z")]
    assert moved[0].start == datetime(2026, 1, 30, 9, 30, tzinfo=UTC)


def test_exchange_webex_meeting_is_video(shared):
    (rec,) = parse_ics(
        shared("ics", "horde-icalendar", "vTimezone__meeting.ics"),
        window_start=WIDE[0], window_end=WIDE[1],
    )  # fmt: skip
    assert rec.kind == "video" and "webex.com" in rec.conference_url


def test_itip_replies_cancels_and_non_participants(shared):
    items = list(
        parse_ics(
            shared("ics", "ical4j", "samples__valid__incoming.ics"),
            window_start=WIDE[0], window_end=WIDE[1],
        )
    )  # fmt: skip
    assert len(items) == 3 and all(isinstance(i, InteractionRecord) for i in items)
    for rec in items:
        emails = {p.email for p in rec.participants}
        assert "e@example.com" not in emails  # ROLE=NON-PARTICIPANT
        assert "conf_big@example.com" not in emails  # CUTYPE=ROOM


def test_every_real_calendar_parses_without_raising(shared):
    root = shared("ics")
    records = problems = 0
    for path in sorted(root.glob("*/*.ics")):
        for item in parse_ics(path, window_start=WIDE[0], window_end=WIDE[1]):
            assert isinstance(item, InteractionRecord | ParseProblem)
            records += isinstance(item, InteractionRecord)
            problems += isinstance(item, ParseProblem)
    assert records >= 90
    assert problems <= 10


def test_runaway_recurrence_is_refused_not_expanded(tmp_path):
    path = tmp_path / "dos.ics"
    path.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:spin@example.de\r\n"
        b"DTSTART:20000101T000000Z\r\nRRULE:FREQ=SECONDLY\r\n"
        b"ORGANIZER:mailto:a@example.de\r\nATTENDEE:mailto:b@example.de\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:daily@example.de\r\nDTSTART:20000101T090000Z\r\nRRULE:FREQ=DAILY\r\n"
        b"ORGANIZER:mailto:a@example.de\r\nATTENDEE:mailto:b@example.de\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    items = list(parse_ics(path, window_start=WIDE[0], window_end=WIDE[1], max_occurrences=100))
    problems = [i for i in items if isinstance(i, ParseProblem)]
    assert [p.entry_no for p in problems] == [1, 2]
    assert "SECONDLY" in problems[0].reason and "first 100" in problems[1].reason
    assert len([i for i in items if isinstance(i, InteractionRecord)]) == 100
