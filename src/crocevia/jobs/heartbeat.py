"""Workers' heartbeats in the "jobs" cache: a key per worker id, written every
CROCEVIA_JOBS_HEARTBEAT_SECONDS, expiring after CROCEVIA_JOBS_HEARTBEAT_TTL. A worker
killed with SIGKILL, or whose host is lost, stops writing it; the others' sweeper then
puts its running job back in the queue (sweeper.py).

A thread writes it, not the worker's loop, so that a long job (an import of minutes)
keeps its worker alive; the thread touches the cache only, never the database."""

import logging
import math
import threading

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

log = logging.getLogger(__name__)


def _key(worker_id: str) -> str:
    return f"worker-heartbeat:{worker_id}"


def _cache():
    return caches["jobs"]


def beat(worker_id: str) -> None:
    ttl = math.ceil(settings.CROCEVIA_JOBS_HEARTBEAT_TTL)
    _cache().set(_key(worker_id), timezone.now().isoformat(), timeout=ttl)


def forget(worker_id: str) -> None:
    """A worker that stops cleanly: no heartbeat to wait for."""
    _cache().delete(_key(worker_id))


def alive(worker_ids) -> set[str]:
    """Those of `worker_ids` with a live heartbeat."""
    worker_ids = set(worker_ids)
    if not worker_ids:
        return set()
    found = _cache().get_many([_key(w) for w in worker_ids])
    return {w for w in worker_ids if _key(w) in found}


class Heartbeat(threading.Thread):
    """Writes the worker's heartbeat until stopped; a failed write (the cache down) is
    logged and tried again at the next beat."""

    def __init__(self, worker_id: str):
        super().__init__(name="jobs-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopping = threading.Event()
        self.failing = False

    def run(self) -> None:
        interval = settings.CROCEVIA_JOBS_HEARTBEAT_SECONDS
        while True:
            try:
                beat(self.worker_id)
                if self.failing:
                    log.info("worker %s: heartbeat written again", self.worker_id)
                self.failing = False
            except Exception:  # noqa: BLE001 - the worker goes on; the next beat retries
                if not self.failing:
                    log.exception("worker %s: heartbeat not written", self.worker_id)
                self.failing = True
            if self.stopping.wait(interval):
                return

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        try:
            forget(self.worker_id)
        except Exception:  # noqa: BLE001 - it expires by itself
            log.warning("worker %s: heartbeat not removed", self.worker_id)
