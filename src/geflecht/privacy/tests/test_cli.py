"""geflecht gdpr export|erase|consent|audit: thin commands over the same services."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from geflecht.people.models import Person
from geflecht.privacy.models import AuditEntry, PersonPrivacy


def run(*args) -> str:
    out = StringIO()
    call_command("gdpr", *args, stdout=out)
    return out.getvalue()


def test_export_as_json_and_text(world, colleague):
    data = json.loads(run("export", "Maximilian Zwölfhaus", "--user", "jana"))
    assert data["person"]["id"] == world.subject.pk
    text = run("export", str(world.subject.pk), "--user", "jana", "--format", "text")
    assert "# Data stored about Maximilian Zwölfhaus" in text
    assert AuditEntry.objects.filter(action="export").count() == 2


def test_colleague_gets_the_same_answer_for_private_and_missing_people(world, colleague):
    with pytest.raises(CommandError) as private:
        run("export", str(world.secret.pk), "--user", "jana")
    with pytest.raises(CommandError) as missing:
        run("export", "999999", "--user", "jana")
    assert str(private.value).replace(str(world.secret.pk), "N") == str(missing.value).replace(
        "999999", "N"
    )
    with pytest.raises(CommandError, match="Nobody called"):
        run("export", "Sebastian Heimlich", "--user", "jana")


def test_erase_needs_confirmation_then_erases(world, admin):
    pid = str(world.subject.pk)
    with pytest.raises(CommandError, match="confirm with --yes"):
        run("erase", pid, "--user", "ines")
    assert Person.objects.filter(pk=world.subject.pk).exists()
    out = run("erase", pid, "--user", "ines", "--yes")
    assert "removes 1 e-mail addresses, 1 phone numbers, 1 positions, 6 relationships" in out
    assert f"Erased person {pid}" in out
    assert not Person.objects.filter(pk=world.subject.pk).exists()


def test_member_cannot_erase_a_shared_person(world, colleague):
    with pytest.raises(CommandError, match="Only an admin"):
        run("erase", str(world.subject.pk), "--user", "jana", "--yes")


def test_consent_and_audit(world, admin, colleague):
    out = run(
        "consent",
        "Klaus Weber",
        "--user",
        "jana",
        "--basis",
        "consent",
        "--given",
        "2025-06-03",
        "--source",
        "Hannover Messe",
    )
    assert out == "Klaus Weber: consent (Art. 6(1)(a)); consent given 2025-06-03.\n"
    out = run(
        "consent",
        "Klaus Weber",
        "--user",
        "jana",
        "--basis",
        "consent",
        "--withdrawn",
        "2026-01-02",
    )
    assert "consent withdrawn 2026-01-02" in out
    assert PersonPrivacy.objects.get().source == "Hannover Messe"
    with pytest.raises(CommandError, match="not a date"):
        run("consent", "Klaus Weber", "--user", "jana", "--basis", "consent", "--given", "gestern")
    log = run("audit", "Klaus Weber", "--user", "ines")
    assert log.count("jana change legal basis") == 2
    with pytest.raises(CommandError, match="Only an admin"):
        run("audit", "Klaus Weber", "--user", "jana")
