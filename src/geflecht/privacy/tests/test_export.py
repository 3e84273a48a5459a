"""Art. 15: one call returns everything stored about a person, to those who may see them."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geflecht.people.models import Person
from geflecht.privacy.actions import export_person, log_access, set_legal_basis
from geflecht.privacy.models import AuditEntry
from geflecht.privacy.queries import (
    export_json,
    export_person_data,
    get_person_for,
    render_export_text,
)

from .conftest import NOW, meet


def names_in(data) -> str:
    return json.dumps(data, ensure_ascii=False)


def test_export_holds_every_kind_of_data_about_the_person(world, owner, colleague, admin):
    subject = world.subject
    set_legal_basis(admin, subject, "contract", source="Rahmenvertrag 2025", now=NOW)
    log_access(colleague, "read", [subject.pk], "GET /people/x")
    data = export_person_data(colleague, subject, now=NOW)
    json.dumps(data)  # serialisable as it is
    assert data["person"]["last_name"] == "Zwölfhaus"
    assert data["person"]["notes"] == "Prefers calls before 9; plays the tuba."
    assert data["emails"] == [
        {"email": "max.zwoelfhaus@acme.example", "label": "", "primary": True}
    ]
    assert data["phones"][0]["number"] == "+49731987650"
    assert data["positions"][0]["organization"] == "ACME Maschinenbau"
    assert data["positions"][0]["title"] == "Leiter Einkauf"
    assert data["legal_basis"]["legal_basis"] == "contract"
    assert data["legal_basis"]["source"] == "Rahmenvertrag 2025"
    assert [(e["user"], e["action"]) for e in data["audit"]] == [
        ("jana", "read"),
        ("ines", "change"),
    ]
    partners = {r["with"]["name"]: r for r in data["relationships"]}
    assert set(partners) == {"Anna Schmidt", "Klaus Weber", "Jana Becker", "Ute Kühn"}
    weber = partners["Klaus Weber"]
    assert 0 < weber["strength"] <= 1
    assert "meeting" in weber["evidence"]["explanation"]
    assert weber["evidence"]["inputs"]
    # Four shared interactions; the private lunch is Anna's alone.
    assert len(data["interactions"]) == 4
    call = next(i for i in data["interactions"] if i["kind"] == "phone")
    assert call["role"] == "attendee"
    assert call["participants"] == [
        {"id": colleague.person_id, "name": "Jana Becker", "role": "organiser"}
    ]
    assert data["complete"] is False


def test_colleague_export_does_not_reveal_the_owners_private_ties(world, owner, colleague):
    data = export_person_data(colleague, world.subject, now=NOW)
    text = names_in(data) + render_export_text(data)
    assert "Heimlich" not in text
    assert all(r["visibility"] != "private" for r in data["relationships"])
    # Anna sees her own private lunch and private tie in her export.
    mine = export_person_data(owner, world.subject, now=NOW)
    assert "Sebastian Heimlich" in names_in(mine)
    lunch = [i for i in mine["interactions"] if i["visibility"] == "private"]
    assert len(lunch) == 1
    assert {p["name"] for p in lunch[0]["participants"]} == {"Anna Schmidt", "Sebastian Heimlich"}


def test_admin_export_is_complete_but_names_nobody_private(world, admin):
    data = export_person_data(admin, world.subject, now=NOW)
    assert data["complete"] is True
    assert len(data["interactions"]) == 5
    lunch = next(i for i in data["interactions"] if i["visibility"] == "private")
    assert [p["name"] for p in lunch["participants"]] == ["Anna Schmidt"]
    assert lunch["other_participants_not_shown"] == 1
    hidden = [r for r in data["relationships"] if r["with"].get("hidden")]
    assert hidden and all(r["owner"] == "anna" for r in hidden)
    assert "Heimlich" not in names_in(data)


def test_colleague_cannot_export_the_owners_private_contact(world, colleague, owner):
    with pytest.raises(Person.DoesNotExist) as hidden:
        export_person(colleague, world.secret)
    with pytest.raises(Person.DoesNotExist) as missing:
        get_person_for(colleague, 10**9)
    # The same words as for a person that never existed: the error reveals nothing.
    assert str(hidden.value) == str(missing.value)
    with pytest.raises(Person.DoesNotExist):
        get_person_for(colleague, world.secret.pk)
    assert not AuditEntry.objects.filter(action="export").exists()
    assert export_person(owner, world.secret)["person"]["last_name"] == "Heimlich"


def test_even_an_admin_cannot_export_a_colleagues_private_contact(world, admin, owner):
    with pytest.raises(Person.DoesNotExist):
        export_person(admin, world.secret)
    assert export_person(owner, world.secret)["person"]["owner"] == "anna"


def test_other_tenant_cannot_export(world, outsider):
    with pytest.raises(Person.DoesNotExist):
        export_person(outsider, world.subject)
    with pytest.raises(Person.DoesNotExist):
        get_person_for(outsider, world.subject.pk)


def test_export_is_audited(world, colleague):
    export_person(colleague, world.subject)
    entry = AuditEntry.objects.get(action="export")
    assert (entry.person_id, entry.username) == (world.subject.pk, "jana")


def test_text_rendering_says_the_same_in_words(world, colleague):
    data = export_person_data(colleague, world.subject, now=NOW)
    text = render_export_text(data)
    assert text.startswith("# Data stored about Maximilian Zwölfhaus")
    for needle in (
        "max.zwoelfhaus@acme.example",
        "+49731987650",
        "Leiter Einkauf at ACME Maschinenbau",
        "Klaus Weber: business, strength",
        "“Jahresgespräch”",
        "plays the tuba",
        "No legal basis recorded.",
    ):
        assert needle in text
    assert json.loads(export_json(data)) == data


def test_export_reads_a_fixed_number_of_queries(world, colleague, tenant):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            export_person_data(colleague, world.subject, now=NOW)
        return len(ctx.captured_queries)

    small = queries()
    for i in range(6):
        extra = Person.objects.create(tenant=tenant, last_name=f"Kunde {i}")
        meet(tenant, "video", [world.subject, extra, world.weber], days_ago=2 + i)
    assert queries() == small
