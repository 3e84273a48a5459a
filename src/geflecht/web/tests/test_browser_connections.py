# ruff: noqa: F811 - the server fixtures are imported, then used by name
"""Connecting a mailbox, a calendar and an address book in a real browser (Debian's
chromium via Playwright), against a real Dovecot and a real Radicale: the first syncs
bring mail, meetings (past and upcoming) and contacts into the user's network, privately;
"disconnect and forget" leaves no trace."""

from __future__ import annotations

import os
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from geflecht.accounts.models import Tenant, User
from geflecht.capture import secrets
from geflecht.capture.models import ConnectedAccount
from geflecht.capture.tests.dovecot import PASSWORD as IMAP_PASSWORD
from geflecht.capture.tests.dovecot import dovecot_server, message  # noqa: F401
from geflecht.capture.tests.radicale import PASSWORD, USER, radicale_server  # noqa: F401
from geflecht.capture.tests.test_caldav_sync import vcalendar
from geflecht.capture.tests.test_carddav_sync import vcard
from geflecht.network.models import Interaction, Relationship, UpcomingMeeting
from geflecht.people.models import ContactEmail, Organization, Person
from geflecht.web.tests.test_browser import settle

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[4] / "screenshots"
ANNA = "anna@brenner-messtechnik.de"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _event(uid: str, start, guest: str) -> str:
    stamp = "%Y%m%dT%H%M%SZ"
    start = start.astimezone(UTC)
    return vcalendar(
        "\r\n".join(
            [
                "BEGIN:VEVENT",
                f"UID:{uid}",
                "DTSTAMP:20261101T080000Z",
                f"DTSTART:{start:{stamp}}",
                f"DTEND:{start + timedelta(hours=1):{stamp}}",
                "SUMMARY:Abnahme Messmaschine",
                f"ORGANIZER;CN=Anna Schmidt:mailto:{ANNA}",
                f"ATTENDEE;CN=Ute Kern;PARTSTAT=ACCEPTED:mailto:{guest}",
                "END:VEVENT",
            ]
        )
    )


@pytest.fixture
def world(transactional_db, settings, tmp_path, dovecot_server, radicale_server):
    settings.GEFLECHT_CREDENTIALS_KEY = ""
    settings.GEFLECHT_CREDENTIALS_KEY_FILE = tmp_path / "credentials.key"
    settings.GEFLECHT_CAPTURE_CA_FILE = str(dovecot_server.cert)
    secrets.forget_keys()
    tenant = Tenant.objects.create(name="Brenner Messtechnik", slug="brenner")
    Organization.objects.create(tenant=tenant, name="Brenner Messtechnik GmbH", kind="own")
    person = Person.objects.create(tenant=tenant, first_name="Anna", last_name="Schmidt")
    ContactEmail.objects.create(person=person, email=ANNA)
    User.objects.create_user(
        username="anna", password="x-Geflecht-2026", tenant=tenant, person=person, email=ANNA
    )
    login = dovecot_server.new_user()
    dovecot_server.append(
        login,
        "INBOX",
        message(sender="Klaus Berger <klaus@kunde-ag.de>", to=[login], message_id="<k1@kunde>"),
    )
    calendar = radicale_server.make_calendar()
    now = timezone.now()
    radicale_server.put(calendar, "p.ics", _event("past", now - timedelta(days=5), "ute@kern.de"))
    radicale_server.put(calendar, "n.ics", _event("next", now + timedelta(days=2), "ute@kern.de"))
    book = radicale_server.make_addressbook()
    radicale_server.put(book, "z.vcf", vcard("z", "Zoë", "Öztürk", "zoe@partner.de"))
    yield {"login": login, "calendar": calendar, "book": book, "dovecot": dovecot_server}
    secrets.forget_keys()


@pytest.fixture
def tab(world, live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM)
        context = chromium.new_context(locale="en-GB")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", "anna")
        page.fill("#id_password", "x-Geflecht-2026")
        page.click("button.primary")
        page.wait_for_url(live_server.url + "/")
        yield page
        settle(page)
        context.close()
        chromium.close()
        assert not errors, errors


def _connect(
    tab, kind: str, server: str, username: str, password: str, *, refused=False, **extra
) -> None:
    form = tab.locator("#connect-form")
    form.locator("#id_kind").select_option(kind)
    form.locator("#id_server").fill(server)
    for name, value in extra.items():
        field = form.locator(f"#id_{name}")
        if name == "security":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(password)
    form.get_by_role("button", name="Connect").click()
    tab.locator("#connect-form .error" if refused else ".messages li").first.wait_for()


def test_connect_three_accounts_and_forget_one(tab, live_server, world, radicale_server):
    tab.get_by_role("link", name="Settings").click()
    tab.get_by_role("link", name="Connected accounts").click()
    tab.get_by_text("No account is connected yet.").wait_for()
    dovecot = world["dovecot"]
    _connect(
        tab,
        "imap",
        "127.0.0.1",
        world["login"],
        IMAP_PASSWORD,
        port=str(dovecot.port),
        security="starttls",
    )
    assert "is connected" in tab.locator(".messages li").first.inner_text()
    # A wrong password is said on the form, and nothing is stored.
    _connect(tab, "caldav", radicale_server.url, USER, "falsch", refused=True)
    assert "password" in tab.locator("#connect-form .error").first.inner_text().lower()
    assert ConnectedAccount.objects.count() == 1
    tab.goto(live_server.url + "/settings/connections/")
    _connect(tab, "caldav", world["calendar"], USER, PASSWORD)
    _connect(tab, "carddav", world["book"], USER, PASSWORD)
    rows = tab.locator("#accounts tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).get_attribute("data-status") for i in range(3)] == ["ok"] * 3
    page_text = tab.locator("#accounts").inner_text()
    assert "1 upcoming meeting" in page_text
    assert "1 new interaction" in page_text
    assert IMAP_PASSWORD not in tab.content() and PASSWORD not in tab.content()
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / "connections.png"), full_page=True)

    # The network has them, privately: Klaus from mail, Ute from the calendar, Zoë from the
    # address book, each with a tie to Anna.
    anna = User.objects.get(username="anna")
    for email in ("klaus@kunde-ag.de", "ute@kern.de", "zoe@partner.de"):
        person = Person.objects.get(emails__email=email)
        assert person.visibility == "private"
        a, b = sorted((person.pk, anna.person_id))
        assert Relationship.objects.filter(person_a_id=a, person_b_id=b).exists()
    assert UpcomingMeeting.objects.filter(external_id="next").exists()

    # Disconnect the calendar and forget what it brought: the meetings and Ute are gone.
    calendar_row = tab.locator("#accounts tbody tr", has_text="calendar")
    calendar_row.get_by_text("Disconnect").first.click()
    calendar_row.get_by_role("button", name="Disconnect").click()
    assert "forgotten" in tab.locator(".messages li").first.inner_text()
    assert tab.locator("#accounts tbody tr").count() == 2
    assert not Person.objects.filter(emails__email="ute@kern.de").exists()
    assert not Interaction.objects.filter(source__startswith="caldav:").exists()
    assert not UpcomingMeeting.objects.exists()
