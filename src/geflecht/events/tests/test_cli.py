"""geflecht fair and geflecht intro."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from geflecht.events import actions
from geflecht.intros.models import IntroRequest


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_fair_shows_who_we_know_brokers_and_plan(owner, colleague, fair_world):
    actions.add_target(owner, fair_world["fair"], organization=fair_world["ziel"])
    actions.add_attendance(colleague, fair_world["fair"], person=fair_world["paul"])
    out, _err = _run("fair", "AMB", "--user", owner.username)
    assert "Who we know there (2)" in out and "Klaus Weber" in out
    assert "broker Bruno Makler knows Tanja Ziel" in out
    assert "Meeting plan" in out and "Anna Schmidt:" in out
    assert "Privat" not in out  # Jana's private friend at the fair stays hers
    listing, _ = _run("fair", "--list", "--user", owner.username)
    assert "AMB Stuttgart" in listing and "EMO Hannover" in listing


def test_fair_import_and_meeting_log(owner, fair_world, tmp_path):
    csv = tmp_path / "aussteller.csv"
    csv.write_text("Firma;Halle;Stand\nNur Firma AG;5;C1\n", encoding="utf-8")
    out, err = _run("fair", "AMB", "--import", str(csv), "--user", owner.username)
    assert "1 attendees added" in out and not err
    log = tmp_path / "meetings.csv"
    day = fair_world["past"].start_date.isoformat()
    log.write_text(
        "colleague,person,when,subject\n"
        f"Anna Schmidt,Tanja Ziel,{day} 11:00,Erstgespräch\n"
        f"Anna Schmidt,Niemand Da,{day} 12:00,\n",
        encoding="utf-8",
    )
    out, err = _run("fair", "EMO", "--log-meetings", str(log), "--user", owner.username)
    assert "1 meetings logged at EMO Hannover" in out
    assert "row 2" in err and "Niemand" in err


def test_intro_commands_walk_the_states(owner, colleague, fair_world):
    out, _ = _run("intro", "ask", "Otto Oberziel", "-m", "Bitte", "--user", owner.username)
    assert "to ask Jana Becker" in out and "Privat" not in out
    pk = IntroRequest.objects.get().pk
    out, _ = _run("intro", "list", "--user", colleague.username)
    assert f"#{pk}" in out and "from Anna Schmidt" in out
    with pytest.raises(CommandError, match="Only the colleague"):
        _run("intro", "accept", str(pk), "--user", owner.username)
    _run("intro", "accept", str(pk), "--note", "Gern", "--user", colleague.username)
    out, _ = _run("intro", "done", str(pk), "--user", colleague.username)
    assert "[introduced]" in out
    with pytest.raises(CommandError, match="introduced"):
        _run("intro", "decline", str(pk), "--user", colleague.username)
