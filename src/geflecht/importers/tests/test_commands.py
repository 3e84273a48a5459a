"""The import, export, duplicates and merge commands: thin wrappers, right exit codes."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from geflecht.people.models import Person


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def test_import_lists_problems_and_summary_and_succeeds(owner, colleague, files):
    text = run("import", str(files / "load_broken.vcf"), "--user", "anna")
    assert "load_broken.vcf:2:7: missing name" in text
    assert "load_broken.vcf:5:25: truncated" in text
    assert "people: 3 created, 0 updated, 0 unchanged, 0 merged, 2 skipped" in text


def test_import_dry_run_writes_nothing(owner, files):
    before = Person.objects.count()
    text = run("import", str(files / "load_roundtrip.vcf"), "--dry-run", "--user", "anna")
    assert text.startswith("Dry run") or "Dry run" in text
    assert Person.objects.count() == before


def test_import_of_a_missing_file_is_an_error(owner):
    with pytest.raises(CommandError, match="No such file"):
        run("import", "/nowhere/x.vcf", "--user", "anna")


def test_mail_import_with_me(owner, files):
    mbox = str(files / "tricky.mbox")
    text = run("import", mbox, "--me", "me@geflecht.example", "--user", "anna")
    assert "interactions: 2 created" in text


def test_export_writes_a_file(owner, files, tmp_path):
    run("import", str(files / "load_roundtrip.vcf"), "--user", "anna")
    target = tmp_path / "out.json"
    run("export", "--format", "json", "--output", str(target), "--user", "anna")
    assert "Müller-Lüdenscheid" in target.read_text(encoding="utf-8")
    assert "BEGIN:VCARD" in run("export", "--user", "anna")


def test_duplicates_and_merge(owner, colleague, tenant):
    a = Person.objects.create(tenant=tenant, first_name="Jürgen", last_name="Müller")
    b = Person.objects.create(tenant=tenant, first_name="Juergen", last_name="Mueller")
    text = run("duplicates", "--user", "jana")
    assert f"{a.pk} Jürgen Müller <- {b.pk} Juergen Mueller: similar name" in text
    assert "Merged" in run("merge", str(a.pk), str(b.pk), "--user", "jana")
    assert not Person.objects.filter(pk=b.pk).exists()
    assert "No possible duplicates." in run("duplicates", "--user", "jana")


def test_merge_of_someone_invisible_is_an_error(owner, colleague, tenant):
    hidden = Person.objects.create(
        tenant=tenant, last_name="Geheim", visibility="private", owner=owner
    )
    shared = Person.objects.create(tenant=tenant, last_name="Geheim")
    with pytest.raises(CommandError, match="visible"):
        run("merge", str(shared.pk), str(hidden.pk), "--user", "jana")
    assert "No possible duplicates." in run("duplicates", "--user", "jana")


def test_import_shows_a_progress_bar_on_stderr(owner, files):
    err = io.StringIO()
    call_command("import", str(files / "tricky.vcf"), stdout=io.StringIO(), stderr=err)
    bar = err.getvalue()
    size = (files / "tricky.vcf").stat().st_size
    assert "tricky.vcf" in bar and "100%" in bar and "entries=" in bar
    assert f"{size}/{size}" in bar.replace(".00", "") or "100%" in bar


def test_import_with_verbosity_0_shows_no_bar(owner, files):
    err = io.StringIO()
    call_command("import", str(files / "tricky.vcf"), "-v", "0", stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""
