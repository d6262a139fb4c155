"""`crocevia worker`: the database backend's worker, with a heartbeat, a sweeper and the
periodic jobs' scheduler (see the package's docstring).

The backend's loop runs the jobs, unchanged, in the main thread. Beside it, two daemon
threads: the heartbeat (cache only) and the ticker, which every second runs the scheduler
(no query unless a slot changed) and every two heartbeat intervals the sweeper (one query
on the running jobs). The ticker has its own database connection, kept open; an error
closes it and the next tick opens another.
"""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import connection
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker

from .heartbeat import Heartbeat
from .scheduler import Scheduler
from .sweeper import Sweeper

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


def default_worker_id() -> str:
    """host-pid-random: which machine and process, in the jobs' admin and the logs."""
    host = socket.gethostname().split(".")[0][:40]
    return f"{host}-{os.getpid()}-{get_random_string(6)}"


class Ticker(threading.Thread):
    def __init__(self, *, worker_id: str, schedule: bool, sweep: bool):
        super().__init__(name="jobs-ticker", daemon=True)
        self.scheduler = Scheduler(worker_id) if schedule else None
        self.sweeper = Sweeper() if sweep else None
        self.stopping = threading.Event()

    def run(self) -> None:
        sweep_every = max(TICK_SECONDS, settings.CROCEVIA_JOBS_HEARTBEAT_SECONDS * 2)
        ticks_per_sweep = max(1, round(sweep_every / TICK_SECONDS))
        tick = 0
        try:
            while not self.stopping.is_set():
                try:
                    if self.sweeper is not None and tick % ticks_per_sweep == 0:
                        self.sweeper.sweep()
                    if self.scheduler is not None:
                        self.scheduler.tick()
                except Exception:  # noqa: BLE001 - logged; the next tick tries again
                    log.exception("jobs ticker: tick failed")
                    connection.close()
                tick += 1
                self.stopping.wait(TICK_SECONDS)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


class Worker(db_worker.Worker):
    """The backend's worker with a heartbeat and, unless in batch mode, the ticker."""

    def __init__(self, *, schedule: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.schedule = schedule

    def run(self) -> None:
        heart = Heartbeat(self.worker_id)
        heart.start()
        # A batch run (every job ready now, then exit) neither schedules nor sweeps.
        ticker = None
        if not self.batch:
            ticker = Ticker(worker_id=self.worker_id, schedule=self.schedule, sweep=True)
            ticker.start()
            if self.schedule:
                log.info("worker %s: scheduling the periodic jobs", self.worker_id)
        try:
            super().run()
        finally:
            if ticker is not None:
                ticker.stop()
            heart.stop()
