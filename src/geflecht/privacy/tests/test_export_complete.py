"""Art. 15: the export holds what other apps store about the person too (private notes,
endorsement comments, fair-target notes, project and joint-project memberships), and
applies the one visibility rule: a team-only record stays within the owner's team."""

from __future__ import annotations

import json
from datetime import date

import pytest

from geflecht.accounts.actions import add_to_team
from geflecht.accounts.models import User
from geflecht.events.models import Event, EventTarget
from geflecht.network.actions import create_relationship
from geflecht.partners.models import JointProject
from geflecht.people.actions import add_private_note, create_person
from geflecht.people.models import Organization
from geflecht.privacy.queries import export_person_data, render_export_text
from geflecht.projects.models import Project, ProjectMember
from geflecht.skills.models import Endorsement, PersonSkill, Skill

from .conftest import NOW, meet


def text_of(data) -> str:
    return json.dumps(data, ensure_ascii=False) + render_export_text(data)


@pytest.fixture
def stored(world, tenant, owner, colleague):
    """Everything the other apps keep about Max, by Anna and by Jana."""
    subject = world.subject
    add_private_note(owner, subject, "Annas Notiz: Sohn studiert in Aachen.")
    add_private_note(colleague, subject, "Janas Notiz: mag keine Videocalls.")
    skill = Skill.objects.create(
        tenant=tenant, key="zerspanung", name_de="Zerspanung", name_en="Machining"
    )
    held = PersonSkill.objects.create(tenant=tenant, person=subject, skill=skill, level=4)
    Endorsement.objects.create(
        tenant=tenant, person_skill=held, by=owner, comment="Hat unsere Titan-Teile gerettet."
    )
    fair = Event.objects.create(
        tenant=tenant, name="EMO Hannover", start_date=date(2027, 9, 13), end_date=date(2027, 9, 18)
    )
    EventTarget.objects.create(
        tenant=tenant,
        event=fair,
        person=subject,
        chosen_by=owner,
        note="Auf Rahmenvertrag ansprechen",
    )
    acme = Organization.objects.get(name="ACME Maschinenbau")
    shared = Project.objects.create(tenant=tenant, organization=acme, name="Retrofit Halle 3")
    secret = Project.objects.create(
        tenant=tenant, organization=acme, name="Geheimprojekt Übernahme", owner=owner,
        visibility="private",
    )  # fmt: skip
    for project in (shared, secret):
        ProjectMember.objects.create(
            tenant=tenant, project=project, person=subject, side="theirs", role="economic_buyer"
        )
    partner = Organization.objects.create(tenant=tenant, name="Titan Partner GmbH", kind="partner")
    joint = JointProject.objects.create(
        tenant=tenant, partner=partner, title="Titan-Gehäuse", start_date=date(2026, 3, 1)
    )
    joint.their_people.add(subject)
    return world


def test_export_holds_notes_endorsements_fair_targets_and_memberships(stored, owner):
    data = export_person_data(owner, stored.subject, now=NOW)
    text = text_of(data)
    assert [n["text"] for n in data["private_notes"]] == ["Annas Notiz: Sohn studiert in Aachen."]
    (endorsement,) = data["endorsements"]
    assert endorsement["comment"] == "Hat unsere Titan-Teile gerettet."
    assert (endorsement["skill"], endorsement["by"]) == ("Zerspanung", "anna")
    (target,) = data["event_targets"]
    assert (target["event"], target["note"]) == ("EMO Hannover", "Auf Rahmenvertrag ansprechen")
    assert {(m["project"], m["role"]) for m in data["project_memberships"]} == {
        ("Retrofit Halle 3", "economic_buyer"),
        ("Geheimprojekt Übernahme", "economic_buyer"),
    }
    (joint,) = data["joint_projects"]
    assert (joint["title"], joint["partner"], joint["side"]) == (
        "Titan-Gehäuse",
        "Titan Partner GmbH",
        "theirs",
    )
    for needle in ("Sohn studiert", "Titan-Teile gerettet", "Rahmenvertrag ansprechen",
                   "Retrofit Halle 3", "Titan-Gehäuse"):  # fmt: skip
        assert needle in render_export_text(data)
    assert "Janas Notiz" not in text  # a colleague's private note is not Anna's to export


def test_colleague_export_has_only_their_own_notes_and_no_private_project(stored, colleague):
    data = export_person_data(colleague, stored.subject, now=NOW)
    text = text_of(data)
    assert [n["text"] for n in data["private_notes"]] == ["Janas Notiz: mag keine Videocalls."]
    assert "Annas Notiz" not in text and "Geheimprojekt" not in text
    assert [m["project"] for m in data["project_memberships"]] == ["Retrofit Halle 3"]


def test_admin_export_is_complete_with_every_note_and_hidden_projects_unnamed(stored, admin):
    data = export_person_data(admin, stored.subject, now=NOW)
    text = text_of(data)
    assert {(n["author"], n["text"]) for n in data["private_notes"]} == {
        ("anna", "Annas Notiz: Sohn studiert in Aachen."),
        ("jana", "Janas Notiz: mag keine Videocalls."),
    }
    memberships = data["project_memberships"]
    assert len(memberships) == 2
    hidden = next(m for m in memberships if m.get("hidden"))
    assert hidden["project"] is None and hidden["role"] == "economic_buyer"
    assert "Geheimprojekt" not in text


def test_team_only_records_of_the_owner_are_not_in_a_colleagues_export(
    world, tenant, owner, colleague
):
    add_to_team(owner, "Vertrieb")  # Jana is not in Anna's team
    meet(
        tenant, "meeting", [owner.person, world.subject], days_ago=3, by=owner,
        visibility="team", subject="Teamrunde Preisfindung",
    )  # fmt: skip
    friend = create_person(owner, first_name="Paul", last_name="Teamfreund")
    create_relationship(owner, friend, world.subject, kind="friend", visibility="team")
    jana = export_person_data(colleague, world.subject, now=NOW)
    assert "Teamrunde" not in text_of(jana) and "Teamfreund" not in text_of(jana)
    assert all(r["visibility"] != "team" for r in jana["relationships"])
    assert all(i["visibility"] != "team" for i in jana["interactions"])
    anna = export_person_data(owner, world.subject, now=NOW)
    assert "Teamrunde" in text_of(anna) and "Teamfreund" in text_of(anna)
    add_to_team(colleague, "Vertrieb")  # now a teammate: the team record is hers to see
    fresh = User.objects.get(pk=colleague.pk)  # a new request: teammates read afresh
    assert "Teamrunde" in text_of(export_person_data(fresh, world.subject, now=NOW))
