"""The installation's tie-strength parameters (defaults overridden by settings)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from geflecht.network.strength import StrengthParams


@cache
def _params_for(items: tuple) -> StrengthParams:
    try:
        return StrengthParams.from_mapping(
            {k: dict(v) if isinstance(v, tuple) else v for k, v in items}
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"GEFLECHT_STRENGTH_PARAMS: {exc}") from None


def strength_params() -> StrengthParams:
    """Parameters in force: StrengthParams defaults updated by GEFLECHT_STRENGTH_PARAMS."""
    raw = settings.GEFLECHT_STRENGTH_PARAMS
    return _params_for(tuple(sorted((k, _freeze(v)) for k, v in raw.items())))


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value
