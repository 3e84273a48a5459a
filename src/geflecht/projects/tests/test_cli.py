"""The projects commands give the same answers as the services, and keep private things private."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

FIXTURE = Path(__file__).parent / "data" / "targets.csv"


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_coverage_by_name_and_id(world, project):
    by_name, _ = _run("coverage", "Messzelle", "--user", "jana")
    by_id, _ = _run("coverage", str(project.pk), "--user", "jana")
    assert by_name == by_id
    assert "Technical buyer" in by_name or "technical buyer" in by_name
    assert "Bernd Vogel should join the team" in by_name
    assert "ask Anna Schmidt" in by_name
    assert "Geheimnisvoll" not in by_name


def test_coverage_of_an_unknown_project_fails_clearly(world, project):
    with pytest.raises(CommandError, match="No project 'Nichts'"):
        _run("coverage", "Nichts", "--user", "jana")


def test_radar_prints_ranking_row_errors_and_writes_csv(world, project, tmp_path):
    out_file = tmp_path / "result.csv"
    out, err = _run("radar", str(FIXTURE), "--user", "jana", "--out", str(out_file))
    assert out.splitlines()[0].startswith("  1. ACME Maschinenbau (Ulm) = ACME Maschinenbau GmbH")
    assert "row 6, name" in err and "row 8, website" in err
    rows = list(csv.DictReader(out_file.open()))
    assert rows[0]["rank"] == "1" and len(rows) == 4
    assert "Geheimnisvoll" not in out + out_file.read_text()


def test_radar_refuses_a_file_without_the_columns(world, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n")
    with pytest.raises(CommandError, match="lacks the column"):
        _run("radar", str(bad), "--user", "jana")


def test_projects_list_show_team_and_risk(world, project):
    listed, _ = _run("projects", "--user", "jana")
    assert "Messzelle Werk Ulm @ ACME Maschinenbau GmbH" in listed
    shown, _ = _run("projects", "show", "Messzelle", "--user", "jana")
    assert "Klaus Weber: decision maker" in shown
    team, _ = _run("projects", "team", "Messzelle", "--user", "jana")
    assert team.startswith("Bernd Vogel")
    risk, _ = _run("projects", "risk", "--user", "anna")
    assert "If Anna Schmidt left" in risk
    for text in (listed, shown, team):
        assert "Geheimnisvoll" not in text
