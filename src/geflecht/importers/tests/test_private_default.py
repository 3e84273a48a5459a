"""An upload is private unless its user shares it: on every door (issue #15)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from geflecht.importers.jobs import start_import
from geflecht.importers.load import import_file
from geflecht.people.models import Person

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ottilie Quast\r\nN:Quast;Ottilie;;;\r\nEND:VCARD\r\n"


def _quast() -> Person:
    return Person.objects.get(last_name="Quast")


def test_a_file_import_is_private_by_default(owner, tmp_path):
    path = tmp_path / "adressbuch.vcf"
    path.write_text(CARD)
    import_file(path, user=owner)
    assert (_quast().visibility, _quast().owner_id) == ("private", owner.pk)


def test_a_file_import_can_still_be_shared(owner, tmp_path):
    path = tmp_path / "adressbuch.vcf"
    path.write_text(CARD)
    import_file(path, user=owner, private=False)
    assert _quast().visibility == "company"


def test_an_upload_is_private_unless_shared(owner):
    job = start_import(owner, [CARD.encode()], "adressbuch.vcf")
    assert job.private is True


def test_the_upload_form_is_private_unless_the_user_ticks_share(client, owner, colleague):
    client.force_login(owner)
    page = client.get(reverse("import")).content.decode()
    assert 'name="share"' in page and 'name="share" checked' not in page
    upload = SimpleUploadedFile("adressbuch.vcf", CARD.encode())
    client.post(reverse("import"), {"file": upload})
    assert _quast().visibility == "private"
    client.force_login(colleague)
    assert client.get(reverse("person", args=[_quast().pk])).status_code == 404


def test_the_upload_form_shares_when_asked(client, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("adressbuch.vcf", CARD.encode())
    client.post(reverse("import"), {"file": upload, "share": "on"})
    assert _quast().visibility == "company"


def test_the_cli_imports_privately_unless_share_is_given(owner, tmp_path):
    path = tmp_path / "adressbuch.vcf"
    path.write_text(CARD)
    out = io.StringIO()
    call_command("import", str(path), "-v", "0", stdout=out, stderr=io.StringIO())
    assert _quast().visibility == "private"
    Person.objects.filter(last_name="Quast").delete()
    call_command("import", str(path), "--share", "-v", "0", stdout=out, stderr=io.StringIO())
    assert _quast().visibility == "company"
