"""Test support: run the queued jobs in the test's own process."""

from unittest import mock

from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from .worker import Worker


def run_jobs(*, worker_id: str = "test-worker") -> int:
    """Run every job ready now, as `crocevia worker --batch` does, in this process;
    returns how many ran. The worker's closing of old connections between jobs is left
    out: in a test it would close the test's transaction."""
    before = DBTaskResult.objects.exclude(status="READY").count()
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        ).run()
    return DBTaskResult.objects.exclude(status="READY").count() - before
