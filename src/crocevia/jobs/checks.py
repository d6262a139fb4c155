"""`crocevia check`: the periodic jobs are well formed (the worker would refuse them), the
heartbeats outlive their interval, the jobs cache without Redis is private."""

import os
from pathlib import Path

from django.conf import settings
from django.core import checks

from .schedule import periodic_jobs


@checks.register()
def periodic_jobs_are_well_formed(app_configs=None, **kwargs):
    try:
        periodic_jobs()
    except ValueError as exc:
        return [checks.Error(str(exc), id="jobs.E001", hint="See CROCEVIA_PERIODIC_JOBS.")]
    return []


@checks.register()
def heartbeats_outlive_their_interval(app_configs=None, **kwargs):
    """A heartbeat that expires before the next one is written makes the sweeper put a
    live worker's job back in the queue: it would then run twice at once."""
    interval = settings.CROCEVIA_JOBS_HEARTBEAT_SECONDS
    ttl = settings.CROCEVIA_JOBS_HEARTBEAT_TTL
    errors = []
    if ttl < 3 * interval:
        errors.append(
            checks.Error(
                f"CROCEVIA_JOBS_HEARTBEAT_TTL ({ttl} s) must be at least three times "
                f"CROCEVIA_JOBS_HEARTBEAT_SECONDS ({interval} s).",
                id="jobs.E002",
            )
        )
    if settings.CROCEVIA_JOBS_MAX_ATTEMPTS < 1:
        errors.append(checks.Error("CROCEVIA_JOBS_MAX_ATTEMPTS must be 1 or more.", id="jobs.E002"))
    return errors


@checks.register()
def jobs_cache_directory_is_private(app_configs=None, **kwargs):
    """Without Redis the "jobs" cache is a directory of the system's temporary directory,
    whose files Django's file cache unpickles: one made or opened up by another user
    would let that user run code as this one. It must be this user's, mode 0700."""
    cache = settings.CACHES.get("jobs", {})
    if not cache.get("BACKEND", "").endswith("FileBasedCache"):
        return []
    directory = Path(cache["LOCATION"])
    try:
        found = directory.stat()
    except FileNotFoundError:
        return []  # Django creates it, mode 0700, on first use
    if found.st_uid != os.geteuid() or found.st_mode & 0o077:
        return [
            checks.Error(
                f"The jobs cache directory {directory} belongs to another user or is open "
                "to others.",
                hint="Remove it (it is re-created, private), or set REDIS_URL.",
                id="jobs.E003",
            )
        ]
    return []
