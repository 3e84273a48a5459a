"""A job: one piece of background work, its progress, and how it ended."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """One run of a registered kind of work (``jobs.runner.handler``) on the task queue.

    The row is written before the queue hears of it and is the truth about the work: the
    queue only carries its id. A worker claims it (queued -> running), beats a heartbeat
    while it runs and ends it (done or failed, with a message). A worker killed on the way
    stops beating; :func:`~geflecht.jobs.runner.reap_lost_jobs` then queues the job again
    or, after its last attempt, fails it with a message, so no job stays "running".
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    #: None for installation-wide work (retention), seen only by superusers.
    tenant = models.ForeignKey(
        "accounts.Tenant",
        verbose_name=_("tenant"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    #: Who started it; None for scheduled work, which the tenant's admins see.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=40)
    #: What the job is about, in the words of its starter ("contacts.vcf").
    label = models.CharField(_("about"), max_length=255, blank=True)
    #: The handler's arguments, as plain data.
    args = models.JSONField(_("arguments"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("of"), null=True, blank=True)
    #: What it is doing now (while running), or what it did (when done).
    message = models.CharField(_("message"), max_length=500, blank=True)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=2)
    #: host:pid of the worker running it, and when that worker last said it still does.
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    #: When it was last put on the queue (a lost job is put there again).
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
            models.Index(fields=["tenant", "-created_at"], name="job_tenant_created"),
            models.Index(fields=["kind", "status"], name="job_kind_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.label} ({self.get_status_display()})".replace("  ", " ")

    @property
    def ended(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))
