"""Starting, running and reaping jobs.

A kind of work is a function registered with :func:`handler`; it gets its job and a
:class:`Progress` and returns its result as plain data (or raises: the job fails with
the message). :func:`start_job` writes the row and queues its id; the worker claims it
atomically (a second message for the same job finds it taken and does nothing), beats
its heartbeat every few seconds while it runs, and ends it.

A handler must leave nothing half-written when it is killed: it writes in transactions
(the database rolls back what a dead worker left open) and may run again from the
start, because a lost job is queued once more (``max_attempts``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from geflecht.jobs import queue
from geflecht.jobs.models import Job

log = logging.getLogger(__name__)

__all__ = [
    "Progress",
    "execute_job",
    "handler",
    "reap_lost_jobs",
    "start_job",
    "title_of",
]

#: A running job's worker writes its heartbeat this often (seconds) ...
HEARTBEAT_SECONDS = 5.0
#: ... and a job whose heartbeat is older than this (seconds) counts as lost.
LOST_AFTER_SECONDS = 60.0
#: A queued job nobody took for this long (seconds) is put on the queue again (its message
#: may have been lost with a queue that was reset); claiming makes a double harmless.
REQUEUE_AFTER_SECONDS = 600.0
#: Progress is written at most this often (seconds), so reporting costs the work nothing.
PROGRESS_EVERY = 0.5

StrOrPromise = str | Promise
Handler = Callable[[Job, "Progress"], Any]


@dataclass(frozen=True)
class Kind:
    name: str
    #: What users read for it ("Import"), translatable.
    title: StrOrPromise
    run: Handler
    max_attempts: int
    #: Ended by hand or by the reaper: what the kind must tidy when a job fails for good.
    on_failed: Callable[[Job], None] | None


_kinds: dict[str, Kind] = {}


def handler(
    name: str,
    *,
    title: StrOrPromise = "",
    max_attempts: int = 2,
    on_failed: Callable[[Job], None] | None = None,
) -> Callable[[Handler], Handler]:
    """Register ``run(job, progress)`` as the kind of job ``name``."""

    def decorator(run: Handler) -> Handler:
        _kinds[name] = Kind(name, title or name, run, max_attempts, on_failed)
        return run

    return decorator


def title_of(name: str) -> str:
    """The kind's name for users (a kind no longer registered keeps its code name)."""
    kind = _kinds.get(name)
    return str(kind.title) if kind is not None else name


def kind_of(name: str) -> Kind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"no kind of job {name!r} is registered") from None


class Progress:
    """What a handler reports while it runs: ``progress(done, total, message)``."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._last = 0.0

    def __call__(self, done: int, total: int | None = None, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY:
            return
        self._last = now
        fields: dict[str, Any] = {"done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["total"] = total
        if message:
            fields["message"] = message[:500]
        Job.objects.filter(pk=self.job.pk).update(**fields)


def start_job(
    kind: str,
    *,
    tenant_id: int | None,
    owner_id: int | None = None,
    label: str = "",
    args: dict | None = None,
    unique: bool = False,
) -> Job:
    """Write a job and queue it once the transaction that writes it commits.

    ``unique``: while a job of this kind for this tenant (and these arguments) waits or
    runs, that job is returned instead of a second one (scheduled work, "sync now").
    """
    spec = kind_of(kind)
    args = args or {}
    with transaction.atomic():
        if unique:
            of_tenant = Q(tenant_id=tenant_id) if tenant_id is not None else Q(tenant=None)
            waiting = (
                Job.objects.select_for_update()
                .filter(
                    of_tenant,
                    kind=kind,
                    args=args,
                    status__in=(Job.Status.QUEUED, Job.Status.RUNNING),
                )
                .first()
            )
            if waiting is not None:
                return waiting
        job = Job.objects.create(
            kind=kind,
            tenant_id=tenant_id,
            owner_id=owner_id,
            label=label[:255],
            args=args,
            max_attempts=spec.max_attempts,
        )
    _queue_on_commit(job.pk)
    return job


def _queue_on_commit(job_id: int) -> None:
    if settings.GEFLECHT_TASKS_AT_ONCE:
        # The caller waits for the work (tests, a CLI): run it now, inside its transaction.
        queue.push(job_id)
    else:
        # A worker must not look for the row before it is committed.
        transaction.on_commit(lambda: queue.push(job_id), robust=True)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


_running: set[int] = set()
_running_lock = threading.Lock()


def execute_job(job_id: int) -> None:
    """Run one job: the queue's only task. Never raises: how it ended is on the row."""
    # A worker thread's connection may have gone stale between jobs; a run inside its
    # caller's transaction (at once, in a test) leaves that connection alone.
    inline = connection.in_atomic_block
    if not inline:
        close_old_connections()
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING,
        worker=_worker_name(),
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        error="",
    )
    if not claimed:
        log.info("job %s is not waiting (taken, ended or deleted): nothing to do", job_id)
        return
    job = Job.objects.get(pk=job_id)
    with _running_lock:
        _running.add(job_id)
    try:
        result = kind_of(job.kind).run(job, Progress(job))
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, job.kind)
        _end(job, Job.Status.FAILED, error=_message_of(exc))
    else:
        _end(job, Job.Status.DONE, result=result)
    finally:
        with _running_lock:
            _running.discard(job_id)
        if not inline:
            close_old_connections()


