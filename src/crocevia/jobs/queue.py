"""Enqueueing helpers shared by the apps' jobs."""

import logging

from django.core.cache import caches
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)


def waiting(task, kwargs: dict | None = None) -> bool:
    """Whether a job of `task` (with these keyword arguments, if given) is enqueued and
    not started yet (one query on the index of ready jobs)."""
    rows = DBTaskResult.objects.filter(status="READY", task_path=task.module_path)
    if kwargs is None:
        return rows.exists()
    return any(
        (value or {}).get("kwargs", {}) == kwargs
        for value in rows.values_list("args_kwargs", flat=True)[:100]
    )


def enqueue_unless_waiting(task, *, flag: str, ttl: int = 300) -> bool:
    """Enqueue `task` (no arguments) unless a job of it enqueued under `flag` has not
    started yet; the job calls `job_started(flag)` first thing. Returns whether it
    enqueued. For a hand-over made by many requests (seal the audit trail): one job
    waiting at most, and one cache operation per request rather than a query.

    The flag expires after `ttl` seconds, in case the job is lost; a cache that cannot
    be reached falls back to looking for a waiting job in the database."""
    cache = caches["jobs"]
    try:
        fresh = cache.add(flag, "1", timeout=ttl)
    except Exception:  # noqa: BLE001 - the cache down: ask the database instead
        log.warning("jobs cache unreachable; looking for a waiting %s job", task.name)
        fresh = not waiting(task)
    if not fresh:
        return False
    try:
        task.enqueue()
    except BaseException:
        _clear(flag)
        raise
    return True


def job_started(flag: str) -> None:
    """Called by a job enqueued with `enqueue_unless_waiting`, before it does its work:
    what is handed over from now on needs another job."""
    _clear(flag)


def _clear(flag: str) -> None:
    try:
        caches["jobs"].delete(flag)
    except Exception:  # noqa: BLE001 - it expires
        log.warning("jobs cache unreachable; the flag %s expires by itself", flag)
