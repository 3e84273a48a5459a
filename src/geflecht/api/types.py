"""Field types that accept exactly what the OpenAPI document promises, nothing looser.

Pydantic's lax mode would read ``false`` as the number 0 and ``0.5`` as a Unix time;
the API refuses both so that a client's mistake is reported, not silently reinterpreted.
"""

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, Literal

from annotated_types import Ge, Le
from django.utils import timezone
from pydantic import AfterValidator, BeforeValidator, Field, Strict, WithJsonSchema

from geflecht.lib.models import Visibility
from geflecht.people.models import Organization

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso(value):
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("expected an ISO 8601 date such as 2026-11-30 or 2026-11-30T10:00:00Z")
    return value


def _whole(value):
    """A JSON integer as JSON Schema reads it: ``3.0`` is the integer 3 (``true``, ``"3"``
    and ``3.5`` stay refused by the strict check)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


MAX_ID = 2**63 - 1
# The BeforeValidator goes last, so that it wraps the whole check and the bounds stay
# in the document as minimum/maximum.
Int = Annotated[int, Strict(), BeforeValidator(_whole)]
#: A database id in a path or query (strings there, so not strict), within 64 bits.
Id = Annotated[int, Ge(1), Le(MAX_ID)]
#: A database id in a JSON body.
BodyId = Annotated[int, Strict(), Ge(1), Le(MAX_ID), BeforeValidator(_whole)]


def _money(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected an amount in euros, a number such as 1250.5")
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError("the amount is out of range") from None


MAX_MONEY = Decimal("999999999999.99")
#: An amount in euros (a JSON number, kept to the cent), from 0 to below a trillion.
Money = Annotated[
    Decimal,
    Ge(0),
    Le(MAX_MONEY),
    BeforeValidator(_money),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_MONEY)}),
]


def _utc(value: datetime) -> datetime:
    """Aware, in UTC: databases differ in the offsets they accept (PostgreSQL stops at
    15:59 hours), a UTC instant is the same moment everywhere. Naive times are read in
    the installation's time zone."""
    try:
        if value.tzinfo is None:
            value = timezone.make_aware(value)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("the date is out of range") from None


IsoDateTime = Annotated[datetime, BeforeValidator(_iso), AfterValidator(_utc)]
IsoDate = Annotated[date, BeforeValidator(_iso)]


def _number(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    return value


Number = Annotated[float, BeforeValidator(_number)]

#: The enumerations the API shares, taken from the models so they never drift apart
#: (a type checker only knows them as strings: it cannot read the models' choices).
if TYPE_CHECKING:
    VisibilityName = str
    OrganizationKind = str
else:
    VisibilityName = Literal[tuple(Visibility.values)]
    OrganizationKind = Literal[tuple(Organization.Kind.values)]


def NotSent(**constraints: Any) -> Any:
    """The default of a field a patch may leave out. Sent, it must not be null (the
    OpenAPI type stays non-nullable); left out, it is not applied (``exclude_unset``)."""
    return Field(None, **constraints)
