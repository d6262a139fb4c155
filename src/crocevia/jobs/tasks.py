"""The job queue's own upkeep, a periodic job (CROCEVIA_PERIODIC_JOBS "jobs-prune")."""

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .models import PeriodicRun


@task()
def prune_history() -> dict:
    """Forget finished jobs older than CROCEVIA_JOBS_KEEP_DAYS (failed ones: three times
    that, to be looked into), and the periodic runs as old. Safe to run again."""
    now = timezone.now()
    keep = datetime.timedelta(days=settings.CROCEVIA_JOBS_KEEP_DAYS)
    jobs, _ = DBTaskResult.objects.filter(
        Q(status="SUCCESSFUL", finished_at__lt=now - keep)
        | Q(status="FAILED", finished_at__lt=now - 3 * keep)
    ).delete()
    runs, _ = PeriodicRun.objects.filter(slot__lt=now - keep).delete()
    return {"jobs": jobs, "periodic_runs": runs}
