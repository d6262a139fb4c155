"""The periodic jobs, enqueued by the workers themselves.

Each worker's scheduler computes, at each tick, every periodic job's current slot
(schedule.py). A slot it has not handled yet it tries to claim: it inserts a PeriodicRun
row (name, slot) and enqueues the job in the same transaction. The unique constraint lets
one insert through; the other workers get an IntegrityError and leave it. The slots
handled are remembered in memory, so a tick costs no query until a slot changes (a few
inserts a minute in all).

A job of the same task and arguments still waiting to run is not enqueued a second time
(a worker busy for a while must not find a pile of seals waiting): the run is recorded
without a job.
"""

import logging
import time

from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from .models import PeriodicRun
from .queue import waiting
from .schedule import Periodic, periodic_jobs

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, worker_id: str = ""):
        self.worker_id = worker_id
        self._handled: dict[str, object] = {}  # name -> last slot claimed or found taken

    def tick(self, now=None) -> list[str]:
        """Claim and enqueue the periodic jobs due at `now`; returns the names enqueued
        (or recorded) by this worker."""
        now = now or timezone.now()
        claimed = []
        for job in periodic_jobs():
            slot = job.slot(now)
            if self._handled.get(job.name) == slot:
                continue
            try:
                task = _task(job)
            except (ImportError, SuspiciousOperation) as exc:
                # Said once per slot; the other jobs go on.
                self._handled[job.name] = slot
                log.error("periodic job %s: task %s not found: %s", job.name, job.task_path, exc)
                continue
            try:
                if self._claim(job, task, slot):
                    claimed.append(job.name)
            except DatabaseError:
                # The database gone for now: tried again at the next tick.
                log.exception("periodic job %s: not enqueued", job.name)
                continue
            self._handled[job.name] = slot
        return claimed

    def _claim(self, job: Periodic, task: Task, slot) -> bool:
        started = time.perf_counter()
        try:
            with transaction.atomic():
                run = PeriodicRun.objects.create(
                    name=job.name, slot=slot, task_path=job.task_path, worker_id=self.worker_id
                )
                if not waiting(task, job.kwargs):
                    run.job_id = task.enqueue(**job.kwargs).id
                    run.save(update_fields=["job_id"])
        except IntegrityError:
            return False  # another worker's
        log.info(
            "periodic job %s (%s) for %s: %s in %.0f ms",
            job.name,
            job.when,
            timezone.localtime(slot).isoformat(timespec="minutes"),
            f"job {run.job_id}" if run.job_id else "one still waiting, none added",
            (time.perf_counter() - started) * 1000,
        )
        return True


def _task(job: Periodic) -> Task:
    task = import_string(job.task_path)
    if not isinstance(task, Task):
        raise SuspiciousOperation(f"{job.task_path} is not a task")
    return task
