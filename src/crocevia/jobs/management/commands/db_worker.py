"""`crocevia db_worker`: the same as `crocevia worker` (this app comes before the backend's
in INSTALLED_APPS, so its command wins). A plain `db_worker` writes no heartbeat, and the
other workers' sweeper would take its running jobs for those of a dead worker."""

from .worker import Command as WorkerCommand


class Command(WorkerCommand):
    pass
