"""The prepared files' jobs, run by the worker (`crocevia worker`), never by a request.

`produce` is enqueued by `services.prepare_file` with the row's id only: what the file
holds and for whom is read from the row (never from the job's arguments, which the
queue's table keeps). `expire_prepared_files` runs every hour (CROCEVIA_PERIODIC_JOBS).
"""

from django_tasks import task

from .producing import expire_files, produce_file


@task()
def produce(prepared_id: int) -> str:
    """Write the prepared file `prepared_id` (producing.produce_file)."""
    return produce_file(prepared_id)


@task()
def expire_prepared_files() -> dict:
    """Remove the prepared files past their day (producing.expire_files)."""
    return expire_files()
