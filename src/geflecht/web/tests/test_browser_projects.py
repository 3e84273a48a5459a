"""The project page in a real browser: teams, the coverage matrix explained on click,
and a new document version uploaded from the page."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from geflecht.demo.generator import DemoOptions, generate_demo
from geflecht.projects.models import Project
from geflecht.web.tests.test_browser import CHROMIUM, settle, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


def test_project_page_explains_a_cell_and_takes_a_new_version(
    browser, transactional_db, live_server, tmp_path
):
    demo = generate_demo(
        DemoOptions(people=150, seed=11, now=datetime(2026, 11, 1, tzinfo=UTC), tenant_slug="web")
    )
    project = Project.objects.filter(tenant=demo.tenant).order_by("id").first()
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    username, password = demo.logins[0]
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert project.name in page.locator("h1").inner_text()
    cell = page.locator(".matrix td details summary").first
    cell.click()  # on a phone there is no hover: a tap opens the explanation
    explanation = page.locator(".matrix td details[open] p").first
    explanation.wait_for()
    assert explanation.inner_text().strip()
    shot(page, "project")
    upload = tmp_path / "angebot-v3.txt"
    upload.write_text("Angebot, Version 3\n")
    page.set_input_files("#doc-file", str(upload))
    page.select_option("#doc-of", label="Angebot")
    page.click("#documents button.primary")
    page.wait_for_url(f"{live_server.url}/projects/{project.pk}/#documents")
    assert "version 3" in page.locator(".messages").inner_text()
    assert page.locator("#documents .versions a", has_text="v3").count() == 1
    settle(page)
    context.close()
    assert not errors, errors
