"""The settings page in a real browser (Debian's chromium driven by Playwright): Tom, the
demo's login without a person, signs in, is linked by his e-mail address, and then picks
another person with the search field and links it."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest

from geflecht.accounts.models import User
from geflecht.demo.generator import DemoOptions, generate_demo
from geflecht.people.models import Person
from geflecht.web.tests.test_browser import CHROMIUM, settle, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def tab(transactional_db, live_server):
    from playwright.sync_api import sync_playwright

    site = generate_demo(
        DemoOptions(people=150, seed=11, now=datetime(2026, 11, 1, tzinfo=UTC), tenant_slug="set")
    )
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM)
        context = chromium.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.site = site
        yield page
        settle(page)
        context.close()
        chromium.close()
        assert not errors, errors


def test_first_sign_in_links_by_email_then_the_settings_pick_another_person(tab, live_server):
    password = dict(tab.site.logins)["tom@set"]
    tab.goto(live_server.url + "/login/")
    tab.fill("#id_username", "tom@set")
    tab.fill("#id_password", password)
    tab.click("button.primary")
    tab.wait_for_url(live_server.url + "/")
    tom = User.objects.select_related("person").get(username="tom@set")
    assert tom.person is not None
    tab.get_by_text(f"Your login is now linked to {tom.person.full_name}").wait_for()

    tab.get_by_role("link", name="Settings").click()
    tab.wait_for_url(live_server.url + "/settings/")
    tab.locator("#linked-person").get_by_role("link", name=tom.person.full_name).wait_for()
    shot(tab, "settings")

    tab.click("#unlink-person")
    tab.get_by_text(f"no longer linked to {tom.person.full_name}").wait_for()
    other = (
        Person.objects.filter(tenant=tab.site.tenant, visibility="company", user__isnull=True)
        .exclude(pk=tom.person_id)
        .order_by("id")
        .first()
    )
    tab.fill("#target-q", other.full_name)
    pick = tab.locator(f"#target-suggest button.pick[data-id='{other.pk}']")
    pick.wait_for()
    pick.click()
    assert tab.input_value("#id_target") == str(other.pk)
    tab.click("#link-person")
    tab.get_by_text(f"Your login is now linked to {other.full_name}.").wait_for()
    link = tab.locator("#linked-person a")
    assert re.search(rf"/people/{other.pk}/$", link.get_attribute("href"))
    assert User.objects.get(pk=tom.pk).person_id == other.pk
