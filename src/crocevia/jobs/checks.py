"""`crocevia check`: the periodic jobs are well formed (the worker would refuse them)."""

from django.core import checks

from .schedule import periodic_jobs


@checks.register()
def periodic_jobs_are_well_formed(app_configs=None, **kwargs):
    try:
        periodic_jobs()
    except ValueError as exc:
        return [checks.Error(str(exc), id="jobs.E001", hint="See CROCEVIA_PERIODIC_JOBS.")]
    return []
