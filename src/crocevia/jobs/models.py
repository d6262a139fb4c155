"""The runs of the periodic jobs: one row per job and slot, so one worker enqueues each."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PeriodicRun(models.Model):
    """A periodic job's run for one slot (its scheduled time), claimed by a worker.

    The unique (name, slot) is the whole coordination between workers: each tries to
    insert the row, and the one whose insert succeeds enqueues the job in the same
    transaction. `job_id` is that job's task result; empty when a job of the same task
    was still waiting to run, so no second one was enqueued."""

    name = models.CharField(_("periodic job"), max_length=100)
    slot = models.DateTimeField(_("scheduled for"))
    task_path = models.CharField(_("task"), max_length=200)
    worker_id = models.CharField(_("enqueued by worker"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("enqueued at"), default=timezone.now)
    job_id = models.UUIDField(_("job"), null=True, blank=True)

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")
        ordering = ["-slot", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "slot"], name="jobs_periodicrun_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.slot:%Y-%m-%d %H:%M}"
