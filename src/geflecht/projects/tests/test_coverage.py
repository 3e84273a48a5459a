"""Coverage matrix, gaps, single points of failure, team builder and key-person risk."""

from __future__ import annotations

import pytest

from geflecht.projects import actions
from geflecht.projects.coverage import (
    company_key_person_risk,
    coverage,
    project_key_person_risk,
    team_builder,
)


def _channel(cov, role):
    return next(ch for ch in cov.channels if ch.role == role)


def _gap(cov, role):
    return next((g for g in cov.gaps if g.role == role), None)


def test_matrix_shows_direct_ties_with_explanations(world, project):
    cov = coverage(world.anna, project)
    assert [m.person for m in cov.ours] == [world["anna"], world["jana"]]
    names = [m.person.last_name for m in cov.theirs]
    anna_row = next(r for r in cov.rows if r.member.person == world["anna"])
    cell = anna_row.cells[names.index("Weber")]
    assert cell.strength == pytest.approx(0.7)
    assert cell.band == "strong"
    assert cell.explanation  # the strength model explains itself
    jana_row = next(r for r in cov.rows if r.member.person == world["jana"])
    assert jana_row.cells[names.index("Kurz")].band == "weak"
    assert jana_row.cells[names.index("Weber")].strength is None


def test_weak_role_is_a_gap_closed_by_a_colleague_who_should_join(world, project):
    cov = coverage(world.anna, project)
    tech = _channel(cov, "technical_buyer")
    assert tech.reached_by == ()  # Jana's 0.1 and Anna's 0.09 are below 0.15
    gap = _gap(cov, "technical_buyer")
    assert gap.kind == "no_channel"
    assert gap.join == world["bernd"]  # Bernd knows Kurz at 0.8 but is not on the team
    assert "Bernd Vogel should join the team" in gap.fix


def test_role_reached_through_one_colleague_is_a_single_point_of_failure(world, project):
    cov = coverage(world.anna, project)
    gap = _gap(cov, "decision_maker")
    assert gap.kind == "single_point"
    assert gap.colleague == world["anna"]
    # Jana reaches Weber too, but only over Anna: the role still hangs on Anna.
    assert world["jana"] in _channel(cov, "decision_maker").reached_by
    assert "Only Anna Schmidt reaches this role" in gap.fix


def test_threshold_is_respected(world, project):
    cov = coverage(world.anna, project, threshold=0.05)
    assert world["jana"] in _channel(cov, "technical_buyer").reached_by


def test_private_contact_in_a_path_shows_only_ask_colleague(world, project):
    cov = coverage(world.jana, project)
    user_ch = _channel(cov, "user")
    assert user_ch.path is not None
    text = user_ch.path.text()
    assert "Geheimnisvoll" not in text and "Gerlinde" not in text
    assert "ask Anna Schmidt" in text
    assert "Geheimnisvoll" not in cov.text()


def test_private_buying_centre_member_is_invisible_to_colleague(world, project):
    actions.add_member(world.anna, project, world["secret"], "influencer")
    mine = coverage(world.anna, project)
    assert world["secret"] in [m.person for m in mine.theirs]
    hers = coverage(world.jana, project)
    assert world["secret"] not in [m.person for m in hers.theirs]
    assert "influencer" not in [ch.role for ch in hers.channels]
    assert "Geheimnisvoll" not in hers.text()
    assert all(len(r.cells) == len(hers.theirs) for r in hers.rows)


def test_team_builder_ranks_colleagues_by_ties_into_the_buying_centre(world, project):
    ranked = team_builder(world.anna, project)
    assert ranked[0].person == world["bernd"]
    assert any("Kurz" in reason for reason in ranked[0].reasons)
    assert world["clara"] in [s.person for s in ranked]  # over Bernd to Kurz
    assert world["anna"] not in [s.person for s in ranked]  # already on the team


def test_team_builder_takes_a_skill_fit(world, project):
    fit = {world["clara"].pk: (1.0, "measurement systems expert")}
    ranked = team_builder(world.anna, project, skill_fit=fit)
    assert ranked[0].person == world["clara"]
    assert "measurement systems expert" in ranked[0].reasons
    assert ranked[0].skill_score == 1.0


def test_team_builder_never_names_whom_a_colleagues_private_tie_reaches(world, project):
    actions.add_member(world.anna, project, world["bernd"], "application_engineer")
    # Lang is reached only over Anna's private Gerlinde: not part of Jana's view.
    ranked = team_builder(world.jana, project)
    assert all("Lang" not in r for s in ranked for r in s.reasons)


def test_project_key_person_risk_names_who_we_would_lose(world, project):
    risk = project_key_person_risk(world.anna, project)
    assert risk.people == 3
    by = {loss.colleague: loss.lost for loss in risk.losses}
    assert world["weber"] in by[world["anna"]]
    assert world["lang"] in by[world["anna"]]  # over Anna's own private Gerlinde
    # Jana's own tie to Kurz (0.1) is too weak to count as access: Kurz hangs on Bernd.
    assert by[world["bernd"]] == (world["kurz"],)
    assert world["jana"] not in by
    assert risk.account is not None


def test_company_key_person_risk_lists_relationships_hanging_on_one_person(world, project):
    risks = company_key_person_risk(world.anna)
    top = {r.colleague: r for r in risks}
    assert world["anna"] in top
    org, lost = top[world["anna"]].accounts[0]
    assert org == world.acme and world["weber"] in lost
    hers = company_key_person_risk(world.jana)
    assert all(p.last_name != "Geheimnisvoll" for r in hers for _o, ps in r.accounts for p in ps)
