# ruff: noqa: F811 - the radicale_server fixture is imported, then used by name
"""Syncing connected calendars and address books into the network, against a real
Radicale: private by default, shared by rule, changes and cancellations followed,
deleted cards reported, refused passwords not retried, and forgetting leaves nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from geflecht.capture import actions, secrets
from geflecht.capture.models import AccountStatus, CapturedRecord, ConnectedAccount
from geflecht.capture.tests.dovecot import PASSWORD as IMAP_PASSWORD
from geflecht.capture.tests.dovecot import dovecot_server  # noqa: F401
from geflecht.capture.tests.dovecot import message as mail
from geflecht.capture.tests.radicale import PASSWORD, USER, radicale_server  # noqa: F401
from geflecht.capture.tests.test_caldav_sync import vcalendar
from geflecht.capture.tests.test_carddav_sync import vcard
from geflecht.jobs.models import Job
from geflecht.network.models import Interaction, Relationship, UpcomingMeeting
from geflecht.network.queries import explain_relationship, visible_interactions
from geflecht.network.snapshot import graph_version
from geflecht.people.models import ContactEmail, Organization, Person, Position
from geflecht.people.queries import visible_people

pytestmark = pytest.mark.django_db(transaction=False)

ANNA = "anna@brenner.de"


@pytest.fixture(autouse=True)
def _own_key(settings, tmp_path):
    settings.GEFLECHT_CREDENTIALS_KEY = ""
    settings.GEFLECHT_CREDENTIALS_KEY_FILE = tmp_path / "credentials.key"
    secrets.forget_keys()
    yield
    secrets.forget_keys()


@pytest.fixture
def anna(owner):
    owner.email = ANNA
    owner.save(update_fields=["email"])
    ContactEmail.objects.create(person=owner.person, email=ANNA)
    return owner


def meeting(uid: str, start: datetime, guests: list[str], **kw) -> str:
    """An event Anna organises with ``guests``."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261101T080000Z",
        f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTEND:{start.astimezone(UTC) + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{kw.get('summary', 'Abstimmung')}",
        f"ORGANIZER;CN=Anna Schmidt:mailto:{ANNA}",
    ]
    lines += [f"ATTENDEE;CN={g.split('@')[0]};PARTSTAT=ACCEPTED:mailto:{g}" for g in guests]
    if kw.get("status"):
        lines.append(f"STATUS:{kw['status']}")
    lines.append("END:VEVENT")
    return vcalendar("\r\n".join(lines))


def connect(user, kind: str, url: str) -> ConnectedAccount:
    account = actions.connect_account(
        user,
        actions.AccountInput(
            kind=kind, server=url, username=USER, password=PASSWORD, collection=url
        ),
    )
    account.refresh_from_db()
    return account


def sync(user, account: ConnectedAccount) -> ConnectedAccount:
    job = actions.sync_now(user, account)
    job.refresh_from_db()
    account.refresh_from_db()
    assert job.status in (Job.Status.DONE, Job.Status.FAILED)
    return account


# -- calendar ----------------------------------------------------------------------------


@pytest.fixture
def calendar(radicale_server):
    url = radicale_server.make_calendar()
    now = timezone.now()
    put = radicale_server.put
    put(url, "past.ics", meeting("past", now - timedelta(days=10), ["ute@kunde-ag.de"]))
    put(url, "next.ics", meeting("next", now + timedelta(days=3), ["ute@kunde-ag.de"]))
    put(url, "solo.ics", meeting("solo", now - timedelta(days=2), []))
    return url


def test_first_sync_brings_past_meetings_and_upcoming_ones_private_to_the_owner(
    anna, colleague, calendar
):
    account = connect(anna, "caldav", calendar)
    assert account.status == AccountStatus.OK, account.last_error
    past = Interaction.objects.get(source=f"caldav:{account.pk}", external_id="past")
    assert past.visibility == "private" and past.owner_id == anna.pk
    upcoming = UpcomingMeeting.objects.get(source=f"caldav:{account.pk}", external_id="next")
    assert upcoming.visibility == "private"
    ute = Person.objects.get(emails__email="ute@kunde-ag.de")
    assert ute.visibility == "private" and ute.owner_id == anna.pk
    # The tie is there and has a strength from the meeting.
    rel = Relationship.objects.get(
        person_a_id=min(ute.pk, anna.person_id), person_b_id=max(ute.pk, anna.person_id)
    )
    assert rel.strength > 0.05
    counts = account.last_result["counts"]
    assert counts["interactions_created"] == 1 and counts["upcoming"] == 1
    assert account.last_result["left_out"]["no attendees besides the organiser"] == 1
    # Jana, her colleague, sees none of it.
    assert not visible_interactions(colleague).filter(pk=past.pk).exists()
    assert not visible_people(colleague).filter(pk=ute.pk).exists()


