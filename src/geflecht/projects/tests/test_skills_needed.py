"""What a project asks of our team: the team builder ranks by it, the skill matrix
shows what nobody of us holds, and every door sets it the same way."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from geflecht.accounts.actions import create_token
from geflecht.projects import actions
from geflecht.projects.coverage import team_builder
from geflecht.projects.queries import project_skill_gaps
from geflecht.skills.actions import load_starter_taxonomy
from geflecht.skills.models import PersonSkill, Skill


@pytest.fixture
def skills(world):
    load_starter_taxonomy(world.tenant)
    return {s.key: s for s in Skill.objects.filter(tenant=world.tenant)}


def _holds(world, who, skill, level):
    PersonSkill.objects.create(
        tenant=world.tenant, person=world[who], skill=skill, level=level, self_declared=True
    )


def test_the_team_builder_ranks_by_the_skills_the_project_needs(world, project, skills):
    without = [s.person for s in team_builder(world.anna, project)]
    assert without[0] == world["bernd"]  # the strongest ties into the buying centre
    milling = next(s for s in skills.values() if s.parent_id and s.key.startswith("5"))
    _holds(world, "clara", milling, 5)
    # A parent skill is covered by its sub-skill: a 5-axis miller counts for milling.
    actions.set_skills_needed(world.anna, project, [milling.parent_id])
    ranked = team_builder(world.anna, project)
    clara = next(s for s in ranked if s.person == world["clara"])
    assert clara.skill_score == 1.0
    assert any("5/5" in r for r in clara.reasons)
    assert ranked.index(clara) < without.index(world["clara"])


def test_open_projects_needing_a_skill_nobody_holds_show_as_gaps(world, project, skills):
    held, missing = list(skills.values())[:2]
    _holds(world, "bernd", held, 3)
    actions.set_skills_needed(world.anna, project, [held.pk, missing.pk])
    gaps = project_skill_gaps(world.anna)
    assert [s.pk for s in gaps] == [missing.pk]
    assert gaps[0].open_projects == [project]
    project.stage = "lost"
    project.save()
    assert project_skill_gaps(world.anna) == []


def test_unknown_skills_are_refused_and_nothing_changes(world, project, skills):
    first = next(iter(skills.values()))
    actions.set_skills_needed(world.anna, project, [first.pk])
    with pytest.raises(ValidationError) as refused:
        actions.set_skills_needed(world.anna, project, [first.pk, 987654])
    assert "987654" in str(refused.value)
    assert list(project.skills_needed.all()) == [first]


def test_the_api_and_the_web_set_the_same_skills(world, project, skills):
    a, b = list(skills.values())[:2]
    _, secret = create_token(world.anna, "t")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/projects/{project.pk}/skills-needed"
    answer = api.put(url, {"skill_ids": [a.pk, b.pk]}, content_type="application/json")
    assert answer.status_code == 200
    assert {s["id"] for s in answer.json()} == {a.pk, b.pk}
    assert {s["id"] for s in api.get(url).json()} == {a.pk, b.pk}
    web = Client()
    web.force_login(world.anna)
    web.post(f"/projects/{project.pk}/skills/", {"skills": [str(a.pk)]})
    assert list(project.skills_needed.all()) == [a]
    assert api.put(url, {"skill_ids": [10**9]}, content_type="application/json").status_code == 422


def test_project_work_and_documents_are_evidence_of_skills(world, project, skills):
    from geflecht.projects.evidence import derive_from_projects
    from geflecht.projects.models import Side

    measuring = next(s for s in skills.values() if s.key == "messtechnik")
    actions.set_skills_needed(world.anna, project, [measuring.pk])
    ours = [m.person_id for m in project.members.filter(side=Side.OURS)]
    assert ours
    report = derive_from_projects(world.tenant.id)
    assert report.projects == 1
    row = PersonSkill.objects.get(person_id=ours[0], skill=measuring)
    assert row.derived["project"]["n"] == 1
    assert not row.self_declared
    # Re-deriving starts from scratch: nothing counted twice.
    derive_from_projects(world.tenant.id)
    again = PersonSkill.objects.get(person_id=ours[0], skill=measuring)
    assert again.derived["project"]["n"] == 1
    # A private project is no evidence anyone else may see.
    project.visibility, project.owner = "private", world.anna
    project.save()
    derive_from_projects(world.tenant.id)
    assert not PersonSkill.objects.filter(person_id=ours[0], skill=measuring).exists()
