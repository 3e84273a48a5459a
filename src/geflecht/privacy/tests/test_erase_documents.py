"""Art. 17 and project documents: after an erasure no document title, file name or stored
file names the person. Titles, file names and version notes are redacted; a stored version
whose content names the person (by name or e-mail address) is deleted with its file, and a
document left without versions goes too. Versions that do not name them stay untouched."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from geflecht.people.models import Organization
from geflecht.privacy.actions import erase_person
from geflecht.projects.actions import create_project, send_document, upload_document
from geflecht.projects.models import Document, DocumentVersion


def _docx(text_xml: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", f"<w:document><w:body>{text_xml}</w:body></w:document>")
    return buf.getvalue()


def _pdf(text: bytes) -> bytes:
    stream = zlib.compress(b"BT /F1 12 Tf 72 712 Td " + text + b" Tj ET")
    return (
        b"%%PDF-1.4\n1 0 obj << /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
        + stream
        + b"\nendstream\nendobj\n%%EOF\n"
    )


def _upload(user, project, name, content, **kwargs):
    return upload_document(user, project, SimpleUploadedFile(name, content), **kwargs)


@pytest.fixture
def documents(world, owner):
    acme = Organization.objects.get(name="ACME Maschinenbau")
    project = create_project(owner, acme, name="Retrofit Halle 3")
    letter = _upload(
        owner, project, "brief.txt", "Sehr geehrter Herr Zwölfhaus,\nanbei das Angebot.".encode(),
        title="Angebot für Herrn Zwölfhaus",
    )  # fmt: skip
    prices = _upload(
        owner, project, "preise.txt", b"Preisliste 2027", document=letter.document,
        note="neue Preise, mit Zwölfhaus abgestimmt",
    )  # fmt: skip
    report = _upload(owner, project, "Besuchsbericht_Zwoelfhaus.txt", b"Werk besichtigt.")
    docx = _upload(
        owner, project, "protokoll.docx",
        _docx("<w:p><w:r><w:t>Teilnehmer: Herr Zw</w:t></w:r><w:r><w:t>ölfhaus</w:t></w:r></w:p>"),
        title="Protokoll",
    )  # fmt: skip
    pdf = _upload(owner, project, "kontakt.pdf", _pdf(b"(max.zwoelfhaus@acme.example)"))
    neutral = _upload(owner, project, "zeichnung.pdf", _pdf(b"(Bohrung 42 H7)"))
    send_document(owner, letter, [world.subject, world.weber])
    return {
        "letter": letter, "prices": prices, "report": report, "docx": docx, "pdf": pdf,
        "neutral": neutral,
    }  # fmt: skip


def test_no_document_title_file_name_or_stored_file_names_the_erased_person(
    world, admin, documents, django_capture_on_commit_callbacks
):
    storage = documents["letter"].file.storage
    stored = {k: v.file.name for k, v in documents.items()}
    with django_capture_on_commit_callbacks(execute=True):
        report = erase_person(admin, world.subject)
    assert report.document_versions_deleted == 3  # the letter, the minutes, the PDF
    assert report.documents_redacted >= 2
    kept = DocumentVersion.objects.select_related("document")
    assert {v.pk for v in kept} == {documents[k].pk for k in ("prices", "report", "neutral")}
    letter = Document.objects.get(pk=documents["letter"].document_id)
    assert letter.title == "Angebot für Herrn [erased]"
    prices = kept.get(pk=documents["prices"].pk)
    assert prices.note == "neue Preise, mit [erased] abgestimmt"
    assert kept.get(pk=documents["report"].pk).filename == "Besuchsbericht_erased.txt"
    assert not Document.objects.filter(pk=documents["docx"].document_id).exists()
    for key in ("letter", "docx", "pdf"):
        assert not storage.exists(stored[key]), key
    for key in ("prices", "report", "neutral"):
        assert storage.exists(stored[key]), key
    for v in kept:
        text = " ".join([v.document.title, v.filename, v.note, v.file.read().decode("latin-1")])
        assert "wölfhaus" not in text.lower() and "zwoelfhaus" not in text.lower()


def test_preview_counts_the_document_versions_that_go(world, admin, documents):
    from geflecht.privacy.queries import preview_erasure

    plan = preview_erasure(admin, world.subject)
    assert plan.document_versions_deleted == 3
    assert DocumentVersion.objects.count() == 6  # the preview changes nothing
    assert erase_person(admin, world.subject).document_versions_deleted == 3