def test_a_moved_meeting_moves_and_a_cancelled_one_goes(anna, calendar, radicale_server):
    account = connect(anna, "caldav", calendar)
    source = f"caldav:{account.pk}"
    later = timezone.now() + timedelta(days=5)
    radicale_server.put(calendar, "next.ics", meeting("next", later, ["ute@kunde-ag.de"]))
    radicale_server.put(
        calendar,
        "past.ics",
        meeting(
            "past", timezone.now() - timedelta(days=10), ["ute@kunde-ag.de"], status="CANCELLED"
        ),
    )
    account = sync(anna, account)
    assert account.status == AccountStatus.OK, account.last_error
    moved = UpcomingMeeting.objects.get(source=source, external_id="next")
    assert abs((moved.starts_at - later).total_seconds()) < 1
    assert not Interaction.objects.filter(source=source, external_id="past").exists()
    radicale_server.delete(calendar + "next.ics")
    sync(anna, account)
    assert not UpcomingMeeting.objects.filter(source=source).exists()


def test_a_large_event_is_one_event_and_no_person_per_guest(anna, radicale_server, settings):
    settings.GEFLECHT_LARGE_EVENT_ATTENDEES = 5
    url = radicale_server.make_calendar()
    Person.objects.create(tenant=anna.company, first_name="Ute", last_name="Known")
    known = Person.objects.get(last_name="Known")
    ContactEmail.objects.create(person=known, email="guest0@messe.de")
    guests = [f"guest{i}@messe.de" for i in range(12)]
    radicale_server.put(
        url, "fair.ics", meeting("fair", timezone.now() - timedelta(days=1), guests)
    )
    people_before = Person.objects.count()
    account = connect(anna, "caldav", url)
    fair = Interaction.objects.get(source=f"caldav:{account.pk}")
    assert fair.kind == "event"
    assert set(fair.participants.values_list("pk", flat=True)) == {anna.person_id, known.pk}
    assert Person.objects.count() == people_before


def test_sharing_rule_shares_meetings_with_customers_and_nothing_else(
    anna, colleague, radicale_server
):
    acme = Organization.objects.create(
        tenant=anna.company, name="Kunde AG", kind="customer", website="https://kunde-ag.de"
    )
    assert acme.pk
    actions.set_sharing(anna, ["customer"])
    url = radicale_server.make_calendar()
    past = timezone.now() - timedelta(days=3)
    radicale_server.put(url, "a.ics", meeting("a", past, ["ute@kunde-ag.de"]))
    radicale_server.put(url, "b.ics", meeting("b", past, ["freund@gmail.com"]))
    account = connect(anna, "caldav", url)
    shared = Interaction.objects.get(source=f"caldav:{account.pk}", external_id="a")
    private = Interaction.objects.get(source=f"caldav:{account.pk}", external_id="b")
    assert visible_interactions(colleague).filter(pk=shared.pk).exists()
    assert not visible_interactions(colleague).filter(pk=private.pk).exists()
    assert not visible_people(colleague).filter(emails__email="freund@gmail.com").exists()
    assert account.last_result["counts"]["shared"] == 1


def test_refused_password_stops_automatic_syncs_and_says_so(anna, calendar):
    account = connect(anna, "caldav", calendar)
    ConnectedAccount.objects.filter(pk=account.pk).update(secret=secrets.encrypt("wrong"))
    account.refresh_from_db()
    job = actions.sync_now(anna, account)
    job.refresh_from_db()
    account.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "password" in job.error.lower() and "wrong" not in job.error
    assert account.status == AccountStatus.AUTH_FAILED
    assert "password" in account.last_error.lower()
    assert account.pk not in actions.due_accounts(timezone.now() + timedelta(days=7))


def test_unreachable_server_backs_off(anna, calendar):
    account = connect(anna, "caldav", calendar)
    closed = "http://127.0.0.1:9/jana/calendar/"
    ConnectedAccount.objects.filter(pk=account.pk).update(
        server=closed, options={"collection": closed}
    )
    account.refresh_from_db()
    before = timezone.now()
    sync(anna, account)
    account.refresh_from_db()
    assert account.status == AccountStatus.ERROR and account.failures == 1
    assert account.next_sync_at >= before + timedelta(minutes=account.interval_minutes - 1)
    assert account.pk in actions.due_accounts(account.next_sync_at)


