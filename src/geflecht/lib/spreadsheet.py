"""Cells for CSV and spreadsheet files that a user will open in Excel or LibreOffice.

A text cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return that
a spreadsheet skips) is read as a formula: a contact named ``=HYPERLINK("http://evil",
"click")`` or ``=cmd|' /C calc'!A0`` would run when the export is opened (CSV/formula
injection, OWASP). Every CSV or XLSX writer passes its cells through :func:`safe_cell`
(or a row through :func:`safe_row`), which prefixes such text with a single quote, the
spreadsheets' own "this is text" mark. Numbers stay numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["FORMULA_STARTS", "safe_cell", "safe_row"]

#: First characters that make a spreadsheet read a cell as a formula, with the
#: full-width forms that some spreadsheets fold to them.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")

# A plain number written as text ("-12", "+49731987650", "-0.5"): no formula can hide
# in it, and quoting it would spoil numbers and international phone numbers.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` made safe to write into a CSV or spreadsheet cell.

    >>> safe_cell('=HYPERLINK("http://x.example")')
    '\\'=HYPERLINK("http://x.example")'
    >>> safe_cell(-3), safe_cell("-3"), safe_cell("Müller")
    (-3, '-3', 'Müller')
    """
    if not isinstance(value, str) or not value or value[0] not in FORMULA_STARTS:
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through :func:`safe_cell`."""
    return [safe_cell(v) for v in values]
