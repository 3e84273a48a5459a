"""The user's own address book ties them to its contacts, weakly and as privately as the import."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from geflecht.importers.actions import forget_records
from geflecht.importers.load import import_file
from geflecht.network.models import Relationship
from geflecht.network.strength import StrengthParams
from geflecht.people.models import Person

CARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ottilie Quast\r\nN:Quast;Ottilie;;;\r\n"
    "EMAIL:o.quast@quast.example\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jörg Ähnlich\r\nN:Ähnlich;Jörg;;;\r\nEND:VCARD\r\n"
)


def _ties(user):
    me = user.person_id
    return Relationship.objects.filter(person_a_id=me) | Relationship.objects.filter(person_b_id=me)


def test_my_address_book_ties_me_to_each_contact_weakly_and_privately(owner, colleague, tmp_path):
    path = tmp_path / "kontakte.vcf"
    path.write_text(CARDS)
    report = import_file(path, user=owner)
    ties = _ties(owner)
    assert ties.count() == 2
    assert sorted(report.created_ids["relationships"]) == sorted(ties.values_list("pk", flat=True))
    for rel in ties:
        assert (rel.kind, rel.visibility, rel.owner_id) == ("business", "private", owner.pk)
        assert rel.strength == StrengthParams().min_strength  # no evidence yet: the least
    assert not Relationship.objects.visible_to(colleague).exists()
    import_file(path, user=owner)
    assert _ties(owner).count() == 2  # again: nothing new


def test_an_address_book_that_is_not_mine_ties_nobody(owner, tmp_path):
    path = tmp_path / "kontakte.vcf"
    path.write_text(CARDS)
    import_file(path, user=owner, own_address_book=False)
    assert not Relationship.objects.exists()


def test_a_user_without_a_person_imports_without_ties(owner, tmp_path):
    owner.person = None
    owner.save()
    path = tmp_path / "kontakte.vcf"
    path.write_text(CARDS)
    report = import_file(path, user=owner)
    assert report.people.created == 2 and not Relationship.objects.exists()


def test_a_shared_address_book_shares_its_ties(owner, colleague, tmp_path):
    path = tmp_path / "kontakte.vcf"
    path.write_text(CARDS)
    import_file(path, user=owner, private=False)
    assert set(_ties(owner).values_list("visibility", flat=True)) == {"company"}


def test_forgetting_the_address_book_forgets_its_ties(owner, tmp_path):
    path = tmp_path / "kontakte.vcf"
    path.write_text(CARDS)
    report = import_file(path, user=owner)
    forget_records(owner, report.created_ids)
    assert not Relationship.objects.exists()
    assert not Person.objects.filter(last_name__in=["Quast", "Ähnlich"]).exists()


def test_the_upload_form_offers_the_choice_checked(client, owner):
    client.force_login(owner)
    page = client.get(reverse("import")).content.decode()
    assert 'name="own_address_book" id="id_own_address_book" checked' in page
    upload = SimpleUploadedFile("kontakte.vcf", CARDS.encode())
    client.post(reverse("import"), {"file": upload, "own_address_book": "on"})
    assert _ties(owner).count() == 2


def test_the_upload_form_without_the_tick_ties_nobody(client, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("kontakte.vcf", CARDS.encode())
    client.post(reverse("import"), {"file": upload})
    assert not Relationship.objects.exists()


def test_the_cli_ties_unless_not_mine(owner, tmp_path):
    path = tmp_path / "kontakte.vcf"
    path.write_text(CARDS)
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("import", str(path), "--not-mine", "-v", "0", **quiet)
    assert not Relationship.objects.exists()
    call_command("import", str(path), "-v", "0", **quiet)
    assert _ties(owner).count() == 2
