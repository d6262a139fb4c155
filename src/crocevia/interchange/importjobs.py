"""A browser import job beyond the request that started it: its files, its live state, one
phase run from start to end, whether it still lives, and the housekeeping of old jobs.

Any app server answers any request about a job, and a worker on any host runs it, so
nothing of a job is on one server's disk:

- Files (the upload, the error report, the names with accents the check read) go through
  Django's storage API under private names `imports/<job id>/<name>`. A phase reads the
  upload from a copy in the system's temporary directory, deleted when the phase ends.
- The live state of a running phase (rows read, fraction of the file, a heartbeat every
  few seconds) and the user's request to stop it are keys of the cache alias "jobs",
  shared by every server (Redis with several servers). It cannot go to the database: the
  import runs inside one transaction, which hides everything until it ends.
- The durable state (status, counts) is the ImportJob row. The outcome of a phase is
  written inside the import's own transaction, and only if the job is still in that
  phase: a phase that ran to its commit is settled with it, so a task run again after its
  worker was killed (the queue runs a dead worker's task again) finds the job settled and
  does nothing; a worker killed before the commit wrote nothing, and the run again does
  the whole phase from the stored upload. Of two runs at once, the second to settle rolls
  its import back.
"""

import contextlib
import csv
import datetime
import io
import json
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus, default_task_backend
from django_tasks.exceptions import TaskResultDoesNotExist

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.core.spreadsheets import csv_writer, unescape_cell

from .engine import Report, run_import
from .errors import WRITE_REFUSED
from .models import ImportJob
from .scope import Scope

logger = logging.getLogger(__name__)

# Errors shown on the page; the CSV holds all of them.
ERRORS_SHOWN = 200
HEARTBEAT_SECONDS = 5
UPLOAD_NAME = "upload"
ERRORS_NAME = "errors.csv"
SAMPLE_NAME = "sample.json"
FILE_NAMES = (UPLOAD_NAME, ERRORS_NAME, SAMPLE_NAME)
# How long the cache keeps a job's live state without a write (a phase rewrites it every
# few seconds; a stop request waits at most this long for a worker).
STATE_SECONDS = 2 * 24 * 3600
# Files of ended jobs (the error report) are kept this long.
KEEP_FILES = datetime.timedelta(days=7)


def stale_seconds() -> int:
    return settings.CROCEVIA_IMPORT_STALE_SECONDS


def stopped_message() -> str:
    return _(
        "The import stopped without finishing (the server was restarted?). "
        "Nothing was written: upload the file again."
    )


# --- files of a job (storage) -----------------------------------------------------------------


def storage_name(job_id: int, name: str) -> str:
    """The job's private name in the storage: never derived from what the browser sent."""
    return f"imports/{job_id}/{name}"


def delete_files(job_id: int, names=FILE_NAMES) -> None:
    for name in names:
        default_storage.delete(storage_name(job_id, name))


def _save(job_id: int, name: str, content: File) -> None:
    # A name left by an earlier job of the same id (a database restored or recreated) is
    # replaced: the storage would otherwise save under another name.
    target = storage_name(job_id, name)
    default_storage.delete(target)
    saved = default_storage.save(target, content)
    if saved != target:  # another writer got in between: never read someone else's file
        default_storage.delete(saved)
        raise OSError(f"the storage did not keep the name {target}")


def store_upload(job: ImportJob, upload) -> None:
    """Keep the uploaded file (a Django UploadedFile) under the job's upload name."""
    delete_files(job.pk)
    _save(job.pk, UPLOAD_NAME, upload)


def has_upload(job: ImportJob) -> bool:
    return default_storage.exists(storage_name(job.pk, UPLOAD_NAME))


def has_errors_file(job: ImportJob) -> bool:
    return default_storage.exists(storage_name(job.pk, ERRORS_NAME))


def open_errors_file(job: ImportJob) -> File | None:
    """The job's error report, open for reading (binary), or None when it is not kept."""
    try:
        return default_storage.open(storage_name(job.pk, ERRORS_NAME), "rb")
    except FileNotFoundError:
        return None


