"""Jobs whose worker died go back to the queue.

A job is RUNNING from the moment a worker claims it (its worker id appended to the
result's `worker_ids`) until the worker records how it ended. A worker killed in between
(SIGKILL, the OOM killer, a lost host) records nothing: its job would stay RUNNING for
ever. Every worker's sweeper looks, every few seconds, for RUNNING jobs started more than
CROCEVIA_JOBS_HEARTBEAT_TTL ago whose worker has no live heartbeat (heartbeat.py):

- seen so twice, a heartbeat interval or more apart (a cache that was emptied, Redis
  restarted, is written again by live workers within one interval), the job is put back
  READY to run again, its `worker_ids` kept: their number is the number of attempts;
- after CROCEVIA_JOBS_MAX_ATTEMPTS attempts it is recorded FAILED instead, with an error
  naming the workers, which the jobs' admin shows.

Each change is a compare-and-set on (id, RUNNING, started_at): two sweepers never both
act on one job, nor on a job claimed again meanwhile. A job run again must be safe to run
again: one transaction, or idempotent steps (every task of Crocevia is).
"""

import datetime
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from . import heartbeat

log = logging.getLogger(__name__)

RUNNING, READY, FAILED = "RUNNING", "READY", "FAILED"


class WorkerDied(Exception):
    """The job's worker stopped without recording how the job ended, too many times."""


@dataclass
class Swept:
    requeued: list = field(default_factory=list)  # ids put back in the queue
    failed: list = field(default_factory=list)  # ids recorded as failed


class Sweeper:
    """One per worker; remembers the jobs it found without a heartbeat at its last sweeps.

    `grace`: how long a job must have been seen without a heartbeat before it is acted on
    (default: two heartbeat intervals)."""

    def __init__(self, *, grace: float | None = None, clock=time.monotonic):
        self.grace = settings.CROCEVIA_JOBS_HEARTBEAT_SECONDS * 2 if grace is None else grace
        self.clock = clock
        self._suspects: dict[tuple, float] = {}  # (id, started_at) -> first seen dead

    def sweep(self, now: datetime.datetime | None = None) -> Swept:
        now = now or timezone.now()
        ttl = datetime.timedelta(seconds=settings.CROCEVIA_JOBS_HEARTBEAT_TTL)
        running = list(
            DBTaskResult.objects.filter(status=RUNNING, started_at__lt=now - ttl).values_list(
                "id", "worker_ids", "started_at", "task_path"
            )
        )
        swept = Swept()
        if not running:
            self._suspects.clear()
            return swept
        live = heartbeat.alive(ids[-1] for _pk, ids, _at, _path in running if ids)
        seen = self.clock()
        suspects = {}
        for pk, worker_ids, started_at, task_path in running:
            if worker_ids and worker_ids[-1] in live:
                continue
            key = (pk, started_at)
            first_seen = self._suspects.get(key, seen)
            if seen - first_seen < self.grace:
                suspects[key] = first_seen
                continue
            self._put_back(pk, worker_ids, started_at, task_path, now, swept)
        self._suspects = suspects
        return swept

    def _put_back(self, pk, worker_ids, started_at, task_path, now, swept: Swept) -> None:
        attempts = len(worker_ids)
        limit = settings.CROCEVIA_JOBS_MAX_ATTEMPTS
        claimed = DBTaskResult.objects.filter(pk=pk, status=RUNNING, started_at=started_at)
        if attempts >= limit:
            error = WorkerDied(
                f"The worker running this job stopped without finishing it (killed, or its "
                f"host lost), {attempts} times (workers: {', '.join(worker_ids)}). It is not "
                f"tried again: look at the workers' logs, then enqueue it again if needed."
            )
            if claimed.update(
                status=FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerDied.__module__}.{WorkerDied.__qualname__}",
                traceback=f"{WorkerDied.__module__}.{WorkerDied.__qualname__}: {error}\n",
            ):
                swept.failed.append(pk)
                log.error(
                    "job %s (%s): its worker %s died; failed after %d attempts",
                    pk,
                    task_path,
                    worker_ids[-1] if worker_ids else "?",
                    attempts,
                )
            return
        if claimed.update(status=READY, started_at=None):
            swept.requeued.append(pk)
            log.warning(
                "job %s (%s): its worker %s died; put back in the queue (attempt %d of %d)",
                pk,
                task_path,
                worker_ids[-1] if worker_ids else "?",
                attempts + 1,
                limit,
            )
