"""Introduction requests: the state machine, the outcome, and private contacts."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from geflecht.intros import actions, queries
from geflecht.lib.errors import Conflict, NotFound
from geflecht.network.models import Interaction, Relationship
from geflecht.network.queries import relationship_between


def test_ask_a_colleague_on_the_path_who_accepts_and_introduces(owner, colleague, fair_world):
    tanja, bruno = fair_world["tanja"], fair_world["bruno"]
    req = actions.ask_for_introduction(
        owner, tanja, broker=colleague.person, message="Wir möchten Zielwerk kennenlernen."
    )
    assert (req.broker_user, req.hidden_hop, req.status) == (colleague, False, "open")
    assert [v.pk for v in queries.views(colleague, queries.incoming(colleague))] == [req.pk]
    assert queries.view(colleague, req).actions == ("accept", "decline", "introduced")
    assert queries.view(owner, req).actions == ("withdraw",)
    with pytest.raises(PermissionDenied):
        actions.accept(owner, req.pk)  # only the colleague asked answers
    actions.accept(colleague, req.pk, note="Mache ich über Bruno.")
    with pytest.raises(Conflict, match="accepted"):
        actions.accept(colleague, req.pk)
    assert relationship_between(owner, owner.person, tanja) is None
    done = actions.mark_introduced(colleague, req.pk)
    assert done.status == "introduced" and done.closed_at is not None
    rel = relationship_between(owner, owner.person, tanja)
    assert rel.kind == "introduced" and rel.visibility == "company"
    assert done.relationship == rel
    people = set(done.interaction.participations.values_list("person_id", flat=True))
    assert people == {owner.person_id, tanja.pk, colleague.person_id}
    assert bruno.pk not in people
    with pytest.raises(Conflict, match="introduced"):
        actions.decline(colleague, req.pk)
    with pytest.raises(Conflict):
        actions.withdraw(owner, req.pk)


def test_request_through_a_colleagues_private_contact_never_names_it(owner, colleague, fair_world):
    otto, paul = fair_world["otto"], fair_world["paul"]
    req = actions.ask_for_introduction(owner, otto, message="Bitte um Vorstellung.")
    assert req.hidden_hop and req.broker == colleague.person and req.broker_user == colleague
    mine = queries.view(owner, req)
    assert mine.broker_label == f"ask {colleague.person.full_name}"
    stored = json.dumps(req.path)
    assert "Privat" not in stored and str(paul.pk) not in [str(s["person_id"]) for s in req.path]
    # Jana sees her own way to Otto, through her friend: hers to see.
    paths = queries.broker_paths(colleague, req)
    assert any(s.person == paul for p in paths for s in p.steps)
    assert queries.broker_paths(owner, req) == []
    actions.accept(colleague, req.pk, note="Kenne jemanden.")
    assert "Privat" not in json.dumps(queries.view(owner, req).path)
    actions.mark_introduced(colleague, req.pk)
    req.refresh_from_db()
    # The introduction involved Anna and Otto only: neither Paul nor a Jana-Otto tie.
    people = set(req.interaction.participations.values_list("person_id", flat=True))
    assert people == {owner.person_id, otto.pk}
    x, y = sorted([colleague.person_id, otto.pk])
    assert (
        not Relationship.objects.filter(person_a_id=x, person_b_id=y)
        .exclude(visibility="private")
        .exists()
    )


def test_external_broker_request_is_followed_up_by_the_requester(owner, colleague, fair_world):
    tanja, weber = fair_world["tanja"], fair_world["weber"]
    req = actions.ask_for_introduction(owner, tanja, broker=weber, message="Kennen Sie Frau Ziel?")
    assert req.broker_user is None
    assert not queries.incoming(colleague).exists()
    assert queries.view(owner, req).actions == ("accept", "decline", "introduced", "withdraw")
    actions.decline(owner, req.pk, note="Weber kennt sie kaum.")
    req.refresh_from_db()
    assert req.status == "declined" and req.broker_note == "Weber kennt sie kaum."
    # A new request to the same broker is allowed once the old one is closed.
    actions.ask_for_introduction(owner, tanja, broker=weber, message="Zweiter Versuch")
    with pytest.raises(Conflict, match="already asked"):
        actions.ask_for_introduction(owner, tanja, broker=weber, message="Dritter")


def test_only_the_requester_withdraws_and_strangers_see_nothing(
    owner, colleague, outsider, fair_world
):
    req = actions.ask_for_introduction(
        owner, fair_world["tanja"], broker=colleague.person, message="Hallo"
    )
    with pytest.raises(NotFound):
        queries.request_for(outsider, req.pk)
    with pytest.raises(NotFound):
        actions.withdraw(outsider, req.pk)
    with pytest.raises(PermissionDenied):
        actions.withdraw(colleague, req.pk)
    actions.withdraw(owner, req.pk)
    req.refresh_from_db()
    assert req.status == "withdrawn"
    assert queries.view(colleague, req).actions == ()


def test_bad_requests_are_refused_with_reasons(owner, colleague, fair_world):
    with pytest.raises(ValidationError, match="why"):
        actions.ask_for_introduction(owner, fair_world["tanja"], message="  ")
    with pytest.raises(ValidationError, match="directly"):
        actions.ask_for_introduction(owner, fair_world["weber"], message="x")
    with pytest.raises(ValidationError, match="not on the chosen path"):
        actions.ask_for_introduction(
            owner, fair_world["tanja"], broker=fair_world["otto"], message="x"
        )
    with pytest.raises(NotFound):
        actions.ask_for_introduction(owner, fair_world["paul"], message="x")  # Jana's private
    assert Interaction.objects.filter(source="intro").count() == 0


def test_erasing_a_hop_takes_the_name_out_of_requests_that_stay(owner, colleague, fair_world):
    from geflecht.privacy.actions import erase_person

    tanja, bruno = fair_world["tanja"], fair_world["bruno"]
    req = actions.ask_for_introduction(
        owner, tanja, broker=colleague.person, message=f"Über {bruno.full_name} vielleicht?"
    )
    req.path = [*req.path, {"label": bruno.full_name, "person_id": bruno.pk, "ask_id": None}]
    req.save(update_fields=["path"])
    owner.role = owner.Role.ADMIN
    owner.save()
    erase_person(owner, bruno)
    req.refresh_from_db()
    stored = json.dumps(req.path, ensure_ascii=False) + req.message
    assert bruno.last_name not in stored
    assert "[erased]" in req.message
    assert all(step.get("person_id") != bruno.pk for step in req.path)


def test_the_gdpr_export_of_a_target_lists_the_requests_about_them(owner, colleague, fair_world):
    from geflecht.privacy.queries import export_person_data

    tanja = fair_world["tanja"]
    actions.ask_for_introduction(owner, tanja, broker=colleague.person, message="Bitte vorstellen.")
    mine = export_person_data(owner, tanja)["introduction_requests"]
    assert [(r["as"], r["status"], r["message"]) for r in mine] == [
        ("target", "open", "Bitte vorstellen.")
    ]
    assert mine[0]["requester"] == owner.person.full_name