def _message_of(exc: Exception) -> str:
    from geflecht.lib.errors import classify, message_of

    if classify(exc) is not None:
        return message_of(exc)
    return _("An unexpected error stopped it (%(kind)s: %(reason)s).") % {
        "kind": type(exc).__name__,
        "reason": exc,
    }


def _end(job: Job, status: str, *, result: Any = None, error: str = "") -> None:
    fields: dict[str, Any] = {"status": status, "finished_at": timezone.now(), "error": error}
    if status == Job.Status.DONE:
        fields["result"] = result
        # A finished job has done all it counted; ``job`` is the row as it was claimed,
        # before its progress wrote a total, so the database's own total is taken.
        fields["done"] = Coalesce(F("total"), F("done"))
    Job.objects.filter(pk=job.pk).update(**fields)
    if status == Job.Status.FAILED:
        job.refresh_from_db()
        _tidy_failed(job)


def _tidy_failed(job: Job) -> None:
    tidy = kind_of(job.kind).on_failed if job.kind in _kinds else None
    if tidy is not None:
        try:
            tidy(job)
        except Exception:  # the job stays failed with its message; the tidying is logged
            log.exception("tidying failed job %s", job.pk)


# -- the worker's side -------------------------------------------------------------------


def beat() -> int:
    """Write the heartbeat of the jobs this process runs now; return how many."""
    with _running_lock:
        ids = list(_running)
    if not ids:
        return 0
    return Job.objects.filter(pk__in=ids, status=Job.Status.RUNNING).update(
        heartbeat_at=timezone.now()
    )


def start_heartbeat(stop: threading.Event) -> threading.Thread:
    """The worker's heartbeat thread: it dies with the worker, and so does the heartbeat."""

    def run() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                beat()
            except Exception:  # the next beat tries again; a job is lost only after a minute
                log.exception("writing the heartbeat failed")
            finally:
                close_old_connections()

    thread = threading.Thread(target=run, name="job-heartbeat", daemon=True)
    thread.start()
    return thread


def _pid_is_gone(worker: str) -> bool:
    """Whether ``host:pid`` names a process of this host that no longer runs."""
    host, _sep, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def reap_lost_jobs() -> list[Job]:
    """Jobs whose worker died: queue them again, or fail them after their last attempt.

    A running job is lost when its heartbeat is older than a minute, or at once when its
    worker was a process of this host that is gone (a worker that starts after a crash
    finds its predecessor's jobs). Returns the jobs it ended or queued again.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=LOST_AFTER_SECONDS)
    handled = []
    for job in Job.objects.filter(status=Job.Status.RUNNING).exclude(pk__in=list(_running)):
        if not (job.heartbeat_at is None or job.heartbeat_at < stale or _pid_is_gone(job.worker)):
            continue
        with transaction.atomic():
            fresh = Job.objects.select_for_update().filter(pk=job.pk).first()
            if fresh is None or fresh.status != Job.Status.RUNNING:
                continue
            if fresh.attempts < fresh.max_attempts:
                fresh.status, fresh.queued_at = Job.Status.QUEUED, now
                fresh.message = _(
                    "The worker stopped while running this; it starts again "
                    "(attempt %(next)d of %(max)d)."
                ) % {"next": fresh.attempts + 1, "max": fresh.max_attempts}
                fresh.save(update_fields=["status", "queued_at", "message"])
                _queue_on_commit(fresh.pk)
            else:
                fresh.status = Job.Status.FAILED
                fresh.finished_at = now
                fresh.error = _(
                    "The worker stopped while running this (it was killed or its machine "
                    "restarted), %(n)d times. Nothing half-written was kept; start it again."
                ) % {"n": fresh.attempts}
                fresh.save(update_fields=["status", "finished_at", "error"])
        if fresh.status == Job.Status.FAILED:
            _tidy_failed(fresh)
        handled.append(fresh)
        log.warning("job %s (%s) was lost by worker %s", job.pk, job.kind, job.worker)
    forgotten = list(
        Job.objects.filter(
            status=Job.Status.QUEUED,
            queued_at__lt=now - timedelta(seconds=REQUEUE_AFTER_SECONDS),
        ).values_list("pk", flat=True)
    )
    if forgotten:
        Job.objects.filter(pk__in=forgotten).update(queued_at=now)
        for job_id in forgotten:
            queue.push(job_id)
    return handled


queue.set_executor(execute_job)
