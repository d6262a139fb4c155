"""`crocevia worker`: run the background jobs (README, "The worker").

The database backend's `db_worker`, with the same options, plus a heartbeat, the sweeper
of jobs whose worker died and the scheduler of the periodic jobs (crocevia.jobs).
`--no-scheduler` leaves the periodic jobs to the other workers."""

import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from crocevia.jobs.worker import Worker, default_worker_id


class Command(db_worker.Command):
    help = (
        "Run the background jobs (the database queue's worker, with a heartbeat, the "
        "sweeper of jobs whose worker died, and the periodic jobs)."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=default_worker_id())
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="schedule",
            help="Do not enqueue the periodic jobs (other workers do).",
        )

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        schedule=True,
        **options,
    ) -> None:
        # As the backend's command does, building our Worker instead.
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
            schedule=schedule,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
