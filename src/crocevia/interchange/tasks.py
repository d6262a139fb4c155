"""The interchange's jobs, run by the worker (`crocevia worker`), never by a request.

`run_import_job` runs one phase of a browser import of a large file (services.py enqueues
it once the phase's start has committed). It is safe to run again: the queue runs a dead
worker's task once more, and the phase then runs again from the stored upload if the
killed run had not committed, or does nothing if it had (importjobs.run_phase).
"""

from django_tasks import task

from . import importjobs


@task()
def run_import_job(job_id: int, dry_run: bool, language: str) -> str:
    """Check (dry_run) or import the job's file; returns the job's status after it."""
    return importjobs.run_phase(job_id, dry_run, language)


@task()
def expire_import_jobs() -> int:
    """Hourly housekeeping of browser imports (importjobs.import_jobs_expire)."""
    return importjobs.import_jobs_expire()
