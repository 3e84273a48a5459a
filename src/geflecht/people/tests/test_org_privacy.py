"""Organisations a private import brings in stay with the importer, like its contacts.

Anna imports her private address book; the firm her friend Gerlinde works at exists
only there. Jana must not learn of it through any list, search, count or export, and
no shared person may ever be shown working at it.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError

from geflecht.accounts.actions import add_to_team
from geflecht.importers.export import export_people
from geflecht.importers.load import import_file
from geflecht.network.queries import tenant_overview
from geflecht.network.reach import key_person_risks
from geflecht.people import actions
from geflecht.people.models import Organization, Person, Position
from geflecht.people.queries import (
    forget_search_index,
    search,
    visible_organizations,
    visible_sites,
)

VCARD = """BEGIN:VCARD
VERSION:3.0
N:Geheimnisvoll;Gerlinde;;;
FN:Gerlinde Geheimnisvoll
ORG:Verborgene Werkstatt GmbH
TITLE:Inhaberin
ADR;TYPE=WORK:;;Mühlweg 3;Geheimweiler;;88888;Deutschland
EMAIL:gerlinde@privat.example
END:VCARD
"""


# A shared contact at the same firm, in someone's company-wide import.
KARL = (
    VCARD.replace("Geheimnisvoll;Gerlinde", "Kunde;Karl")
    .replace("FN:Gerlinde Geheimnisvoll", "FN:Karl Kunde")
    .replace("gerlinde@", "karl@")
)


@pytest.fixture
def anna_imported(owner, colleague, tmp_path):
    path = tmp_path / "privat.vcf"
    path.write_text(VCARD)
    report = import_file(path, user=owner, private=True)
    assert report.people.created == 1
    forget_search_index()
    return Organization.objects.get(name="Verborgene Werkstatt GmbH")


def test_a_private_import_keeps_its_new_firm_with_the_importer(anna_imported, owner, colleague):
    assert (anna_imported.visibility, anna_imported.owner_id) == ("private", owner.pk)
    assert visible_organizations(owner).filter(pk=anna_imported.pk).exists()
    assert not visible_organizations(colleague).filter(pk=anna_imported.pk).exists()
    assert visible_sites(owner).filter(city="Geheimweiler").exists()
    assert not visible_sites(colleague).filter(city="Geheimweiler").exists()


def test_search_counts_and_exports_do_not_show_the_firm(anna_imported, owner, colleague):
    def found(user, text):
        return {(h.kind, h.label) for h in search(user, text)}

    assert ("organization", "Verborgene Werkstatt GmbH") in found(owner, "Verborgene Werkstatt")
    assert not {k for k, _ in found(colleague, "Verborgene Werkstatt")}
    assert not found(colleague, "Geheimweiler")
    assert tenant_overview(owner).organizations == tenant_overview(colleague).organizations + 1

    out = StringIO()
    export_people(colleague, "json", out)
    assert "Verborgene" not in out.getvalue()
    out = StringIO()
    export_people(owner, "json", out)
    names = {o["name"] for o in json.loads(out.getvalue())["organizations"]}
    assert "Verborgene Werkstatt GmbH" in names


def test_key_person_risk_leaves_out_a_colleagues_private_customer(anna_imported, owner, colleague):
    actions.update_organization(owner, anna_imported, kind="customer")
    assert anna_imported.pk in {r.organization.pk for r in key_person_risks(owner)}
    assert anna_imported.pk not in {r.organization.pk for r in key_person_risks(colleague)}


def test_a_shared_import_never_attaches_shared_people_to_someone_elses_private_firm(
    anna_imported, colleague, tmp_path
):
    path = tmp_path / "shared.vcf"
    path.write_text(KARL)
    report = import_file(path, user=colleague, private=False)
    assert report.organizations.created == 1
    karl = Person.objects.get(last_name="Kunde")
    firm = Position.objects.get(person=karl).organization
    assert firm.pk != anna_imported.pk
    assert firm.visibility == "company"
    anna_imported.refresh_from_db()
    assert anna_imported.visibility == "private"


def test_the_importers_own_firm_is_shared_when_she_imports_shared_people_there(
    anna_imported, owner, colleague, tmp_path
):
    path = tmp_path / "shared.vcf"
    path.write_text(KARL)
    report = import_file(path, user=owner, private=False)
    assert report.organizations.created == 0
    anna_imported.refresh_from_db()
    assert anna_imported.visibility == "company"
    assert visible_organizations(colleague).filter(pk=anna_imported.pk).exists()


def test_no_shared_person_can_be_placed_at_a_private_firm(anna_imported, owner, tenant):
    weber = Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")
    with pytest.raises(ValidationError) as refused:
        actions.add_position(owner, weber, anna_imported, title="Berater")
    assert "share the organisation first" in str(refused.value)
    assert not Position.objects.filter(person=weber).exists()


def test_a_private_contact_is_not_shared_while_her_firm_is_private(anna_imported, owner):
    gerlinde = Person.objects.get(last_name="Geheimnisvoll")
    with pytest.raises(ValidationError) as refused:
        actions.update_person(gerlinde, by=owner, visibility="company")
    assert "Verborgene Werkstatt GmbH" in str(refused.value)
    gerlinde.refresh_from_db()
    assert gerlinde.visibility == "private"
    # Shared in the right order, both go through.
    actions.update_organization(owner, anna_imported, visibility="company")
    actions.update_person(gerlinde, by=owner, visibility="company")


def test_a_firm_with_shared_staff_cannot_be_made_private(owner, colleague, tenant):
    firm = actions.create_organization(owner, name="Offene Fabrik AG")
    weber = Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")
    actions.add_position(owner, weber, firm)
    with pytest.raises(ValidationError) as refused:
        actions.update_organization(owner, firm, visibility="private")
    assert "cannot be seen by fewer people" in str(refused.value)
    firm.refresh_from_db()
    assert firm.visibility == "company"


def test_only_the_owner_changes_who_sees_a_team_firm(owner, colleague):
    firm = actions.create_organization(owner, name="Team Fabrik", visibility="team")
    add_to_team(owner, "Vertrieb Süd")
    add_to_team(colleague, "Vertrieb Süd")
    assert visible_organizations(colleague).filter(pk=firm.pk).exists()
    with pytest.raises(ValidationError):
        actions.update_organization(colleague, firm, visibility="company")
    actions.update_organization(owner, firm, visibility="company")


def test_a_colleague_cannot_write_to_a_private_firm(anna_imported, colleague):
    with pytest.raises(ValidationError):
        actions.create_site(colleague, anna_imported, city="Ulm")
    with pytest.raises(ValidationError):
        actions.update_organization(colleague, anna_imported, notes="x")


def test_merging_a_private_contact_into_a_shared_person_shares_her_firm(
    anna_imported, owner, colleague, tenant
):
    shared = Person.objects.create(tenant=tenant, first_name="Gerlinde", last_name="Geheimnisvoll")
    private = Person.objects.get(last_name="Geheimnisvoll", visibility="private")
    actions.merge_people(shared, private, by=owner)
    anna_imported.refresh_from_db()
    assert anna_imported.visibility == "company"
    assert Position.objects.filter(person=shared, organization=anna_imported).exists()
