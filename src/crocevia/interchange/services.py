"""Imports and exports from the browser: the user's actions on import jobs, and the audit
event of an export.

An import is a job (ImportJob) in two phases, each a run of the engine with the user's
scope: a check (a dry run: counts or the error report) and, once the user confirms, the
import itself. Small files run inside the request; larger ones (more than
CROCEVIA_IMPORT_BACKGROUND_BYTES) as a task of the job queue, run by a worker, while the
page polls for progress. Everything a job keeps outside the database (files in the
storage, live progress in the "jobs" cache) and the run of a phase are in importjobs.py,
so any app server answers for any job.

Files are personal data: they are kept under private names of the storage, served to no
one, and the upload is deleted as soon as the job ends (done, invalid, failed or
cancelled). The error report stays for the job's user to download until the job expires.
"""

import functools
import os

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent

from . import importjobs, tasks
from .models import ImportJob
from .scope import Scope


def max_upload_bytes() -> int:
    return settings.CROCEVIA_IMPORT_MAX_BYTES


def background_bytes() -> int:
    return settings.CROCEVIA_IMPORT_BACKGROUND_BYTES


def import_job_create(*, user, kind: str, upload, sheet: str = "") -> ImportJob:
    """Store the upload under a new job's private names; the job then checks it."""
    size = upload.size or 0
    with transaction.atomic():  # with the database's storage, the job and its file at once
        job = ImportJob.objects.create(
            kind=kind,
            user=user,
            status=ImportJob.Status.CHECKING,
            file_name=os.path.basename(upload.name or "")[:255],
            file_size=size,
            sheet=sheet,
            background=size > background_bytes(),
            started_at=timezone.now(),
            files_kept=True,
        )
        importjobs.clear_live_state(job.pk)
        importjobs.store_upload(job, upload)
    return job


def import_job_start(job: ImportJob) -> None:
    """Run the job's current phase: at once for a small file; for a large one, queue it for
    a worker once the phase's start has committed."""
    dry_run = job.status == ImportJob.Status.CHECKING
    language = translation.get_language() or settings.LANGUAGE_CODE
    if not job.background:
        importjobs.run_phase(job.pk, dry_run, language)
        return
    transaction.on_commit(functools.partial(_enqueue, job.pk, dry_run, language))


def _enqueue(job_id: int, dry_run: bool, language: str) -> None:
    result = tasks.run_import_job.enqueue(job_id, dry_run, language)
    ImportJob.objects.filter(pk=job_id).update(task_id=str(result.id))


def import_job_confirm(*, job: ImportJob, user) -> bool:
    """Start the real import of a checked job; False if it is not the user's or not ready."""
    if job.user_id != user.pk:
        return False
    importjobs.clear_live_state(job.pk)  # a stop asked during the check is not for this
    started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALID).update(
        status=ImportJob.Status.IMPORTING, started_at=timezone.now(), task_id=""
    )
    if not started:
        return False
    job.refresh_from_db()
    import_job_start(job)
    return True


def import_job_cancel(*, job: ImportJob, user) -> bool:
    """Cancel a job waiting for confirmation (at once) or running (at its next chunk, or as
    soon as a worker takes it)."""
    if job.user_id != user.pk:
        return False
    if job.running:
        importjobs.request_stop(job.pk)
        return True
    with transaction.atomic():
        return importjobs.settle(job, ImportJob.Status.VALID, ImportJob.Status.CANCELLED)


def import_job_refresh(job: ImportJob) -> ImportJob:
    """The job as it is now; a running job that no longer lives is marked failed."""
    job.refresh_from_db()
    importjobs.fail_if_dead(job)
    return job


def export_audit(
    *,
    user,
    kind: str,
    fmt: str,
    pseudonymise: bool,
    scope: Scope,
    protected: bool = False,
    channel: str = "browser",
) -> None:
    """An export is an access to personal data: one event per file, from the browser or
    the command line (`user` None when the command was not given --user)."""
    AuditEvent.objects.create(
        kind=AuditEvent.Kind.ACCESS,
        action=AuditAction.DATA_EXPORT,
        actor=user,
        object_type=f"interchange.{kind}"[:60],
        object_id=kind[:40],
        changes={
            "kind": kind,
            "format": fmt,
            "pseudonymised": pseudonymise,
            "zones": sorted(scope.zone_ids) if scope.limited else "all",
            "password_protected": protected,
            "channel": channel,
        },
        note="export",
    )