class _Raw(io.RawIOBase):
    """Any object with read(n) (a storage's File) as a raw stream, to decode as text."""

    def __init__(self, source):
        self.source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _write_errors(job: ImportJob, report: Report) -> None:
    """The full report as CSV for office spreadsheets: UTF-8 with BOM, semicolons."""
    with tempfile.TemporaryFile() as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
        csv_writer(text, delimiter=";", lineterminator="\r\n").writerows(report.error_rows())
        text.flush()
        text.detach()
        spool.seek(0)
        _save(job.pk, ERRORS_NAME, File(spool))


def _write_sample(job: ImportJob, sample: list[str]) -> None:
    content = json.dumps(sample, ensure_ascii=False).encode("utf-8")
    _save(job.pk, SAMPLE_NAME, ContentFile(content))


def check_sample(job: ImportJob) -> list[str]:
    """The names with accents the check read, while the job waits for confirmation."""
    try:
        with default_storage.open(storage_name(job.pk, SAMPLE_NAME), "rb") as f:
            sample = json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError):
        return []
    return [str(value) for value in sample] if isinstance(sample, list) else []


def first_errors(job: ImportJob, limit: int = ERRORS_SHOWN) -> list[list[str]]:
    """The first `limit` rows of the job's error report (without its header)."""
    source = open_errors_file(job)
    if source is None:
        return []
    with source:
        text = io.TextIOWrapper(io.BufferedReader(_Raw(source)), encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=";")
        next(reader, None)
        rows = []
        for row in reader:
            if len(rows) >= limit:
                break
            rows.append([unescape_cell(cell) for cell in row])
        return rows


@contextlib.contextmanager
def _local_copy(job: ImportJob):
    """The stored upload copied to a private temporary file (the engine reads a path),
    deleted at the end whatever happens."""
    with (
        default_storage.open(storage_name(job.pk, UPLOAD_NAME), "rb") as source,
        tempfile.NamedTemporaryFile(prefix="crocevia-import-") as copy,
    ):
        shutil.copyfileobj(source, copy, 1024 * 1024)
        copy.flush()
        yield Path(copy.name)


# --- live state (the "jobs" cache) ------------------------------------------------------------


def _cache():
    return caches["jobs"]


def _progress_key(job_id: int) -> str:
    return f"interchange:import:{job_id}:progress"


def _stop_key(job_id: int) -> str:
    return f"interchange:import:{job_id}:stop"


def clear_live_state(job_id: int) -> None:
    """Forget a job's progress and stop request (a new job, a new phase, a settled one).
    Ids come again in another database (tests, a restore), so a new job starts clean."""
    _cache().delete_many([_progress_key(job_id), _stop_key(job_id)])


def request_stop(job_id: int) -> None:
    _cache().set(_stop_key(job_id), True, STATE_SECONDS)


def stop_requested(job_id: int) -> bool:
    return bool(_cache().get(_stop_key(job_id)))


def read_progress(job_id: int) -> dict | None:
    state = _cache().get(_progress_key(job_id))
    return state if isinstance(state, dict) else None


class Progress:
    """The progress of a running phase: phase, rows read, fraction of the file, heartbeat."""

    def __init__(self, job_id: int, phase: str):
        self.job_id = job_id
        self.state = {"phase": phase, "rows": 0, "fraction": 0.0, "beat": time.time()}
        self._lock = threading.Lock()

    def update(self, **values) -> None:
        with self._lock:
            self.state.update(values, beat=time.time())
            _cache().set(_progress_key(self.job_id), dict(self.state), STATE_SECONDS)


class _Heartbeat(threading.Thread):
    """Writes the progress again every few seconds while the phase lives."""

    def __init__(self, progress: Progress):
        super().__init__(daemon=True, name=f"import-{progress.job_id}-heartbeat")
        self.progress = progress
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(HEARTBEAT_SECONDS):
            try:
                self.progress.update()
            except Exception:  # the cache is down: the page shows older figures
                logger.warning("heartbeat of import job %s not written", self.progress.job_id)


def job_progress(job: ImportJob) -> dict:
    """{rows, percent, phase, waiting} of a running job (zeros before the first chunk;
    waiting: its task is queued and no worker has taken it yet)."""
    state = read_progress(job.pk) or {}
    fraction = min(max(float(state.get("fraction") or 0), 0.0), 1.0)
    return {
        "rows": int(state.get("rows") or 0),
        "percent": int(fraction * 100),
        "phase": state.get("phase", ""),
        "waiting": queue_status(job) == TaskResultStatus.READY,
    }


# --- does a running job still live? -----------------------------------------------------------


