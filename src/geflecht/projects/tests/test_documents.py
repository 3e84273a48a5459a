"""Documents: versions, limits, sends as interactions, flow, and who may download."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from geflecht.lib.errors import NotFound
from geflecht.network.models import Interaction, Relationship
from geflecht.projects import actions, queries


def _file(name="angebot.pdf", content=b"%PDF-1.4 Angebot"):
    return SimpleUploadedFile(name, content)


def test_upload_creates_versions_counting_up(world, project):
    v1 = actions.upload_document(world.anna, project, _file(), title="Angebot")
    v2 = actions.upload_document(
        world.anna, project, _file(content=b"%PDF-1.4 Angebot v2"), document=v1.document
    )
    assert (v1.number, v2.number) == (1, 2)
    assert v2.document == v1.document
    assert v1.file.read() == b"%PDF-1.4 Angebot"
    assert v1.content_type == "application/pdf" and v1.size == 16
    docs = queries.documents(project)
    assert [v.number for v in docs[0].versions.all()] == [2, 1]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("virus.exe", b"MZ", "not accepted; allowed are"),
        ("leer.pdf", b"", "empty"),
        ("gross.pdf", b"x" * 2048, "at most 1024 bytes"),
    ],
)
def test_type_and_size_limits_give_clear_errors(world, project, settings, name, content, message):
    settings.GEFLECHT_DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match=message):
        actions.upload_document(world.anna, project, _file(name, content), title="x")
    assert not queries.documents(project)


def test_sending_a_version_is_a_document_interaction_that_strengthens_the_tie(world, project):
    version = actions.upload_document(world.anna, project, _file(), title="Angebot")
    before = Relationship.objects.filter(person_b=world["kurz"]).count()
    send = actions.send_document(world.anna, version, [world["kurz"], world["weber"]])
    interaction = send.interaction
    assert interaction.kind == "document"
    assert interaction.subject == "Angebot v1"
    roles = dict(interaction.participations.values_list("person_id", "role"))
    assert roles == {
        world["anna"].pk: "sender",
        world["kurz"].pk: "recipient",
        world["weber"].pk: "recipient",
    }
    assert Relationship.objects.filter(person_b=world["kurz"]).count() >= before
    assert Interaction.objects.filter(kind="document").count() == 1


def test_flow_shows_documents_by_person_and_site(world, project):
    version = actions.upload_document(world.anna, project, _file(), title="Angebot")
    actions.send_document(world.anna, version, [world["kurz"]])
    flow = queries.document_flow(world.jana, project)
    assert flow.deliveries[0].sender == world["anna"]
    assert flow.deliveries[0].recipients == (world["kurz"],)
    assert dict(flow.by_person)[world["kurz"]] == ("Angebot v1",)
    assert [s.city for s, _ in flow.by_site] == ["Ulm"]


def test_private_recipient_is_left_out_of_the_flow_for_colleagues(world, project):
    version = actions.upload_document(world.anna, project, _file(), title="Angebot")
    actions.send_document(world.anna, version, [world["kurz"], world["secret"]])
    mine = queries.document_flow(world.anna, project)
    assert world["secret"] in mine.deliveries[0].recipients
    hers = queries.document_flow(world.jana, project)
    assert hers.deliveries[0].recipients == (world["kurz"],)


def test_colleague_cannot_send_to_a_private_contact(world, project):
    version = actions.upload_document(world.anna, project, _file(), title="Angebot")
    with pytest.raises(ValidationError):
        actions.send_document(world.jana, version, [world["secret"]])


def test_private_project_and_its_documents_are_hidden_from_colleagues(world, project):
    secret = actions.create_project(world.anna, world.acme, name="Geheim", visibility="private")
    version = actions.upload_document(world.anna, secret, _file(), title="Kalkulation")
    with pytest.raises(NotFound):
        queries.visible_project(world.jana, secret.pk)
    with pytest.raises(NotFound):
        queries.visible_version(world.jana, version.document_id, 1)
    assert queries.visible_version(world.anna, version.document_id, 1) == version
    assert secret not in queries.visible_projects(world.jana)


def test_delete_project_removes_its_files(world, project, django_capture_on_commit_callbacks):
    version = actions.upload_document(world.anna, project, _file(), title="Angebot")
    storage, name = version.file.storage, version.file.name
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_project(world.anna, project)
    assert not storage.exists(name)
