"""Import jobs: a file being imported in the background, with its progress and report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from geflecht.lib.models import TenantOwned


class ImportJob(TenantOwned):
    """One uploaded file on its way in: the page shows its progress, then its report."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    file_name = models.CharField(_("file"), max_length=255)
    private = models.BooleanField(_("only for me"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.RUNNING)
    entries_done = models.PositiveIntegerField(_("entries read"), default=0)
    bytes_done = models.PositiveBigIntegerField(_("bytes read"), default=0)
    bytes_total = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    #: What the import did, as plain data (see ``importers.jobs.report_data``).
    report = models.JSONField(_("report"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    #: The background job that runs it (its attempts, heartbeat and worker).
    job = models.OneToOneField(
        "jobs.Job",
        verbose_name=_("job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_run",
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if not self.bytes_total:
            return 0
        return min(100, round(100 * self.bytes_done / self.bytes_total))


class ImportLock(models.Model):
    """One row per tenant that every import batch locks while it writes.

    An import matches its contacts against the people it loaded when it started; a second
    import of the same tenant writing in between would go unseen, and the same file
    uploaded twice at once would create everyone twice. Each batch therefore takes this
    row with ``select_for_update`` inside its transaction (on SQLite the IMMEDIATE
    transaction is the lock) and, when ``generation`` moved on since its last batch,
    reloads what it knows before it writes.
    """

    tenant = models.OneToOneField(
        "accounts.Tenant",
        verbose_name=_("tenant"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    #: Raised by every import batch: another import wrote since I last looked.
    generation = models.PositiveBigIntegerField(_("generation"), default=0)

    class Meta:
        verbose_name = _("import lock")
        verbose_name_plural = _("import locks")

    def __str__(self) -> str:
        return f"import lock of tenant {self.tenant_id} ({self.generation})"
