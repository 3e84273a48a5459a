"""Expensive answers kept per data version, refreshed in the background when it moves.

Some answers read the whole network: counts over a million relationships, Louvain
communities, key-person risk over every colleague, the duplicate review. They change
only when the network changes, and a user is better served by the answer of a moment
ago, at once, than by the exact one after seconds. So:

- the answer for the current ``version`` comes from the cache;
- when the version moved on, the previous answer is returned and a background thread
  (one per key, however many requests ask) computes the new one;
- when there is no answer yet, it is computed while the user waits, or with
  ``wait=False`` in the background while the caller shows that it is on its way
  (:data:`PENDING`; pages then ask again a moment later).

The cache is Django's default cache, shared by every process of the installation
(files in the data directory, or Redis: lib/caches.py), so a process started a minute
ago answers from what another computed. A key names the answer's scope: the tenant for
answers that are the company's (then filtered per user), the user (``user.pk``) for
answers that hold what only that user may see; the version in the entry is the graph
version it was computed for. Callers re-check visibility on what they show: a stale
answer may name someone who has become private since. Tests and the CLI set
``GEFLECHT_REFRESH_IN_BACKGROUND`` off: then a moved version is recomputed at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from typing import Literal, TypeVar, overload

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection

T = TypeVar("T")
log = logging.getLogger(__name__)

_running: set[str] = set()
_lock = threading.Lock()


class Pending:
    def __repr__(self) -> str:
        return "PENDING"

    def __bool__(self) -> bool:
        return False


#: Returned with ``wait=False`` while the first answer is being computed.
PENDING = Pending()


@overload
def remembered(
    key: str,
    version: Hashable,
    compute: Callable[[], T],
    *,
    ttl: int = ...,
    wait: Literal[True] = ...,
) -> T: ...
@overload
def remembered(
    key: str, version: Hashable, compute: Callable[[], T], *, ttl: int = ..., wait: bool
) -> T | Pending: ...
def remembered(
    key: str,
    version: Hashable,
    compute: Callable[[], T],
    *,
    ttl: int = 6 * 3600,
    wait: bool = True,
) -> T | Pending:
    """The answer of ``compute()`` for ``version``, or the last one while it is refreshed."""
    try:
        entry = cache.get(key)
    except Exception:  # an entry an older version of the code wrote: computed anew
        log.warning("the remembered answer %s is unreadable", key, exc_info=True)
        entry = None
    if entry is not None and entry[0] == version:
        return entry[1]
    if settings.GEFLECHT_REFRESH_IN_BACKGROUND and (entry is not None or not wait):
        _refresh_later(key, version, compute, ttl)
        return entry[1] if entry is not None else PENDING
    value = compute()
    cache.set(key, (version, value), ttl)
    return value


#: How long (seconds) one process's claim to refresh a key keeps the others from it; a
#: process that died while refreshing blocks the others no longer than this.
CLAIM_SECONDS = 300


def _refresh_later(key: str, version: Hashable, compute: Callable[[], object], ttl: int) -> None:
    with _lock:
        if key in _running:
            return
        _running.add(key)
    # One refresh per key across all processes that share the cache, not one each.
    claim = f"{key}:refreshing"
    if not cache.add(claim, True, CLAIM_SECONDS):
        with _lock:
            _running.discard(key)
        return

    def run() -> None:
        try:
            close_old_connections()
            cache.set(key, (version, compute()), ttl)
        except Exception:  # the stale answer stays; the next request tries again
            log.exception("refreshing %s failed", key)
        finally:
            cache.delete(claim)
            connection.close()
            with _lock:
                _running.discard(key)

    threading.Thread(target=run, name=f"refresh {key}", daemon=True).start()


def wait_for_refreshes(timeout: float = 30.0) -> None:
    """Block until no refresh runs (benchmarks and tests)."""
    import time

    end = time.monotonic() + timeout
    while _running and time.monotonic() < end:
        time.sleep(0.01)
