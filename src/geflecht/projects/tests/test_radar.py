"""Target-account radar: parsing with clear row errors, fuzzy matching, ranking, export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from geflecht.people.models import Organization, Site
from geflecht.projects.radar import RadarError, export_csv, parse_targets, radar_file

FIXTURE = Path(__file__).parent / "data" / "targets.csv"


def test_parse_keeps_valid_rows_and_names_row_and_field_of_bad_ones():
    targets, errors = parse_targets(FIXTURE.read_bytes())
    assert [t.name for t in targets][:2] == ["ACME Maschinenbau", "Acme Maschinenbau GmbH & Co. KG"]
    assert len(targets) == 4
    assert [(e.row, e.field) for e in errors] == [(6, "name"), (7, "city"), (8, "website")]
    assert "row 8, website" in errors[2].text()


def test_parse_reads_semicolons_german_headers_and_cp1252():
    data = "Firma;Ort;Branche\nMüller Drehteile;Aalen;Metall\n".encode("cp1252")
    targets, errors = parse_targets(data)
    assert errors == []
    assert targets[0].name == "Müller Drehteile" and targets[0].city == "Aalen"


@pytest.mark.parametrize(
    "data, message",
    [(b"", "empty"), (b"name,website\nx,y\n", "city, industry"), (b"\x00\x01", "not a CSV")],
)
def test_unusable_files_are_refused_with_a_clear_message(data, message):
    with pytest.raises(RadarError, match=message):
        parse_targets(data)


def test_radar_matches_fuzzy_names_and_ranks_by_warm_access(world, project):
    hirsch = Organization.objects.create(
        tenant=world.tenant, name="Hirsch Praezisionsteile", kind="prospect"
    )
    Site.objects.create(tenant=world.tenant, organization=hirsch, name="HQ", city="Reutlingen")
    result = radar_file(world.jana, FIXTURE.read_bytes())
    rows = {r.target.name: r for r in result.rows}
    acme = rows["ACME Maschinenbau"]
    assert acme.organization == world.acme
    assert rows["Acme Maschinenbau GmbH & Co. KG"].organization == world.acme
    assert rows["Hirsch Präzisionsteile AG"].organization == hirsch
    assert rows["Unbekannte Werke KG"].organization is None
    assert acme.rank == 1 and acme.strength > 0
    assert acme.independent_paths >= 2  # Anna -> Weber and Jana/Bernd -> Kurz
    assert acme.ask is not None and acme.entry is not None
    assert rows["Unbekannte Werke KG"].rank == len(result.rows)


def test_radar_never_names_a_colleagues_private_contact(world, project):
    text = export_csv(radar_file(world.jana, FIXTURE.read_bytes()).rows)
    assert "Geheimnisvoll" not in text and "Gerlinde" not in text


def test_export_is_csv_with_a_header(world, project):
    rows = radar_file(world.anna, FIXTURE.read_bytes()).rows
    parsed = list(csv.DictReader(io.StringIO(export_csv(rows))))
    assert len(parsed) == 4
    assert parsed[0]["matched_organisation"] == "ACME Maschinenbau GmbH"
    assert float(parsed[0]["best_strength"]) > 0


def test_export_writes_formula_like_cells_as_text(world, project):
    data = 'name,city,industry,website\n=HYPERLINK("http://evil.example"),-Ulm,@x,-evil.example\n'
    rows = radar_file(world.anna, data.encode()).rows
    (parsed,) = csv.DictReader(io.StringIO(export_csv(rows)))
    assert parsed["name"] == '\'=HYPERLINK("http://evil.example")'
    assert (parsed["city"], parsed["industry"], parsed["website"]) == (
        "'-Ulm",
        "'@x",
        "'-evil.example",
    )
    assert parsed["rank"] == "1"
