"""The task queue itself: one huey instance, chosen by ``GEFLECHT_QUEUE_URL``.

The queue carries job ids only (the :class:`~geflecht.jobs.models.Job` row is the truth),
plus the periodic schedule. Storage by URL:

- ``sqlite:///path`` (the default, ``queue.sqlite3`` in the data directory): no server,
  for one machine; a file of its own, so the queue's writes never wait for the app's.
- ``postgres://…``: tables ``huey_*`` in that database, woken by LISTEN/NOTIFY; the
  default when the app's own database is PostgreSQL, so web and workers may run on
  several machines with nothing more to install.
- ``redis://…``: a Redis server, for installations that have one.

With ``GEFLECHT_TASKS_AT_ONCE`` (the tests, and a CLI that should wait) whoever enqueues
also takes the task off the same queue and runs it before going on: the task passes
through the real storage and its serializer, only the process differs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from huey import Huey, PostgresHuey, RedisHuey, SqliteHuey, crontab

log = logging.getLogger(__name__)

__all__ = ["drain", "huey", "periodic", "push", "reset"]

_huey: Huey | None = None
_run_job: Any = None  # the huey task wrapper: calling it enqueues


@dataclass(frozen=True)
class _Periodic:
    name: str
    schedule: Callable[[Any], bool]
    run: Callable[[], None]


_periodic: dict[str, _Periodic] = {}
_executor: Callable[[int], None] | None = None


def default_queue_url() -> str:
    """PostgreSQL's queue lives in the app's own PostgreSQL; SQLite's in a file beside."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = db.get("USER") or ""
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        auth = f"{user}{password}@" if user else ""
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"
    return f"sqlite:///{settings.DATA_DIR / 'queue.sqlite3'}"


def _build() -> Huey:
    url = settings.GEFLECHT_QUEUE_URL or default_queue_url()
    name = settings.GEFLECHT_QUEUE_NAME
    scheme = urlsplit(url).scheme
    # Results live on the job rows; the queue keeps none.
    h: Huey
    if scheme == "sqlite":
        h = SqliteHuey(name, filename=url.removeprefix("sqlite:///"), results=False, timeout=30)
    elif scheme in ("postgres", "postgresql"):
        h = PostgresHuey(name, dsn=url, results=False)
    elif scheme in ("redis", "rediss", "unix"):
        h = RedisHuey(name, url=url, results=False)
    else:
        raise ImproperlyConfigured(
            f"GEFLECHT_QUEUE_URL: unknown queue storage {scheme!r} "
            "(expected sqlite:///path, postgres://… or redis://…)"
        )
    if _executor is None:
        raise ImproperlyConfigured("geflecht.jobs.runner is not loaded")
    global _run_job
    _run_job = h.task(name="geflecht.run_job")(_executor)
    for p in _periodic.values():
        h.periodic_task(p.schedule, name=p.name)(p.run)
    return h


def huey() -> Huey:
    """The queue, built on first use from the settings."""
    global _huey
    if _huey is None:
        _huey = _build()
    return _huey


def reset() -> None:
    """Forget the queue (after the settings changed: tests)."""
    global _huey
    _huey = None


def set_executor(run: Callable[[int], None]) -> None:
    """The one task the queue runs: execute the job with this id (jobs.runner)."""
    global _executor
    _executor = run
    reset()


def periodic(name: str, schedule: Callable[[Any], bool]) -> Callable:
    """Register ``run()`` to be enqueued by the worker's scheduler on ``schedule`` (a huey
    ``crontab``). Only one worker of an installation should schedule (``--no-periodic``
    on the others); the jobs they start are unique per kind and tenant anyway."""

    def decorator(run: Callable[[], None]) -> Callable[[], None]:
        _periodic[name] = _Periodic(name, schedule, run)
        reset()
        return run

    return decorator


def push(job_id: int) -> None:
    """Put a job on the queue (and run it now with ``GEFLECHT_TASKS_AT_ONCE``)."""
    huey()
    _run_job(job_id)
    if settings.GEFLECHT_TASKS_AT_ONCE:
        drain()


def drain(limit: int = 10_000) -> int:
    """Run what waits on the queue in this process, as a worker would; return how many."""
    h = huey()
    n = 0
    while n < limit and (task := h.dequeue()) is not None:
        h.execute(task)
        n += 1
    return n


def every(minutes: int) -> Callable[[Any], bool]:
    return crontab(minute=f"*/{minutes}")