def queue_status(job: ImportJob) -> str | None:
    """The status of the task running the job's phase (READY, RUNNING, SUCCESSFUL, FAILED),
    "" if the queue no longer has it, None if there is none (a small file runs in its
    request; a large one's task is recorded just after the phase starts)."""
    if not (job.background and job.task_id):
        return None
    try:
        return default_task_backend.get_result(job.task_id).status
    except TaskResultDoesNotExist:
        return ""


def is_alive(job: ImportJob) -> bool:
    """Whether a running job may still settle by itself.

    A queued phase lives while its task is waiting for a worker or running (a worker killed
    with it is the queue's to detect: it runs the task again). A task that ended without
    settling the job, or is gone, is dead. Without a task (a phase run in its request, or a
    task not recorded yet) the heartbeat tells, or the start of the phase before the first.
    """
    status = queue_status(job)
    if status in (TaskResultStatus.READY, TaskResultStatus.RUNNING):
        return True
    if status is not None:
        return False
    state = read_progress(job.pk) or {}
    started = job.started_at or job.created_at
    last = max(float(state.get("beat") or 0), started.timestamp())
    return time.time() - last <= stale_seconds()


def fail_if_dead(job: ImportJob) -> bool:
    """Mark a running job that no longer lives as failed (nothing was written: its
    transaction died with it); True if it was."""
    if not job.running or is_alive(job):
        return False
    with transaction.atomic():
        failed = settle(job, job.status, ImportJob.Status.FAILED, message=stopped_message())
    if failed:
        clear_live_state(job.pk)
    return failed


# --- one phase, start to end ------------------------------------------------------------------


class Cancelled(Exception):
    pass


class _Superseded(Exception):
    """The job left this phase while it ran (another run settled it): roll back."""


def run_phase(job_id: int, dry_run: bool, language: str) -> str:
    """Run one phase of a job (the check, or the import once confirmed) to its end and
    return the job's status. The import's own failures settle the job, never raise.

    A job no longer in that phase is left alone: the phase settled already (its task run
    again by the queue), or the job moved on (the check's task run again after the
    confirmation). The conditional update claiming it also records when the run started.
    """
    phase = ImportJob.Status.CHECKING if dry_run else ImportJob.Status.IMPORTING
    if not ImportJob.objects.filter(pk=job_id, status=phase).update(started_at=timezone.now()):
        return ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    progress = Progress(job_id, "check" if dry_run else "import")
    progress.update()  # a run again after a kill starts from zero
    heartbeat = _Heartbeat(progress)
    heartbeat.start()

    def on_progress(phase_name, rows, fraction):
        if stop_requested(job_id):
            raise Cancelled
        progress.update(rows=rows, fraction=fraction)

    with translation.override(language):
        status, message = None, ""
        try:
            scope = Scope.for_user(job.user)
            if scope is None or not scope.may_import:
                status, message = ImportJob.Status.FAILED, _("You may no longer import.")
            elif stop_requested(job_id):
                status = ImportJob.Status.CANCELLED
            elif not has_upload(job):
                status = ImportJob.Status.FAILED
                message = _(
                    "The uploaded file is no longer kept. Nothing was written: upload it again."
                )
            else:
                with _local_copy(job) as path, transaction.atomic():
                    report = run_import(
                        job.kind,
                        path,
                        dry_run=dry_run,
                        sheet=job.sheet or None,
                        actor=job.user,
                        progress=on_progress,
                        scope=scope,
                    )
                    if stop_requested(job_id):  # asked while the last chunk was written
                        raise Cancelled
                    _finish(job, phase, report, dry_run)
        except _Superseded:
            logger.info("import job %s was settled by another run", job_id)
        except Cancelled:
            status = ImportJob.Status.CANCELLED
        except IntegrityError as exc:
            logger.warning("import job %s refused by the database: %s", job_id, exc)
            status, message = ImportJob.Status.FAILED, str(WRITE_REFUSED)
        except Exception:
            logger.exception("import job %s failed", job_id)
            status = ImportJob.Status.FAILED
            message = _("The import failed because of an internal error. Nothing was written.")
        finally:
            heartbeat.stop.set()
            heartbeat.join()
        if status is not None:
            with transaction.atomic():
                settle(job, phase, status, message=message)
    clear_live_state(job_id)
    job.refresh_from_db(fields=["status"])
    return job.status


