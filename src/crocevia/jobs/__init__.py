"""The job queue's machinery: workers that survive being killed, and periodic jobs.

Jobs are Django Tasks (`django_tasks`, `<app>/tasks.py`) stored by `django_tasks_db`: a
job is a row written in the transaction that enqueues it. `crocevia worker` runs them,
as the backend's `db_worker` does, and also

- writes a heartbeat of its worker id into the "jobs" cache (heartbeat.py);
- sweeps: a job RUNNING under a worker whose heartbeat is gone (killed, its host lost) is
  put back in the queue, and recorded as failed after CROCEVIA_JOBS_MAX_ATTEMPTS runs
  (sweeper.py), so every job must be safe to run again;
- enqueues the periodic jobs of CROCEVIA_PERIODIC_JOBS when their time comes, one worker
  per run (scheduler.py, schedule.py, the PeriodicRun table).

No domain here: the jobs themselves live in the apps that own the work.
"""