def test_disconnect_and_forget_leaves_no_trace(anna, calendar):
    version_before = graph_version(anna.tenant_pk)
    people_before = set(Person.objects.values_list("pk", flat=True))
    rels_before = set(Relationship.objects.values_list("pk", flat=True))
    account = connect(anna, "caldav", calendar)
    source = f"caldav:{account.pk}"
    assert Interaction.objects.filter(source=source).exists()
    removed = actions.disconnect_account(anna, account, forget=True)
    assert removed >= 3
    assert not Interaction.objects.filter(source=source).exists()
    assert not UpcomingMeeting.objects.filter(source=source).exists()
    assert set(Person.objects.values_list("pk", flat=True)) == people_before
    assert set(Relationship.objects.values_list("pk", flat=True)) == rels_before
    assert not CapturedRecord.objects.exists() and not ConnectedAccount.objects.exists()
    assert graph_version(anna.tenant_pk) > version_before


def test_forget_keeps_a_person_someone_else_knows(anna, colleague, calendar):
    account = connect(anna, "caldav", calendar)
    ute = Person.objects.get(emails__email="ute@kunde-ag.de")
    # Jana meets Ute too: Ute is no longer only what Anna's calendar brought.
    from geflecht.network.actions import record_interaction

    Person.objects.filter(pk=ute.pk).update(visibility="company")
    record_interaction(
        tenant=anna.company,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=1),
        participants=[(colleague.person_id, "organiser"), (ute.pk, "attendee")],
        recorded_by=colleague,
    )
    actions.disconnect_account(anna, account, forget=True)
    assert Person.objects.filter(pk=ute.pk).exists()


# -- address book ------------------------------------------------------------------------


@pytest.fixture
def book(radicale_server):
    url = radicale_server.make_addressbook()
    radicale_server.put(url, "a.vcf", vcard("a", "Jürgen", "Weiß", "j.weiss@kunde-ag.de"))
    radicale_server.put(url, "b.vcf", vcard("b", "Zoë", "Öztürk", "zoe@partner.de"))
    return url


def test_own_address_book_contacts_become_private_people_the_owner_knows(anna, colleague, book):
    account = connect(anna, "carddav", book)
    assert account.status == AccountStatus.OK, account.last_error
    for email in ("j.weiss@kunde-ag.de", "zoe@partner.de"):
        person = Person.objects.get(emails__email=email)
        assert person.visibility == "private" and person.owner_id == anna.pk
        pair = sorted((person.pk, anna.person_id))
        assert Relationship.objects.filter(person_a_id=pair[0], person_b_id=pair[1]).exists()
        assert not visible_people(colleague).filter(pk=person.pk).exists()


def test_a_deleted_card_is_reported_and_the_person_kept(anna, book, radicale_server):
    account = connect(anna, "carddav", book)
    radicale_server.delete(book + "b.vcf")
    account = sync(anna, account)
    assert account.last_result["counts"]["cards_deleted"] == 1
    assert any("Zoë Öztürk" in note for note in account.last_result["notes"])
    assert Person.objects.filter(emails__email="zoe@partner.de").exists()


def test_a_second_sync_without_changes_brings_nothing(anna, book):
    account = connect(anna, "carddav", book)
    people = Person.objects.count()
    account = sync(anna, account)
    assert Person.objects.count() == people
    assert account.last_result["counts"].get("people_created", 0) == 0


def test_periodic_schedule_starts_only_due_accounts(anna, book):
    from geflecht.capture.tasks import sync_due_accounts

    account = connect(anna, "carddav", book)
    jobs = Job.objects.count()
    sync_due_accounts()  # synced just now: not due
    assert Job.objects.count() == jobs
    ConnectedAccount.objects.filter(pk=account.pk).update(
        next_sync_at=timezone.now() - timedelta(minutes=1)
    )
    sync_due_accounts()
    assert Job.objects.count() == jobs + 1
    # The position on a customer is what the company knows; the sync changed nothing of it.
    assert not Position.objects.exists()


# -- mailbox -----------------------------------------------------------------------------


@pytest.fixture
def mailbox(dovecot_server, settings):
    """A fresh Dovecot user (an e-mail address) whose mail Anna syncs, the test CA trusted."""
    settings.GEFLECHT_CAPTURE_CA_FILE = str(dovecot_server.cert)
    return dovecot_server, dovecot_server.new_user()


def connect_mail(user, server, login: str, **kw) -> ConnectedAccount:
    account = actions.connect_account(
        user,
        actions.AccountInput(
            kind="imap",
            server="127.0.0.1",
            port=server.port,
            security="starttls",
            username=login,
            password=IMAP_PASSWORD,
            **kw,
        ),
    )
    account.refresh_from_db()
    return account


