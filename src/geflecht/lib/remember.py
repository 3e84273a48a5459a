"""Expensive answers kept per data version, refreshed in the background when it moves.

Some answers read the whole network: counts over a million relationships, Louvain
communities, key-person risk over every colleague, the duplicate review. They change
only when the network changes, and a user is better served by the answer of a moment
ago, at once, than by the exact one after seconds. So:

- the answer for the current ``version`` comes from the cache;
- when the version moved on, the previous answer is returned and a job on the task
  queue (one per key, however many requests ask) computes the new one;
- when there is no answer yet, it is computed while the user waits, or with
  ``wait=False`` in the background while the caller shows that it is on its way
  (:data:`PENDING`; pages then ask again a moment later).

A queue carries plain data, not closures: a computation is a module-level function
registered with :func:`rememberable`, called with keyword arguments that are plain JSON
(``tenant_id`` for an answer that is the company's, ``user_id`` for one that holds what
only that user may see, which it then computes as that user). The cache key is made of
the function's name and those arguments, so an answer is only ever stored under the key
of the arguments it was computed with: one user's answer cannot land under another's.

The cache is Django's default cache, shared by every process of the installation
(files in the data directory, or Redis: lib/caches.py), so a process started a minute
ago answers from what another computed. The version in the entry is the data version it
was computed for (plain JSON too: a tuple comes back as a list, a date as its ISO
string). Callers re-check visibility on what they show: a stale answer may name someone
who has become private since.

This module sits below the task queue: the jobs app hands it the function that starts a
refresh (:func:`set_refresher`: a ``remember.refresh`` job). With
``GEFLECHT_REFRESH_IN_BACKGROUND`` off (the tests), or no refresher, a moved version is
recomputed at once, while the caller waits.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder

log = logging.getLogger(__name__)

__all__ = [
    "PENDING",
    "Pending",
    "Refresh",
    "key_of",
    "refresh_now",
    "rememberable",
    "remembered",
    "set_refresher",
]

F = TypeVar("F", bound=Callable[..., Any])
Param = str | int | float | bool | None

#: How long (seconds) an answer is kept at most.
DEFAULT_TTL = 6 * 3600


class Pending:
    def __repr__(self) -> str:
        return "PENDING"

    def __bool__(self) -> bool:
        return False


#: Returned with ``wait=False`` while the first answer is being computed.
PENDING = Pending()


@dataclass(frozen=True)
class Refresh:
    """What a refresher is asked to bring about, as plain data: run the computation
    ``name`` with ``params`` and store its answer under ``key`` for ``version``."""

    name: str
    params: dict[str, Param]
    key: str
    version: Any
    ttl: int


_computations: dict[str, Callable[..., Any]] = {}
_refresher: Callable[[Refresh], object] | None = None


def _name_of(compute: Callable[..., Any]) -> str:
    return f"{compute.__module__}.{compute.__qualname__}"


def rememberable(compute: F) -> F:
    """Register a module-level function whose answers :func:`remembered` may keep."""
    name = _name_of(compute)
    if "<" in name:  # a lambda or a closure: no other process could find it
        raise TypeError(f"{name} cannot be remembered: register a module-level function")
    _computations[name] = compute
    return compute


def computation(name: str) -> Callable[..., Any]:
    """The registered computation ``name`` (its module is imported if need be)."""
    if name not in _computations:
        # A worker may not have imported the caller's module yet: its import registers it.
        importlib.import_module(name.rpartition(".")[0])
    try:
        return _computations[name]
    except KeyError:
        raise LookupError(f"no remembered computation {name!r} is registered") from None


def set_refresher(refresh: Callable[[Refresh], object] | None) -> None:
    """Who starts a refresh in the background (the jobs app: a job on the task queue)."""
    global _refresher
    _refresher = refresh


def key_of(name: str, params: dict[str, Param]) -> str:
    """The cache key of the answer of ``name`` for ``params``."""
    for param, value in params.items():
        if not isinstance(value, str | int | float | bool | type(None)):
            raise TypeError(
                f"{name}: the argument {param}={value!r} is not plain data "
                "(a remembered computation gets ids and numbers, not objects)"
            )
    return name + "".join(f":{param}={params[param]}" for param in sorted(params))


def _plain(version: Any) -> Any:
    # What the entry holds and a job carries must compare equal to what the caller asks.
    return json.loads(json.dumps(version, cls=DjangoJSONEncoder))


def remembered(
    compute: Callable[..., Any],
    params: dict[str, Param],
    version: Any,
    *,
    ttl: int = DEFAULT_TTL,
    wait: bool = True,
) -> Any:
    """The answer of ``compute(**params)`` for ``version``, or the last one while it is
    refreshed, or (``wait=False``, nothing yet) :data:`PENDING`.

    ``compute`` must be registered with :func:`rememberable`.
    """
    name = _name_of(compute)
    if _computations.get(name) is not compute:
        raise TypeError(f"{name} is not registered with @rememberable")
    key = key_of(name, params)
    version = _plain(version)
    try:
        entry = cache.get(key)
    except Exception:  # an entry an older version of the code wrote: computed anew
        log.warning("the remembered answer %s is unreadable", key, exc_info=True)
        entry = None
    if entry is not None and entry[0] == version:
        return entry[1]
    if (
        settings.GEFLECHT_REFRESH_IN_BACKGROUND
        and _refresher is not None
        and (entry is not None or not wait)
    ):
        try:
            _refresher(Refresh(name, dict(params), key, version, ttl))
        except Exception:  # the last answer is still worth serving; the next request retries
            log.exception("starting the refresh of %s failed", key)
        return entry[1] if entry is not None else PENDING
    value = compute(**params)
    cache.set(key, (version, value), ttl)
    return value


def refresh_now(refresh: Refresh) -> None:
    """Compute the answer ``refresh`` asks for and store it (the refresh job runs this).

    Raises what the computation raises: the last answer stays, and the next request that
    finds the version moved asks again.
    """
    compute = computation(refresh.name)
    if key_of(refresh.name, refresh.params) != refresh.key:
        # Never store one scope's answer under another's key.
        raise ValueError(f"{refresh.key} is not the key of {refresh.name} for {refresh.params}")
    value = compute(**refresh.params)
    cache.set(refresh.key, (_plain(refresh.version), value), refresh.ttl)
