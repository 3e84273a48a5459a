"""Taxonomy, matching, evidence, expert search, skill matrix, merge and erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from geflecht.network.actions import record_interaction
from geflecht.people.actions import merge_people
from geflecht.privacy.actions import erase_person
from geflecht.privacy.queries import export_person_data
from geflecht.skills import actions, matching, queries
from geflecht.skills.models import Endorsement, PersonSkill, Skill


# ------------------------------------------------------------------------ taxonomy
def test_starter_taxonomy_is_bilingual_hierarchical_and_loads_idempotently(tenant):
    first = actions.load_starter_taxonomy(tenant)
    assert 40 <= first.created <= 80
    again = actions.load_starter_taxonomy(tenant)
    assert again.created == 0 and again.unchanged == first.created
    five_axis = Skill.objects.get(tenant=tenant, key="5-achs-fraesen")
    chain = []
    node = five_axis
    while node:
        chain.append(node.name_de)
        node = node.parent
    assert chain[:3] == ["5-Achs-Fräsen", "CNC-Fräsen", "Fräsen"] and "Zerspanung" in chain
    spritzguss = Skill.objects.get(tenant=tenant, key="spritzguss")
    assert spritzguss.name_en == "Injection moulding"
    assert {"Kunststoffspritzguss", "injection molding"} <= set(spritzguss.synonyms)


def test_admin_extends_taxonomy_and_members_may_not(net):
    skill = actions.create_skill(
        net.anna, name_de="Titanbearbeitung", name_en="Titanium machining",
        synonyms=["Titan zerspanen"], parent_id=net.skill("zerspanung").pk,
    )  # fmt: skip
    assert skill.key == "titanbearbeitung" and skill.parent.key == "zerspanung"
    reading = matching.interpret(matching.taxonomy(net.tenant.id), "titanium machining")
    assert [m.skill_id for m in reading.matches] == [skill.pk]
    with pytest.raises(PermissionDenied):
        actions.create_skill(net.jana, name_de="Löten")
    with pytest.raises(ValidationError, match="cycle"):
        actions.update_skill(net.anna, net.skill("zerspanung"), parent_id=skill.pk)
    with pytest.raises(ValidationError, match="sub-skills"):
        actions.delete_skill(net.anna, net.skill("zerspanung"))


# ------------------------------------------------------------------------ matching
@pytest.mark.parametrize(
    ("query", "key", "further"),
    [
        ("5 Achs fräsen Titan", "5-achs-fraesen", ("titan",)),
        ("5-Achsfraesen", "5-achs-fraesen", ()),
        ("injection moulding", "spritzguss", ()),
        ("Kunststoffspritzguss", "spritzguss", ()),
        ("spritzgus", "spritzguss", ()),
        ("Schweissen", "schweissen", ()),
        ("welding", "schweissen", ()),
        ("Siemens NX", "siemens-nx", ()),
        ("laser cutting", "laserschneiden", ()),
    ],
)
def test_query_is_read_typo_umlaut_synonym_and_language_tolerant(net, query, key, further):
    reading = matching.interpret(matching.taxonomy(net.tenant.id), query)
    assert [m.skill_id for m in reading.matches] == [net.skill(key).pk]
    assert reading.further == further


def test_a_longer_name_is_not_mistaken_for_a_typo(net):
    reading = matching.interpret(matching.taxonomy(net.tenant.id), "TwinCAT Programmierung")
    assert reading.matches[0].skill_id == net.skill("twincat").pk
    # "Programmierung" stands for the programming skills, not for "NC-Programmierung" alone.
    assert net.skill("sps").pk in reading.matches[1].skills


# ------------------------------------------------------------------------ evidence
def test_endorsement_and_declaration_rules(net):
    actions.declare_skill(net.jana, net["jana"].pk, net.skill("twincat").pk, level=4)
    with pytest.raises(PermissionDenied):
        actions.declare_skill(net.jana, net["bernd"].pk, net.skill("twincat").pk)
    actions.endorse(net.anna, net["jana"].pk, net.skill("twincat").pk)
    actions.endorse(net.anna, net["jana"].pk, net.skill("twincat").pk)  # once per endorser
    assert Endorsement.objects.count() == 1
    with pytest.raises(ValidationError, match="yourself"):
        actions.endorse(net.jana, net["jana"].pk, net.skill("twincat").pk)
    view = queries.person_skills(net.jana, net["jana"])
    assert view[0].evidence == ("self-declared, level 4 of 5", "endorsed by Anna Schmidt")


def test_evidence_hook_matches_skills_in_text_and_keeps_examples(net):
    found = actions.record_evidence(
        net["bernd"].pk, "Retrofit Schleifmaschine: Umbau auf Siemens S7", 1.5, "project",
        when="2026-03-02",
    )  # fmt: skip
    assert set(found) == {net.skill("retrofit").pk, net.skill("siemens-s7").pk}
    row = PersonSkill.objects.get(person=net["bernd"], skill=net.skill("siemens-s7"))
    assert row.derived["project"]["n"] == 1 and row.derived["project"]["last"] == "2026-03-02"
    assert not row.self_declared and row.derived_weight == 1.5
    with pytest.raises(ValidationError, match="Unknown evidence source"):
        actions.record_evidence(net["bernd"].pk, "Schleifen", 1.0, "gossip")
    assert actions.clear_evidence(net.tenant.id, "project") == 2
    assert not PersonSkill.objects.filter(person=net["bernd"]).exists()


def test_interaction_subjects_become_evidence_but_private_ones_do_not(net):
    now = timezone.now()
    for days in (3, 40, 90):
        record_interaction(
            tenant=net.tenant, kind="meeting", occurred_at=now - timedelta(days=days),
            participants=[(net["bernd"].pk, "organiser"), (net["weber"].pk, "attendee")],
            subject="Technisches Gespräch Spritzguss",
        )  # fmt: skip
    record_interaction(
        tenant=net.tenant, kind="meeting", occurred_at=now - timedelta(days=5),
        participants=[(net["jana"].pk, "organiser"), (net["kurz"].pk, "attendee")],
        subject="Spritzguss geheim", visibility="private", recorded_by=net.jana,
    )  # fmt: skip
    record_interaction(
        tenant=net.tenant, kind="meeting", occurred_at=now - timedelta(days=6),
        participants=[(net["jana"].pk, "organiser"), (net["kurz"].pk, "attendee")],
        subject="Spritzguss geheim", visibility="private", recorded_by=net.jana,
        external_id="2", source="test",
    )  # fmt: skip
    report = actions.derive_from_interactions(net.tenant.id)
    assert report.interactions == 3
    row = PersonSkill.objects.get(person=net["bernd"], skill=net.skill("spritzguss"))
    assert row.derived["interaction"]["n"] == 3
    assert not PersonSkill.objects.filter(person=net["jana"]).exists()
    words = queries.explain_derived(row.derived)[0]
    assert words.startswith("mentioned in the subjects of 3 meetings, last ")
    # Recomputing is idempotent.
    actions.derive_from_interactions(net.tenant.id)
    row.refresh_from_db()
    assert row.derived["interaction"]["n"] == 3


# ------------------------------------------------------------------- expert search
def test_experts_are_ranked_with_reasons_and_further_words(net):
    net.has("weber", "5-achs-fraesen", level=4, note="Titan und Inconel")
    net.has("kurz", "5-achs-fraesen", level=5)
    net.has("bernd", "cnc-fraesen", level=3)
    result = queries.find_experts(net.anna, "5 Achs fräsen Titan")
    names = [h.person.last_name for h in result.hits]
    assert names[:2] == ["Weber", "Kurz"]
    assert "Vogel" not in names  # a broader skill is not the narrower one asked for
    weber = result.hits[0]
    assert weber.further == ("titan",)
    assert weber.evidence[0].startswith("5-axis milling: self-declared level 4/5")
    assert any("Titan" in e for e in weber.evidence)
    assert result.understood()[0].startswith("“5 achs fraesen” → 5-axis milling")
    # Asking for the parent finds holders of sub-skills, a little lower.
    broader = queries.find_experts(net.anna, "Fräsen")
    assert {h.person.last_name for h in broader.hits} == {"Weber", "Kurz", "Vogel"}


def test_place_radius_and_unknown_place(net):
    net.has("weber", "spritzguss")
    net.has("bernd", "spritzguss")
    near = queries.find_experts(net.anna, "injection moulding", near="Stuttgart", radius_km=30)
    assert [h.person.last_name for h in near.hits] == ["Weber"]
    assert near.hits[0].distance_km < 1
    wide = queries.find_experts(net.anna, "Spritzguss", near="stuttgart", radius_km=100)
    assert {h.person.last_name for h in wide.hits} == {"Weber", "Vogel"}
    ulm = next(h for h in wide.hits if h.person.last_name == "Vogel")
    assert 60 < ulm.distance_km < 80 and any("km away (Ulm)" in r for r in ulm.reasons)
    with pytest.raises(ValidationError, match="unknown place 'Stutgart'; did you mean Stuttgart"):
        queries.find_experts(net.anna, "Spritzguss", near="Stutgart")


def test_reachability_ranks_the_reachable_expert_first_and_names_the_path(net):
    net.has("weber", "schweissen", level=3)
    net.has("kurz", "schweissen", level=3)
    net.tie("jana", "kurz", 0.8)
    result = queries.find_experts(net.jana, "Schweißen")
    assert [h.person.last_name for h in result.hits] == ["Kurz", "Weber"]
    assert result.hits[0].reach == pytest.approx(0.8)
    assert result.hits[0].path.text() == "Jana Becker —0.80→ Eva Kurz"
    assert result.hits[1].path is None and "no path" in result.hits[1].reasons[-1]


def test_private_contacts_of_colleagues_never_appear(net):
    net.has("mayr", "erodieren", level=5)
    net.has("weber", "erodieren", level=1)
    anna = queries.find_experts(net.anna, "Erodieren")
    assert [h.person.last_name for h in anna.hits] == ["Weber"] and anna.total == 1
    jana = queries.find_experts(net.jana, "Erodieren")
    assert [h.person.last_name for h in jana.hits] == ["Mayr", "Weber"]


def test_a_path_over_a_private_tie_shows_only_ask_colleague(net):
    net.has("weber", "hydraulik")
    net.tie("anna", "bernd", 0.9)
    net.tie("bernd", "mayr", 0.9, owner=net.jana)
    net.tie("mayr", "weber", 0.9, owner=net.jana)
    hit = queries.find_experts(net.anna, "Hydraulik").hits[0]
    text = hit.path.text()
    assert "Mayr" not in text and "ask Jana Becker" in text


def test_index_sees_new_skills_at_once(net):
    assert queries.find_experts(net.anna, "Robotik").total == 0
    actions.declare_skill(net.anna, net["bernd"].pk, net.skill("robotik").pk, level=2)
    assert queries.find_experts(net.anna, "robotics").total == 1


# -------------------------------------------------------------------- skill matrix
def test_skill_matrix_and_gaps(net):
    net.has("anna", "vertrieb", level=5)
    net.has("jana", "vertrieb", level=3)
    net.has("bernd", "5-achs-fraesen", level=4)
    net.has("weber", "schweissen", level=5)  # a customer's skill is not ours
    matrix = queries.skill_matrix(net.anna)
    assert matrix.people_total == 3
    cols = {g.key: i for i, g in enumerate(matrix.groups)}
    cells = {p.last_name: row for p, row in matrix.rows}
    assert cells["Vogel"][cols["fertigung"]] == 4
    assert cells["Schmidt"][cols["vertrieb"]] == 5
    assert [(s.key, p.last_name) for s, p in matrix.single_holders] == [("5-achs-fraesen", "Vogel")]
    needed = [net.skill("fraesen"), net.skill("schweissen"), net.skill("vertrieb")]
    assert [s.key for s in queries.skill_gaps(net.tenant.id, needed)] == ["schweissen"]


# ----------------------------------------------------------- merge, export, erasure
def test_merge_moves_skills_and_keeps_the_stronger_evidence(net):
    from geflecht.people.models import Person

    twin = Person.objects.create(tenant=net.tenant, first_name="Bernd", last_name="Vogel")
    net.people["twin"] = twin
    net.has("bernd", "schleifen", level=2)
    net.has("twin", "schleifen", level=4, note="Rundschleifen")
    net.has("twin", "drehen", level=3)
    actions.endorse(net.anna, twin.pk, net.skill("schleifen").pk)
    actions.endorse(net.jana, twin.pk, net.skill("schleifen").pk)
    actions.endorse(net.anna, net["bernd"].pk, net.skill("schleifen").pk)
    merge_people(net["bernd"], twin, by=net.anna)
    rows = {r.skill.key: r for r in PersonSkill.objects.filter(person=net["bernd"])}
    assert set(rows) == {"schleifen", "drehen"}
    assert rows["schleifen"].level == 4 and rows["schleifen"].note == "Rundschleifen"
    assert set(rows["schleifen"].endorsements.values_list("by__username", flat=True)) == {
        "anna",
        "jana",
    }


def test_export_includes_skills_and_erasure_deletes_them(net):
    net.has("weber", "kalibrierung", level=4, note="DAkkS")
    actions.endorse(net.jana, net["weber"].pk, net.skill("kalibrierung").pk)
    data = export_person_data(net.anna, net["weber"])
    assert data["skills"] == [
        {
            "skill": "Kalibrierung",
            "level": 4,
            "self_declared": True,
            "note": "DAkkS",
            "endorsed_by": ["Jana Becker"],
            "derived": {},
        }
    ]
    report = erase_person(net.anna, net["weber"])
    assert report.skills == 2
    assert not PersonSkill.objects.filter(skill__key="kalibrierung").exists()
    assert not Endorsement.objects.exists()
