"""Excel workbooks are zip files: a small upload may unpack to gigabytes. The member sizes
and the sheet's dimension are checked before openpyxl reads anything."""

from __future__ import annotations

import zipfile

import pytest

from geflecht.importers.load import import_file
from geflecht.importers.parsers import ParseProblem, parse_xlsx
from geflecht.people.models import Person

openpyxl = pytest.importorskip("openpyxl")


def _workbook(path, rows: int = 3):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Vorname", "Nachname", "E-Mail-Adresse"])
    for i in range(rows):
        ws.append(["Karla", f"Kunde{i}", f"k{i}@kunde.example"])
    wb.save(path)
    return path


def _with_dimension(source, target, ref: str | None):
    """A copy of ``source`` whose first sheet claims the dimension ``ref`` (none: no
    dimension at all, so openpyxl reads every row there is)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zo:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index("<dimension ")
                end = text.index("/>", start) + 2
                dimension = f'<dimension ref="{ref}"/>' if ref else ""
                data = (text[:start] + dimension + text[end:]).encode()
            zo.writestr(item, data)
    return target


@pytest.fixture
def no_openpyxl(monkeypatch):
    """openpyxl must not even open a refused workbook."""

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook over the limits")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_workbook_that_unpacks_beyond_the_limit_is_refused_before_openpyxl(tmp_path, no_openpyxl):
    path = _workbook(tmp_path / "bombe.xlsx")
    (problem,) = parse_xlsx(path, max_unpacked_bytes=1000)
    assert isinstance(problem, ParseProblem)
    assert "unpacks to" in problem.reason and "limit" in problem.reason
    assert "GEFLECHT_XLSX_MAX_UNPACKED_MB" in problem.reason


def test_sheet_whose_dimension_exceeds_the_cell_limit_is_refused_before_openpyxl(
    tmp_path, no_openpyxl
):
    path = _with_dimension(_workbook(tmp_path / "a.xlsx"), tmp_path / "b.xlsx", "A1:XFD1048576")
    (problem,) = parse_xlsx(path, max_cells=1_000_000)
    assert "16384 columns x 1048576 rows" in problem.reason
    assert "GEFLECHT_XLSX_MAX_CELLS" in problem.reason


def test_sheet_without_a_dimension_stops_at_the_cell_limit(tmp_path):
    path = _with_dimension(_workbook(tmp_path / "a.xlsx", rows=50), tmp_path / "b.xlsx", None)
    items = list(parse_xlsx(path, max_cells=60))
    problems = [i for i in items if isinstance(i, ParseProblem)]
    assert len(items) < 50 and len(problems) == 1
    assert "more than 60 cells" in problems[0].reason


def test_workbook_within_the_limits_is_read(tmp_path):
    path = _workbook(tmp_path / "klein.xlsx")
    items = list(parse_xlsx(path, max_cells=12, max_unpacked_bytes=1_000_000))
    assert not [i for i in items if isinstance(i, ParseProblem)]
    assert len(items) == 3


def test_import_applies_the_limits_from_the_settings(owner, tmp_path, settings, no_openpyxl):
    settings.GEFLECHT_XLSX_MAX_UNPACKED_BYTES = 1000
    report = import_file(_workbook(tmp_path / "bombe.xlsx"), user=owner)
    (problem,) = report.problems
    assert "unpacks to" in problem.reason
    assert not Person.objects.filter(last_name__startswith="Kunde").exists()


def test_the_limits_have_safe_defaults(settings):
    assert 0 < settings.GEFLECHT_XLSX_MAX_UNPACKED_BYTES <= 200 * 1024 * 1024
    assert 0 < settings.GEFLECHT_XLSX_MAX_CELLS <= 5_000_000