def _finish(job: ImportJob, phase: str, report: Report, dry_run: bool) -> None:
    """Settle the job from the engine's report, inside the import's transaction."""
    counts = report.counts
    fields = {
        "rows": report.rows,
        "seconds": report.seconds,
        "error_count": len(report.errors),
        "file_error": report.file_error.message if report.file_error else "",
        "encoding": report.encoding,
        "delimiter": report.delimiter,
        "created_count": counts.created,
        "updated_count": counts.updated,
        "unchanged_count": counts.unchanged,
        "notices": {code: n for code, n in counts.notices.items() if n},
    }
    message = ""
    if dry_run:
        status = ImportJob.Status.VALID if report.ok else ImportJob.Status.INVALID
    elif report.ok:
        status = ImportJob.Status.DONE
    else:
        # Checked fine, refused now: the data changed between the check and the confirm.
        status = ImportJob.Status.FAILED
        message = _("The data changed since the check: nothing was written.")
    if not report.ok:
        _write_errors(job, report)
    if dry_run and report.ok and report.sample:  # an invalid job's files go at once
        _write_sample(job, report.sample)
    if not settle(job, phase, status, message=message, errors_kept=not report.ok, **fields):
        raise _Superseded


def settle(
    job: ImportJob, phase: str, status: str, *, message: str = "", errors_kept=False, **fields
) -> bool:
    """Write the outcome of the job's phase `phase` and its audit event, if the job is still
    in that phase (False otherwise: nothing written). An ended job's upload and sample go;
    its error report stays until it expires."""
    values = {**fields, "status": status}
    if message:
        values["message"] = message
    ended = status in ImportJob.ENDED
    if ended:
        values["finished_at"] = timezone.now()
        values["files_kept"] = errors_kept
    if not ImportJob.objects.filter(pk=job.pk, status=phase).update(**values):
        return False
    for name, value in values.items():
        setattr(job, name, value)
    if ended:
        delete_files(job.pk, (UPLOAD_NAME, SAMPLE_NAME))
    action = {
        ImportJob.Status.VALID: AuditAction.IMPORT_CHECK,
        ImportJob.Status.INVALID: AuditAction.IMPORT_CHECK,
        ImportJob.Status.DONE: AuditAction.IMPORT_COMPLETE,
        ImportJob.Status.FAILED: AuditAction.IMPORT_FAIL,
        ImportJob.Status.CANCELLED: AuditAction.IMPORT_CANCEL,
    }[status]
    audit_job(job, action)
    return True


# --- housekeeping -----------------------------------------------------------------------------


def import_jobs_expire(*, older_than: datetime.timedelta = datetime.timedelta(days=1)) -> int:
    """Cancel jobs left unconfirmed for a day, fail those a dead process left running for
    as long, and remove the files of jobs that ended a week ago. Returns how many jobs
    were cancelled. Safe to run again, and anywhere: it works from the database."""
    now = timezone.now()
    stale = list(
        ImportJob.objects.filter(status=ImportJob.Status.VALID, created_at__lt=now - older_than)
    )
    cancelled = 0
    for job in stale:
        with transaction.atomic():
            cancelled += settle(job, ImportJob.Status.VALID, ImportJob.Status.CANCELLED)
    for job in ImportJob.objects.filter(
        status__in=ImportJob.RUNNING, started_at__lt=now - older_than
    ):
        fail_if_dead(job)
    old = ImportJob.objects.filter(
        files_kept=True, status__in=ImportJob.ENDED, finished_at__lt=now - KEEP_FILES
    )
    for pk in list(old.values_list("pk", flat=True)):
        delete_files(pk)
        ImportJob.objects.filter(pk=pk).update(files_kept=False)
    return cancelled


# --- audit ------------------------------------------------------------------------------------


def audit_job(job: ImportJob, action: str) -> None:
    """One event per phase of a browser import (each record written has its own too)."""
    AuditEvent.objects.create(
        kind=AuditEvent.Kind.CHANGE,
        action=action,
        actor=job.user,
        object_type=ImportJob._meta.label_lower,
        object_id=str(job.pk),
        changes={
            "kind": job.kind,
            "file_name": job.file_name,
            "status": job.status,
            "rows": job.rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "errors": job.error_count,
            **({"notices": job.notices} if job.notices else {}),
        },
        note=f"{job.kind}: {job.file_name}"[:250],
    )
