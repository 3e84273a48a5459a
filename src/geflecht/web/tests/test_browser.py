"""The web app in a real browser: Debian's chromium driven by Playwright.

Each test logs in to the demo network served by pytest-django's live server and walks
one thing a user does every day. Screenshots of the main pages go to ``screenshots/``
at the repository root (git-ignored) so that people can look at them.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from geflecht.demo.generator import DemoOptions, generate_demo
from geflecht.people.models import Organization, Person

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[4] / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
# Playwright's sync API keeps an event loop on this thread; the ORM calls of the test
# itself are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture
def demo_site(transactional_db, live_server):
    result = generate_demo(
        DemoOptions(people=150, seed=11, now=datetime(2026, 11, 1, tzinfo=UTC), tenant_slug="web")
    )
    return result


@pytest.fixture
def page(browser, demo_site, live_server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    username, password = demo_site.logins[0]
    tab.goto(live_server.url + "/login/")
    tab.fill("#id_username", username)
    tab.fill("#id_password", password)
    tab.click("button.primary")
    tab.wait_for_url(live_server.url + "/")
    tab.errors = errors
    yield tab
    settle(tab)
    context.close()
    assert not errors, errors


def settle(tab) -> None:
    """Let the page's last requests finish, then leave it, before the test's data goes:
    a request the live server is still answering (a lazily loaded section, a poll) holds
    the in-memory database, and flushing it under that request fails."""
    try:
        tab.wait_for_load_state("networkidle", timeout=30_000)
    finally:
        tab.goto("about:blank")


def shot(tab, name: str, *, full: bool = True) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def test_search_with_an_umlaut_typo_open_the_person_and_log_a_meeting(page, demo_site):
    shot(page, "dashboard")
    target = (
        Person.objects.filter(tenant=demo_site.tenant, last_name="Müller", visibility="company")
        .order_by("id")
        .first()
    )
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "global-q"
    page.keyboard.type(f"{target.first_name} Mueller")
    link = page.locator(f"#global-suggest a[href='/people/{target.pk}/']")
    link.wait_for()
    shot(page, "autocomplete", full=False)
    link.click()
    page.wait_for_url(re.compile(rf"/people/{target.pk}/$"))
    assert target.last_name in page.locator("h1").inner_text()
    shot(page, "person")

    page.select_option("#id_kind", "meeting")
    page.fill("#id_duration", "90")
    page.fill("#id_subject", "Werksbesuch")
    page.click("#log-form button[type=submit]")
    result = page.locator("#log-result")
    result.wait_for()
    after = float(page.locator(".new-strength").inner_text().replace(",", "."))
    text = result.inner_text()
    before = re.search(r"before ([0-9.,]+)", text)
    if before:  # they knew each other already
        assert after > float(before.group(1).replace(",", "."))
    assert after > 0
    shot(page, "person-logged", full=False)


def test_find_a_path_with_a_typo_in_the_target(page, demo_site, live_server):
    target = (
        Person.objects.filter(tenant=demo_site.tenant, visibility="company", user__isnull=True)
        .exclude(positions__organization__kind="own")
        .filter(positions__isnull=False)
        .order_by("id")
        .first()
    )
    page.goto(live_server.url + "/paths/")
    typo = target.last_name[:-1] if len(target.last_name) > 4 else target.last_name
    page.fill("#target-q", f"{target.first_name} {typo}")
    pick = page.locator(f"#target-suggest button.pick[data-id='{target.pk}']")
    pick.wait_for()
    pick.click()
    assert page.input_value("#id_target") == str(target.pk)
    page.click("form.pathform button[type=submit]")
    page.locator("#paths-result .path").first.wait_for()
    chain = page.locator("#paths-result .chain").first.inner_text()
    assert target.last_name in chain
    assert page.locator("#paths-result .chain .strength").count() >= 1
    shot(page, "path-finder")


def test_network_view_draws_nodes_and_opens_a_person(page, live_server):
    page.goto(live_server.url + "/network/")
    # Polled with evaluate (run through the DevTools protocol): wait_for_function compiles
    # its predicate with eval, which the app's Content-Security-Policy rightly forbids.
    for _ in range(100):
        if page.evaluate("!!(window.geflechtCy && window.geflechtCy.nodes().length)"):
            break
        page.wait_for_timeout(100)
    nodes = page.evaluate("window.geflechtCy.nodes().length")
    edges = page.evaluate("window.geflechtCy.edges().length")
    assert nodes > 10 and edges > 10
    # The canvas shows something: not every pixel is the same colour.
    painted = page.evaluate(
        """() => {
            const canvases = [...document.querySelectorAll('#cy canvas')];
            return canvases.some(c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 3; i < d.length; i += 4 * 97) { if (d[i] !== 0) return true; }
                return false;
            });
        }"""
    )
    assert painted
    assert page.locator("#legend li").count() >= 2
    shot(page, "network", full=False)
    url = page.evaluate("window.geflechtCy.nodes().not('[?me]')[0].data('url')")
    page.evaluate("window.geflechtCy.nodes().not('[?me]')[0].emit('tap')")
    page.wait_for_url(live_server.url + url)


def test_import_a_vcard_and_see_the_people(page, live_server, tmp_path):
    card = tmp_path / "kontakte.vcf"
    card.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nN:Quast;Ottilie;;;\nFN:Ottilie Quast\n"
        "ORG:Quast Feinmechanik GmbH\nEMAIL:o.quast@quast.example\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:4.0\nFN:Jörg Ähnlich\nN:Ähnlich;Jörg;;;\nEND:VCARD\n",
        encoding="utf-8",
    )
    page.goto(live_server.url + "/import/")
    page.set_input_files("#id_file", str(card))
    page.click("#import-form button[type=submit]")
    page.locator("#import-result .report").wait_for()
    report = page.locator("#import-result").inner_text()
    assert "Ottilie Quast" in report and "Jörg Ähnlich" in report
    shot(page, "import")
    page.click("#import-result a:text('Ottilie Quast')")
    page.wait_for_url(re.compile(r"/people/\d+/$"))
    assert "Quast Feinmechanik GmbH" in page.inner_text("main")


def test_switch_the_language(page, live_server):
    assert page.locator("h1").inner_text() == "My network"
    page.select_option("#lang-select", "de")
    page.wait_for_load_state()
    page.locator("h1:text('Mein Netzwerk')").wait_for()
    assert page.evaluate("document.documentElement.lang") == "de"
    shot(page, "dashboard-de")
    page.select_option("#lang-select", "en")
    page.locator("h1:text('My network')").wait_for()


def test_organisation_page_and_phone_layout(page, demo_site, live_server):
    customer = (
        Organization.objects.filter(tenant=demo_site.tenant, kind="customer")
        .filter(positions__isnull=False)
        .order_by("id")
        .first()
    )
    page.goto(live_server.url + f"/organisations/{customer.pk}/")
    assert customer.name in page.locator("h1").inner_text()
    shot(page, "organisation")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/")
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    shot(page, "dashboard-phone")
