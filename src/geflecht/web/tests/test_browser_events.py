"""Fairs and introduction requests in a real browser (Debian's chromium via Playwright)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from geflecht.demo.generator import DemoOptions, generate_demo
from geflecht.events.models import Event
from geflecht.web.tests.test_browser import settle

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[4] / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def tab(transactional_db, live_server):
    from playwright.sync_api import sync_playwright

    site = generate_demo(
        DemoOptions(people=150, seed=11, now=datetime(2026, 11, 1, tzinfo=UTC), tenant_slug="fair")
    )
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM)
        context = chromium.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        username, password = site.logins[0]
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button.primary")
        page.wait_for_url(live_server.url + "/")
        page.site = site
        yield page
        settle(page)
        context.close()
        chromium.close()
        assert not errors, errors


def test_dashboard_requests_and_the_fair_page_on_a_phone(tab, live_server):
    board = tab.locator("#intro-h + div")
    board.get_by_text("waiting for your answer").wait_for()
    tab.get_by_role("link", name="All introduction requests").click()
    tab.get_by_role("heading", name="Asked of me").wait_for()
    assert tab.locator("li.intro").count() >= 1
    fair = Event.objects.filter(tenant=tab.site.tenant, name__startswith="EMO").order_by(
        "-start_date"
    )[0]
    tab.goto(f"{live_server.url}/events/")
    tab.get_by_role("link", name=fair.name).click()
    known = tab.locator("#known-h + div table")
    known.wait_for()
    assert known.locator("tbody tr").count() > 0
    tab.locator("#plan-h + div p.muted").first.wait_for()
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / "fair-phone.png"), full_page=True)
