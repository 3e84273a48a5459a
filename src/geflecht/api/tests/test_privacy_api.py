"""GDPR through the API: export, erasure, legal basis, and the audit trail of reads."""

from __future__ import annotations

from geflecht.network.snapshot import current_graph
from geflecht.people.models import Person
from geflecht.privacy.models import AuditEntry


def test_reading_and_changing_a_person_is_audited(world, anna):
    weber = world["weber"]
    anna.get(f"/api/v1/persons/{weber.pk}")
    anna.patch(f"/api/v1/persons/{weber.pk}", {"version": 1, "notes": "Neu"})
    trail = list(
        AuditEntry.objects.filter(person_id=weber.pk)
        .order_by("id")
        .values_list("action", "username")
    )
    assert trail == [("read", "anna"), ("change", "anna")]


def test_export_contains_the_person_and_is_audited(world, anna):
    weber = world["weber"]
    data = anna.get(f"/api/v1/persons/{weber.pk}/export").json()
    assert data["person"]["last_name"] == "Weber"
    assert any(i["subject"] == "Angebot Messmaschine" for i in data["interactions"])
    assert AuditEntry.objects.filter(person_id=weber.pk, action="export").exists()


def test_a_colleague_cannot_export_or_erase_my_private_contact(world, jana):
    secret = world["secret"]
    for response in (
        jana.get(f"/api/v1/persons/{secret.pk}/export"),
        jana.delete(f"/api/v1/persons/{secret.pk}"),
    ):
        assert response.status_code == 404
        assert "Geheimnisvoll" not in response.content.decode()
    assert Person.objects.filter(pk=secret.pk).exists()


def test_members_cannot_erase_shared_people(world, jana):
    response = jana.delete(f"/api/v1/persons/{world['weber'].pk}")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_the_owner_erases_a_private_contact_and_the_graph_forgets_it(world, owner, anna):
    secret = world["secret"]
    assert current_graph(owner.tenant_id).node(secret.pk) is not None
    report = anna.delete(f"/api/v1/persons/{secret.pk}")
    assert report.status_code == 200 and report.json()["person_id"] == secret.pk
    assert not Person.objects.filter(pk=secret.pk).exists()
    assert anna.get(f"/api/v1/persons/{secret.pk}").status_code == 404
    snap = current_graph(owner.tenant_id)
    node = snap.node(secret.pk)
    assert node is None or snap.graph.degrees()[node] == 0


def test_legal_basis_is_recorded_with_field_errors_for_bad_values(world, anna):
    weber = world["weber"]
    url = f"/api/v1/persons/{weber.pk}/legal-basis"
    ok = anna.put(url, {"legal_basis": "legitimate_interests", "source": "Messe"})
    assert ok.status_code == 200 and ok.json()["legal_basis"] == "legitimate_interests"
    bad = anna.put(url, {"legal_basis": "because"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "legal_basis"
