"""The fair and introduction pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from geflecht.events import actions
from geflecht.intros.models import IntroRequest
from geflecht.network.models import Interaction


@pytest.fixture
def browser(owner):
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def jana_browser(colleague):
    client = Client()
    client.force_login(colleague)
    return client


def test_event_pages_show_who_we_know_targets_and_plan(browser, owner, colleague, fair_world):
    fair = fair_world["fair"]
    actions.add_target(owner, fair, organization=fair_world["ziel"], note="Neukunde")
    actions.add_attendance(colleague, fair, person=fair_world["paul"])
    listing = browser.get("/events/").content.decode()
    assert "AMB Stuttgart" in listing and "EMO Hannover" in listing
    page = browser.get(f"/events/{fair.pk}/").content.decode()
    assert "Who do we know there?" in page and "Klaus Weber" in page
    known = browser.get(f"/events/{fair.pk}/known/").content.decode()
    assert "Klaus Weber" in known and "Bruno Makler" in known and "Privat" not in known
    targets = browser.get(f"/events/{fair.pk}/targets/").content.decode()
    assert "Zielwerk AG" in targets and "Ask for introduction" in targets
    plan = browser.get(f"/events/{fair.pk}/plan/").content.decode()
    assert "Anna Schmidt" in plan and "Klaus Weber" in plan
    for url in ("/events/", f"/events/{fair.pk}/", f"/events/{fair.pk}/known/"):
        assert "Privat" not in browser.get(url).content.decode()


def test_import_form_reports_rows_and_keeps_good_ones(browser, fair_world):
    fair = fair_world["fair"]
    upload = SimpleUploadedFile(
        "liste.csv", b"Name;Firma;Rolle\nEva Neu;Neu AG;Aussteller\nX Y;Z;Pilot\n"
    )
    page = browser.post(f"/events/{fair.pk}/import/", {"file": upload}).content.decode()
    assert "1 attendees added" in page and "row 2, role" in page
    assert "Eva Neu" in page


def test_bulk_meeting_form_logs_rows_and_names_bad_ones(browser, owner, fair_world):
    past = fair_world["past"]
    actions.add_attendance(owner, past, person=owner.person, role="staff")
    actions.add_attendance(owner, past, person=fair_world["tanja"])
    data = {"m-TOTAL_FORMS": "3", "m-INITIAL_FORMS": "0"}
    data.update(
        {
            "m-0-colleague": owner.person_id,
            "m-0-person": fair_world["tanja"].pk,
            "m-0-day": past.start_date.isoformat(),
            "m-0-at": "10:30",
            "m-0-subject": "Standgespräch",
            "m-1-colleague": owner.person_id,
        }
    )
    page = browser.post(f"/events/{past.pk}/meetings/", data).content.decode()
    assert "1 meeting logged" in page and "Row 2" in page
    assert Interaction.objects.get(source="fair").subject == "Standgespräch"


def test_intro_pages_ask_answer_and_dashboard(browser, jana_browser, owner, colleague, fair_world):
    otto = fair_world["otto"]
    form = browser.get(f"/intros/new/?target={otto.pk}&path=0").content.decode()
    assert "ask Jana Becker" in form and "Privat" not in form
    response = browser.post(
        "/intros/new/", {"target": otto.pk, "path": "0", "message": "Bitte vorstellen"}
    )
    assert response.status_code == 302
    req = IntroRequest.objects.get()
    board = jana_browser.get("/dashboard/intros/").content.decode()
    assert "Anna Schmidt asks you for an introduction to Otto Oberziel" in board
    jana_browser.post(f"/intros/{req.pk}/accept/", {"note": "Mache ich"})
    jana_browser.post(f"/intros/{req.pk}/introduced/", {})
    mine = browser.get("/intros/").content.decode()
    assert "Introduced" in mine and "Mache ich" in mine and "Privat" not in mine
    again = browser.post(f"/intros/{req.pk}/withdraw/", follow=True).content.decode()
    assert "cannot be withdrawn" in again
    assert browser.get("/intros/new/?target=999999").status_code == 404


def test_person_page_offers_to_ask_along_my_paths(browser, fair_world):
    html = browser.get(f"/people/{fair_world['tanja'].pk}/reach/").content.decode()
    assert f"/intros/new/?target={fair_world['tanja'].pk}&amp;path=0" in html
