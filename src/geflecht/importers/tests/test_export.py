"""Export to vCard 4.0, CSV and JSON; the vCard round trip; privacy."""

from __future__ import annotations

import csv
import io
import json

from geflecht.accounts.models import Tenant, User
from geflecht.importers.export import export_people
from geflecht.importers.load import import_file
from geflecht.network.actions import record_interaction
from geflecht.people.models import Person


def _snapshot(tenant):
    out = {}
    for p in Person.objects.filter(tenant=tenant, user__isnull=True).prefetch_related(
        "emails", "phones", "positions__organization", "positions__site"
    ):
        pos = p.positions.all()[0] if p.positions.all() else None
        out[(p.title, p.first_name, p.last_name)] = (
            sorted(p.emails.values_list("email", flat=True)),
            sorted(p.phones.values_list("number", flat=True)),
            pos and (pos.organization.name, pos.title, pos.department),
            pos and pos.site and (pos.site.street, pos.site.postal_code, pos.site.city,
                                  pos.site.country),
            p.notes,
            p.tags,
        )  # fmt: skip
    return out


def test_vcard_round_trip_keeps_every_stored_field(owner, files, tmp_path):
    import_file(files / "load_roundtrip.vcf", user=owner)
    first = _snapshot(owner.tenant)
    out = tmp_path / "export.vcf"
    with out.open("w", encoding="utf-8", newline="") as fh:
        assert export_people(owner, "vcard", fh) == 4  # three contacts and Anna herself
    text = out.read_bytes().decode("utf-8")
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    fresh = Tenant.objects.create(name="Neu", slug="neu")
    other = User.objects.create_user(username="neu", tenant=fresh)
    report = import_file(out, user=other)
    assert report.problems == []
    second = _snapshot(fresh)
    del second[("", "Anna", "Schmidt")]
    assert second == first


def test_csv_has_one_row_per_visible_person(owner, colleague, files):
    import_file(files / "load_roundtrip.vcf", user=owner, private=False)
    import_file(files / "load_broken.vcf", user=owner, private=True)
    buf = io.StringIO()
    n = export_people(colleague, "csv", buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert n == len(rows) == 5  # Anna, Jana and the three shared contacts
    assert not any(r["last_name"] in ("Erste", "Zweite", "Kaputt") for r in rows)
    mueller = next(r for r in rows if r["last_name"] == "Müller-Lüdenscheid")
    assert mueller["organization"] == "Großhandel Süd GmbH" and mueller["city"] == "München"
    assert n == 5
    assert export_people(owner, "csv", io.StringIO()) == 8


def test_json_has_relationships_with_strength_and_hides_private_ones(
    owner, colleague, tenant, files
):
    import_file(files / "load_roundtrip.vcf", user=owner, private=False)
    private = Person.objects.create(
        tenant=tenant, last_name="Geheim", visibility="private", owner=owner
    )
    b = Person.objects.get(last_name="Weiß")
    record_interaction(
        tenant=tenant,
        kind="meeting",
        occurred_at=b.created_at,
        participants=[(owner.person_id, "organiser"), (b.pk, "attendee")],
        recorded_by=owner,
    )
    record_interaction(
        tenant=tenant,
        kind="meeting",
        occurred_at=b.created_at,
        participants=[(owner.person_id, "organiser"), (private.pk, "attendee")],
        recorded_by=owner,
    )
    buf = io.StringIO()
    export_people(colleague, "json", buf)
    data = json.loads(buf.getvalue())
    ids = {p["id"] for p in data["people"]}
    assert private.pk not in ids and b.pk in ids
    assert {o["name"] for o in data["organizations"]} >= {"Weiß Technik AG"}
    (rel,) = data["relationships"]
    assert {rel["person_a"], rel["person_b"]} == {owner.person_id, b.pk}
    assert 0 < rel["strength"] <= 1 and rel["kind"] == "business"
    mine = io.StringIO()
    export_people(owner, "json", mine)
    assert len(json.loads(mine.getvalue())["relationships"]) == 2


def test_export_query_count_is_bounded(owner, tmp_path, django_assert_max_num_queries):
    cards = "".join(
        f"BEGIN:VCARD\nVERSION:3.0\nFN:V{i} N{i}\nN:N{i};V{i};;;\nEMAIL:p{i}@x.example\n"
        f"ORG:Firma {i % 5}\nEND:VCARD\n"
        for i in range(120)
    )
    (tmp_path / "c.vcf").write_text(cards)
    import_file(tmp_path / "c.vcf", user=owner)
    for fmt in ("vcard", "csv", "json"):
        with django_assert_max_num_queries(12):
            export_people(owner, fmt, io.StringIO())


def test_csv_export_writes_formula_like_names_as_text(owner, tenant):
    Person.objects.create(
        tenant=tenant,
        first_name='=HYPERLINK("http://evil.example","Klick")',
        last_name="=cmd|' /C calc'!A0",
        notes="@SUM(1+1)",
        tags=["\uff1dfull-width"],
    )
    buf = io.StringIO()
    export_people(owner, "csv", buf)
    row = next(r for r in csv.DictReader(io.StringIO(buf.getvalue())) if r["notes"])
    assert row["first_name"] == '\'=HYPERLINK("http://evil.example","Klick")'
    assert row["last_name"] == "'=cmd|' /C calc'!A0"
    assert row["notes"] == "'@SUM(1+1)"
    assert row["tags"] == "'\uff1dfull-width"
    assert row["id"].isdigit()  # numbers stay numbers
