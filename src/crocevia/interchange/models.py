from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import charset


class ImportJob(models.Model):
    """An import started from the browser: its durable state (progress while a phase runs
    is in the "jobs" cache, see importjobs.py). Its files (the upload until the job ends,
    then the error report) are in the storage under `imports/<id>/` while `files_kept`."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking the file")
        VALID = "valid", _("Ready to import")
        INVALID = "invalid", _("Errors found")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    RUNNING = (Status.CHECKING, Status.IMPORTING)
    ENDED = (Status.INVALID, Status.DONE, Status.FAILED, Status.CANCELLED)

    kind = models.CharField(_("kind"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), default=0)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    background = models.BooleanField(_("run in the background"), default=False)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # What else the summary tells, {code: count} (kinds.Counts.notices).
    notices = models.JSONField(_("notices"), default=dict, blank=True)
    file_error = models.TextField(_("file error"), blank=True)
    # What the check found in a CSV (charset.py's names; empty for an XLSX).
    encoding = models.CharField(_("encoding"), max_length=12, blank=True)
    delimiter = models.CharField(_("separator"), max_length=1, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("last phase started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), default=0)
    # The queue's task running the current phase of a large file (empty for a small one,
    # run in its request): how a page tells a job waiting for a worker from a dead one.
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    # Whether the storage may still hold files of the job: the expiry looks only at these.
    files_kept = models.BooleanField(_("files kept"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["user", "created_at"], name="importjob_user_created_idx")]

    def __str__(self):
        return f"{self.kind} {self.file_name} ({self.status})"

    @property
    def encoding_label(self) -> str:
        return charset.encoding_label(self.encoding)

    @property
    def delimiter_label(self) -> str:
        return charset.delimiter_label(self.delimiter)

    @property
    def running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def ended(self) -> bool:
        return self.status in self.ENDED
