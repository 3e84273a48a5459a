"""Calendar imports keep meetings ahead as upcoming ones and say why they left any out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from geflecht.importers.actions import forget_records
from geflecht.importers.load import import_file, load_records
from geflecht.importers.parsers import InteractionRecord, Participant
from geflecht.network.models import Interaction, UpcomingMeeting

ME = "anna@brenner.example"


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _exchange_invite(
    start: datetime, *, method: str = "REQUEST", uid: str = "040000008200E0"
) -> str:
    """An invitation as Outlook/Exchange sends it: METHOD, a Windows zone, RSVP attendees."""
    local = start.astimezone(UTC) + timedelta(hours=1)
    return (
        "BEGIN:VCALENDAR\r\nMETHOD:" + method + "\r\nPRODID:Microsoft Exchange Server 2010\r\n"
        "VERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n"
        "BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
        "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
        "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nORGANIZER;CN=Klaus Weber:mailto:k.weber@acme.example\r\n"
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Anna Schmidt:mailto:"
        + ME
        + "\r\n"
        "SUMMARY;LANGUAGE=de-DE:Abstimmung Angebot\r\n"
        f"DTSTART;TZID=W. Europe Standard Time:{local:%Y%m%dT%H%M%S}\r\n"
        f"DTEND;TZID=W. Europe Standard Time:{local + timedelta(hours=1):%Y%m%dT%H%M%S}\r\n"
        f"UID:{uid}\r\nCLASS:PUBLIC\r\nPRIORITY:5\r\nDTSTAMP:{_stamp(timezone.now())}\r\n"
        "TRANSP:OPAQUE\r\nSTATUS:CONFIRMED\r\nSEQUENCE:0\r\nLOCATION;LANGUAGE=de-DE:Ulm\r\n"
        "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def test_an_exchange_invite_for_next_week_becomes_an_upcoming_meeting(owner, tmp_path):
    start = (timezone.now() + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    path = tmp_path / "invite.ics"
    path.write_text(_exchange_invite(start))
    report = import_file(path, user=owner, me=[ME])
    assert report.entries == 1 and report.upcoming.created == 1
    meeting = UpcomingMeeting.objects.get()
    assert (meeting.subject, meeting.location, meeting.starts_at) == (
        "Abstimmung Angebot",
        "Ulm",
        start,
    )
    assert (meeting.visibility, meeting.owner_id) == ("private", owner.pk)
    assert meeting.participants.count() == 2
    assert not Interaction.objects.exists()
    assert "upcoming meetings: 1 created" in report.summary()
    again = import_file(path, user=owner, me=[ME])
    assert again.upcoming.created == 0 and UpcomingMeeting.objects.count() == 1


def test_a_cancellation_removes_the_upcoming_meeting(owner, tmp_path):
    start = timezone.now() + timedelta(days=7)
    (tmp_path / "invite.ics").write_text(_exchange_invite(start))
    import_file(tmp_path / "invite.ics", user=owner, me=[ME])
    (tmp_path / "cancel.ics").write_text(_exchange_invite(start, method="CANCEL"))
    report = import_file(tmp_path / "cancel.ics", user=owner, me=[ME])
    assert report.ignored == {"cancelled": 1}
    assert not UpcomingMeeting.objects.exists()


def test_every_entry_left_out_says_why(owner, tmp_path):
    now = timezone.now()
    far = now + timedelta(days=400)
    events = [
        ("a", now - timedelta(days=3), "STATUS:CANCELLED\r\nATTENDEE:mailto:k@acme.example\r\n"),
        ("b", now - timedelta(days=3), ""),  # only me: no attendees
        ("c", far, "ATTENDEE:mailto:k@acme.example\r\n"),  # beyond the window
        ("d", now - timedelta(days=3), "ATTENDEE;PARTSTAT=DECLINED:mailto:k@acme.example\r\n"),
    ]
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{_stamp(at)}\r\nDURATION:PT1H\r\n"
        f"ORGANIZER:mailto:{ME}\r\n{extra}SUMMARY:{uid}\r\nEND:VEVENT\r\n"
        for uid, at, extra in events
    )
    path = tmp_path / "kalender.ics"
    path.write_text(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n")
    report = import_file(path, user=owner, me=[ME])
    assert report.entries == 4
    assert report.ignored == {
        "cancelled": 1,
        "no attendees besides you": 2,
        "outside the calendar window": 1,
    }
    summary = report.summary()
    assert "left out: 2 entries, no attendees besides you" in summary
    assert "left out: 1 entry, outside the calendar window" in summary


def test_future_records_of_a_sync_become_upcoming_and_can_be_forgotten(owner):
    rec = InteractionRecord(
        source_format="caldav",
        entry_no=1,
        external_id="evt-9",
        kind="video",
        start=timezone.now() + timedelta(days=2),
        duration_minutes=30,
        subject="Jour fixe",
        participants=(
            Participant(ME, "Anna", "organiser"),
            Participant("k@acme.example", "Klaus Weber", "attendee"),
        ),
    )
    report = load_records(
        [rec], user=owner, kind="interactions", source="caldav:4", name="Kalender", me=[ME]
    )
    (pk,) = report.created_ids["upcoming_meetings"]
    assert UpcomingMeeting.objects.get(pk=pk).source == "caldav:4"
    forget_records(owner, report.created_ids)
    assert not UpcomingMeeting.objects.exists()