def test_mail_brings_ties_to_real_correspondents_only(anna, colleague, mailbox):
    server, login = mailbox
    server.append(
        login,
        "INBOX",
        mail(sender="Klaus Berger <klaus@kunde-ag.de>", to=[login], message_id="<1@k>"),
        mail(
            sender="Newsletter <news@shop.de>",
            to=[login],
            message_id="<2@s>",
            extra=["List-Unsubscribe: <mailto:off@shop.de>"],
        ),
        mail(sender="noreply@portal.de", to=[login], message_id="<3@p>"),
    )
    server.append(
        login,
        "Sent",
        mail(sender=login, to=["klaus@kunde-ag.de"], message_id="<4@me>", in_reply_to="<1@k>"),
    )
    account = connect_mail(anna, server, login)
    assert account.status == AccountStatus.OK, account.last_error
    klaus = Person.objects.get(emails__email="klaus@kunde-ag.de")
    assert klaus.visibility == "private" and klaus.owner_id == anna.pk
    assert not Person.objects.filter(emails__email__in=["news@shop.de", "noreply@portal.de"])
    # The login's address is Anna herself, never a contact.
    assert not Person.objects.filter(emails__email=login).exclude(pk=anna.person_id).exists()
    source = f"imap:{account.pk}"
    assert Interaction.objects.filter(source=source).count() == 2
    assert all(i.subject == "" for i in Interaction.objects.filter(source=source))
    rel = Relationship.objects.get(
        person_a_id=min(klaus.pk, anna.person_id), person_b_id=max(klaus.pk, anna.person_id)
    )
    # Klaus wrote, Anna answered: contact both ways.
    assert explain_relationship(rel).inputs.reciprocity == "both_ways"
    assert not visible_interactions(colleague).filter(source=source).exists()
    # The next sync reads only what came since.
    server.append(login, "INBOX", mail(sender="klaus@kunde-ag.de", to=[login], message_id="<5@k>"))
    account = sync(anna, account)
    assert account.last_result["counts"]["read"] == 1
    assert Interaction.objects.filter(source=source).count() == 3


def test_mail_wrong_password_is_refused_before_anything_is_stored(anna, mailbox):
    server, login = mailbox
    with pytest.raises(Exception) as caught:
        actions.connect_account(
            anna,
            actions.AccountInput(
                kind="imap",
                server="127.0.0.1",
                port=server.port,
                security="starttls",
                username=login,
                password="falsch",
            ),
        )
    assert "password" in str(caught.value).lower() and "falsch" not in str(caught.value)
    assert not ConnectedAccount.objects.exists()


def test_mail_forget_removes_every_message_and_person_it_brought(anna, mailbox):
    server, login = mailbox
    server.append(login, "INBOX", mail(sender="klaus@kunde-ag.de", to=[login], message_id="<1@k>"))
    people = set(Person.objects.values_list("pk", flat=True))
    account = connect_mail(anna, server, login)
    assert Person.objects.count() == len(people) + 1
    actions.disconnect_account(anna, account, forget=True)
    assert set(Person.objects.values_list("pk", flat=True)) == people
    assert not Interaction.objects.filter(source=f"imap:{account.pk}").exists()


def test_a_shared_meeting_with_someone_only_i_know_stays_private(anna, colleague, radicale_server):
    # Ute is in Anna's private address book; the rule would share a meeting at her firm,
    # but sharing it would show her colleagues a person they may not see.
    Organization.objects.create(
        tenant=anna.company, name="Kunde AG", kind="customer", website="https://kunde-ag.de"
    )
    ute = Person.objects.create(
        tenant=anna.company, first_name="Ute", last_name="Kern", visibility="private", owner=anna
    )
    ContactEmail.objects.create(person=ute, email="ute@kunde-ag.de")
    actions.set_sharing(anna, ["customer"])
    url = radicale_server.make_calendar()
    radicale_server.put(
        url, "a.ics", meeting("a", timezone.now() - timedelta(days=3), ["ute@kunde-ag.de"])
    )
    account = connect(anna, "caldav", url)
    stored = Interaction.objects.get(source=f"caldav:{account.pk}", external_id="a")
    assert set(stored.participants.values_list("pk", flat=True)) == {anna.person_id, ute.pk}
    assert not visible_interactions(colleague).filter(pk=stored.pk).exists()
    assert not visible_people(colleague).filter(pk=ute.pk).exists()
