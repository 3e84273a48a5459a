"""Formula injection: every text cell that a spreadsheet would run is written as text."""

from __future__ import annotations

import pytest

from geflecht.lib.spreadsheet import safe_cell, safe_row


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example","click")',
        "=cmd|' /C calc'!A0",
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "\uff1d1+1",  # full-width equals sign
        "\uff0bcmd",
        "\uff0dcmd",
        "\uff20SUM(A1)",
    ],
)
def test_text_a_spreadsheet_would_run_is_prefixed_with_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [0, 7, -3, 2.5, -0.25, None, "", "Müller", "a=b", "-5", "+4973"])
def test_numbers_and_harmless_text_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_safe_row_escapes_each_cell():
    assert safe_row([1, "=1+1", "ok"]) == [1, "'=1+1", "ok"]
