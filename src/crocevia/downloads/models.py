"""A file prepared by the worker for one user (a large export, a report file).

The request that asks for a file creates a `PreparedFile` and enqueues its job
(`services.prepare_file`); the job writes the file into the default storage and marks the
row ready (`tasks.produce`); the user downloads it from its page, and only they may. A
file is kept for a day (`services.LIFETIME`), then removed (`tasks.expire_prepared_files`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PreparedFile(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="prepared_files",
        verbose_name=_("user"),
    )
    # What the user asked for, in their words ("Export of persons (Excel)"): names no one.
    title = models.CharField(_("title"), max_length=200)
    file_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=120)
    # The language of the request that asked for it: the file and its error are written in it.
    language = models.CharField(_("language"), max_length=8, default="it")
    # Which registered producer writes it (producers.register), with what (JSON).
    producer = models.CharField(_("producer"), max_length=80)
    arguments = models.JSONField(_("arguments"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    # The job of the task queue that prepares it (its id in the queue's table).
    job_id = models.CharField(_("job"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Set by each attempt's claim: only the attempt holding it may finish the row (two
    # attempts of one job never both write it).
    attempt_token = models.CharField(_("attempt"), max_length=32, blank=True)
    storage_name = models.CharField(_("stored as"), max_length=300, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("prepared file")
        verbose_name_plural = _("prepared files")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="downloads_user_recent")]

    def __str__(self) -> str:
        return self.title

    @property
    def pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def ready(self) -> bool:
        return self.status == self.Status.READY
