"""Field types that accept exactly what the OpenAPI document promises, nothing looser.

Pydantic's lax mode would read ``false`` as the number 0 and ``0.5`` as a Unix time;
the API refuses both so that a client's mistake is reported, not silently reinterpreted.
"""

import re
from datetime import date, datetime
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import BeforeValidator, Strict

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso(value):
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("expected an ISO 8601 date such as 2026-11-30 or 2026-11-30T10:00:00Z")
    return value


MAX_ID = 2**63 - 1
Int = Annotated[int, Strict()]
#: A database id in a path or query (strings there, so not strict), within 64 bits.
Id = Annotated[int, Ge(1), Le(MAX_ID)]
#: A database id in a JSON body.
BodyId = Annotated[int, Strict(), Ge(1), Le(MAX_ID)]
Number = Annotated[float, BeforeValidator(lambda v: _number(v))]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso)]
IsoDate = Annotated[date, BeforeValidator(_iso)]


def _number(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    return value
