"""Reports name the file the user chose and count in words, in English and German."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from geflecht.importers.load import ImportReport, import_file

# One card whose phone number cannot be read: a warning, not a problem.
CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ottilie Quast\r\nN:Quast;Ottilie;;;\r\n"
    "TEL:bitte anrufen\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:0731 12345\r\nEND:VCARD\r\n"
)


def test_an_upload_report_names_the_uploaded_file_not_the_temporary_one(client, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("Meine Kontakte.vcf", CARD.encode())
    report = client.post(reverse("import"), {"file": upload}).context["report"]
    assert report["file"] == "Meine Kontakte.vcf"
    assert report["warnings"] and all(
        w.startswith("Meine Kontakte.vcf, entry ") for w in report["warnings"]
    )
    (problem,) = report["problems"]
    assert problem.startswith("Meine Kontakte.vcf, entry 2, line 7: missing name")


def test_a_file_report_names_the_file_by_the_name_given(owner, tmp_path):
    path = tmp_path / "tmpab12cd.vcf"
    path.write_text(CARD)
    report = import_file(path, user=owner, name="Adressbuch.vcf")
    assert str(tmp_path) not in " ".join([*report.warnings, *map(str, report.problems)])
    assert report.summary().startswith("Adressbuch.vcf (vcard): 2 entries read")


def test_counts_are_words_one_entry_and_many_entries():
    one = ImportReport(file="a.vcf", format="vcard", entries=1, kind="contacts")
    assert "1 entry read" in one.summary() and "1 entries" not in one.summary()
    many = ImportReport(file="a.vcf", format="vcard", entries=3, kind="contacts")
    assert "3 entries read" in many.summary()


def test_counts_are_german_words_in_german():
    with translation.override("de"):
        one = ImportReport(file="a.vcf", format="vcard", entries=1, kind="contacts").summary()
        many = ImportReport(file="a.vcf", format="vcard", entries=3, kind="contacts").summary()
    assert "1 Eintrag gelesen" in one
    assert "3 Einträge gelesen" in many


def test_the_report_page_says_one_entry(client, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile(
        "eine.vcf", CARD.split("BEGIN:VCARD", 2)[1].join(["BEGIN:VCARD", ""]).encode()
    )
    html = client.post(reverse("import"), {"file": upload}).content.decode()
    assert "1 entry read" in html and "1 entries" not in html
