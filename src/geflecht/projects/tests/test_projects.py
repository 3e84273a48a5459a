"""Projects and their teams: create, edit with conflicts, members and roles."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from geflecht.lib.errors import Conflict
from geflecht.projects import actions, queries


def test_roles_put_members_on_the_right_team(world, project):
    ours = queries.members(world.anna, project, "ours")
    theirs = queries.members(world.anna, project, "theirs")
    assert {m.person for m in ours} == {world["anna"], world["jana"]}
    assert {m.role for m in theirs} == {"decision_maker", "technical_buyer", "user"}


def test_unknown_role_is_refused_with_the_choices(world, project):
    with pytest.raises(ValidationError, match="one of account_owner"):
        actions.add_member(world.anna, project, world["bernd"], "boss")


def test_adding_again_changes_the_role(world, project):
    member = actions.add_member(world.anna, project, world["kurz"], "champion")
    assert member.role == "champion" and member.side == "theirs"
    assert len(queries.members(world.anna, project, "theirs")) == 3


def test_stale_edit_conflicts(world, project):
    actions.update_project(world.anna, project, expected_version=1, stage="negotiation")
    with pytest.raises(Conflict) as exc:
        actions.update_project(world.jana, project, expected_version=1, name="Anders")
    assert exc.value.current_version == 2


def test_project_needs_a_customer_not_our_own_company(world):
    with pytest.raises(ValidationError, match="not at our own company"):
        actions.create_project(world.anna, world.own, name="Intern")


def test_close_before_start_is_refused(world):
    from datetime import date

    with pytest.raises(ValidationError, match="close before it starts"):
        actions.create_project(
            world.anna,
            world.acme,
            name="X",
            start_date=date(2026, 5, 1),
            close_date=date(2026, 4, 1),
        )


def test_find_project_by_id_or_name(world, project):
    assert queries.find_project(world.jana, str(project.pk)) == [project]
    assert queries.find_project(world.jana, "messzelle") == [project]
