"""Imports and exports from the browser: jobs, their files, progress, and audit events.

An import is a job (ImportJob) in two phases, each a run of the engine with the user's
scope: a check (a dry run: counts or the error report) and, once the user confirms, the
import itself. Small files run inside the request; larger ones (more than
CROCEVIA_IMPORT_BACKGROUND_BYTES) in a background thread while the page polls for
progress.

The import runs inside one database transaction, so its progress cannot go to the
database (nobody else would see it before the end): the worker writes it to
`progress.json` in the job's directory, with a heartbeat every few seconds. The job's
durable state (status, counts, error count) is written to the database outside the
import's transaction, before and after it. A running job whose heartbeat stopped (the
process died) is marked failed the next time someone looks at it.

Files are personal data: they live under VAR_DIR/imports/<job id>/ (never under a
served directory, mode 0700/0600), are served to no one, and the upload is deleted as
soon as the job ends (done, invalid, failed or cancelled). The error report stays for
the job's user to download until the job expires. The few names the check shows as read
(the sample of engine.Report, so the user sees the encoding was right) are kept in
`sample.json` beside the upload, and go with it.
"""

import csv
import datetime
import io
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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
PROGRESS_NAME = "progress.json"
CANCEL_NAME = "cancel"
SAMPLE_NAME = "sample.json"


def max_upload_bytes() -> int:
    return settings.CROCEVIA_IMPORT_MAX_BYTES


def background_bytes() -> int:
    return settings.CROCEVIA_IMPORT_BACKGROUND_BYTES


def stale_seconds() -> int:
    return settings.CROCEVIA_IMPORT_STALE_SECONDS


# --- files of a job --------------------------------------------------------------------------


def jobs_root() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def job_dir(job: ImportJob) -> Path:
    return jobs_root() / str(job.pk)


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _private_file(path: Path):
    """A new file readable and writable by this process's user only."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def upload_path(job: ImportJob) -> Path:
    return job_dir(job) / UPLOAD_NAME


def errors_path(job: ImportJob) -> Path:
    return job_dir(job) / ERRORS_NAME


def _delete_upload(job: ImportJob) -> None:
    for name in (UPLOAD_NAME, PROGRESS_NAME, CANCEL_NAME, SAMPLE_NAME):
        (job_dir(job) / name).unlink(missing_ok=True)


def _write_errors(job: ImportJob, report: Report) -> None:
    """The full report as CSV for office spreadsheets: UTF-8 with BOM, semicolons."""
    with (
        _private_file(errors_path(job)) as raw,
        io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text,
    ):
        csv_writer(text, delimiter=";", lineterminator="\r\n").writerows(report.error_rows())


def _write_sample(job: ImportJob, sample: list[str]) -> None:
    with _private_file(job_dir(job) / SAMPLE_NAME) as f:
        f.write(json.dumps(sample, ensure_ascii=False).encode("utf-8"))


def check_sample(job: ImportJob) -> list[str]:
    """The names with accents the check read, while the job waits for confirmation."""
    try:
        sample = json.loads((job_dir(job) / SAMPLE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(value) for value in sample] if isinstance(sample, list) else []


def first_errors(job: ImportJob, limit: int = ERRORS_SHOWN) -> list[list[str]]:
    """The first `limit` rows of the job's error report (without its header)."""
    path = errors_path(job)
    if not path.exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader, None)
        rows = []
        for row in reader:
            if len(rows) >= limit:
                break
            rows.append([unescape_cell(cell) for cell in row])
        return rows


# --- progress ----------------------------------------------------------------------------------


class ProgressFile:
    """progress.json of a running job: phase, rows read, fraction of the file, heartbeat."""

    def __init__(self, path: Path):
        self.path = path
        self.state = {"phase": "", "rows": 0, "fraction": 0.0, "beat": time.time()}
        self._lock = threading.Lock()

    def update(self, **values) -> None:
        with self._lock:
            self.state.update(values, beat=time.time())
            tmp = self.path.with_suffix(".tmp")
            with _private_file(tmp) as f:
                f.write(json.dumps(self.state).encode())
            os.replace(tmp, self.path)

    def beat(self) -> None:
        self.update()

    @staticmethod
    def read(path: Path) -> dict | None:
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None


class _Heartbeat(threading.Thread):
    """Touches the progress file every few seconds while the worker lives."""

    def __init__(self, progress: ProgressFile):
        super().__init__(daemon=True)
        self.progress = progress
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(HEARTBEAT_SECONDS):
            try:
                self.progress.beat()
            except OSError:  # the job's files are gone: the job has ended
                return


def job_progress(job: ImportJob) -> dict:
    """{rows, percent, phase} of a running job (zeros before the first chunk)."""
    state = ProgressFile.read(job_dir(job) / PROGRESS_NAME) or {}
    fraction = min(max(float(state.get("fraction") or 0), 0.0), 1.0)
    return {
        "rows": int(state.get("rows") or 0),
        "percent": int(fraction * 100),
        "phase": state.get("phase", ""),
    }


def _last_sign_of_life(job: ImportJob) -> float:
    state = ProgressFile.read(job_dir(job) / PROGRESS_NAME)
    if state and state.get("beat"):
        return float(state["beat"])
    started = job.started_at or job.created_at
    return started.timestamp()


def import_job_refresh(job: ImportJob) -> ImportJob:
    """The job as it is now; a running job without a heartbeat for a while is failed."""
    job.refresh_from_db()
    if job.running and time.time() - _last_sign_of_life(job) > stale_seconds():
        updated = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
            status=ImportJob.Status.FAILED,
            message=_(
                "The import stopped without finishing (the server was restarted?). "
                "Nothing was written: upload the file again."
            ),
            finished_at=timezone.now(),
        )
        if updated:
            _delete_upload(job)
            job.refresh_from_db()
            _audit_job(job, AuditAction.IMPORT_FAIL)
    return job


# --- the job's life ----------------------------------------------------------------------------


class Cancelled(Exception):
    pass


_workers: dict[int, threading.Thread] = {}


def wait_for_workers(timeout: float | None = None) -> None:
    """Join every background worker of this process (tests; a clean shutdown)."""
    for thread in list(_workers.values()):
        thread.join(timeout)


def import_job_create(*, user, kind: str, upload, sheet: str = "") -> ImportJob:
    """Store the upload in a new job's private directory; the job then checks it."""
    size = upload.size or 0
    job = ImportJob.objects.create(
        kind=kind,
        user=user,
        status=ImportJob.Status.CHECKING,
        file_name=os.path.basename(upload.name or "")[:255],
        file_size=size,
        sheet=sheet,
        background=size > background_bytes(),
        started_at=timezone.now(),
    )
    _private_dir(jobs_root())
    _private_dir(job_dir(job))
    with _private_file(upload_path(job)) as f:
        for chunk in upload.chunks():
            f.write(chunk)
    return job


def import_job_start(job: ImportJob) -> None:
    """Run the job's current phase: inline for a small file, in a thread for a large one."""
    dry_run = job.status == ImportJob.Status.CHECKING
    language = translation.get_language() or settings.LANGUAGE_CODE
    if not job.background:
        _work(job.pk, dry_run, language)
        return
    thread = threading.Thread(target=_work_in_thread, args=(job.pk, dry_run, language), daemon=True)
    _workers[job.pk] = thread
    thread.start()


def import_job_confirm(*, job: ImportJob, user) -> bool:
    """Start the real import of a checked job; False if it is not the user's or not ready."""
    if job.user_id != user.pk:
        return False
    started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALID).update(
        status=ImportJob.Status.IMPORTING, started_at=timezone.now()
    )
    if not started:
        return False
    job.refresh_from_db()
    import_job_start(job)
    return True


def import_job_cancel(*, job: ImportJob, user) -> bool:
    """Cancel a job waiting for confirmation (at once) or running (at its next chunk)."""
    if job.user_id != user.pk:
        return False
    if job.running:
        (job_dir(job) / CANCEL_NAME).touch()
        return True
    cancelled = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALID).update(
        status=ImportJob.Status.CANCELLED, finished_at=timezone.now()
    )
    if cancelled:
        _delete_upload(job)
        job.refresh_from_db()
        _audit_job(job, AuditAction.IMPORT_CANCEL)
    return bool(cancelled)


def import_jobs_expire(*, older_than: datetime.timedelta = datetime.timedelta(days=1)) -> int:
    """Cancel jobs left unconfirmed for a day and remove the files of jobs ended a week ago."""
    now = timezone.now()
    stale = list(
        ImportJob.objects.filter(status=ImportJob.Status.VALID, created_at__lt=now - older_than)
    )
    for job in stale:
        if ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALID).update(
            status=ImportJob.Status.CANCELLED, finished_at=now
        ):
            _delete_upload(job)
    # Only directories still on disk are looked at, so this stays cheap as jobs pile up.
    root = jobs_root()
    on_disk = [int(p.name) for p in root.iterdir() if p.name.isdigit()] if root.exists() else []
    kept = set(
        ImportJob.objects.filter(pk__in=on_disk)
        .exclude(status__in=ImportJob.ENDED, finished_at__lt=now - datetime.timedelta(days=7))
        .values_list("pk", flat=True)
    )
    for pk in set(on_disk) - kept:
        shutil.rmtree(root / str(pk), ignore_errors=True)
    return len(stale)


def _work_in_thread(job_id: int, dry_run: bool, language: str) -> None:
    close_old_connections()
    try:
        _work(job_id, dry_run, language)
    finally:
        _workers.pop(job_id, None)
        connections.close_all()


def _work(job_id: int, dry_run: bool, language: str) -> None:
    """One phase of a job, start to end: never raises, always leaves the job settled."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    directory = job_dir(job)
    progress = ProgressFile(directory / PROGRESS_NAME)
    progress.update(phase="check" if dry_run else "import", rows=0, fraction=0.0)
    heartbeat = _Heartbeat(progress)
    heartbeat.start()

    def on_progress(phase, rows, fraction):
        if (directory / CANCEL_NAME).exists():
            raise Cancelled
        progress.update(rows=rows, fraction=fraction)

    with translation.override(language):
        report, status, message = None, None, ""
        try:
            scope = Scope.for_user(job.user)
            if scope is None or not scope.may_import:
                status, message = ImportJob.Status.FAILED, _("You may no longer import.")
            else:
                report = run_import(
                    job.kind,
                    upload_path(job),
                    dry_run=dry_run,
                    sheet=job.sheet or None,
                    actor=job.user,
                    progress=on_progress,
                    scope=scope,
                )
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
        if report is not None:
            _finish(job, report, dry_run)
        else:
            _settle(job, status, message=message)


def _finish(job: ImportJob, report: Report, dry_run: bool) -> None:
    job.rows = report.rows
    job.seconds = report.seconds
    job.error_count = len(report.errors)
    job.file_error = report.file_error.message if report.file_error else ""
    job.encoding, job.delimiter = report.encoding, report.delimiter
    counts = report.counts
    job.created_count, job.updated_count = counts.created, counts.updated
    job.unchanged_count = counts.unchanged
    job.notices = {code: n for code, n in counts.notices.items() if n}
    if not report.ok:
        _write_errors(job, report)
    if dry_run and report.ok and report.sample:  # an invalid job's files go at once
        _write_sample(job, report.sample)
    if dry_run:
        status = ImportJob.Status.VALID if report.ok else ImportJob.Status.INVALID
    elif report.ok:
        status = ImportJob.Status.DONE
    else:
        # Checked fine, refused now: the data changed between the check and the confirm.
        status = ImportJob.Status.FAILED
        job.message = _("The data changed since the check: nothing was written.")
    _settle(job, status)


def _settle(job: ImportJob, status: str, *, message: str = "") -> None:
    """Write the job's outcome (outside the import's transaction) and its audit event."""
    job.status = status
    if message:
        job.message = message
    if status in ImportJob.ENDED:
        job.finished_at = timezone.now()
        _delete_upload(job)
    else:
        (job_dir(job) / PROGRESS_NAME).unlink(missing_ok=True)
    job.save()
    action = {
        ImportJob.Status.VALID: AuditAction.IMPORT_CHECK,
        ImportJob.Status.INVALID: AuditAction.IMPORT_CHECK,
        ImportJob.Status.DONE: AuditAction.IMPORT_COMPLETE,
        ImportJob.Status.FAILED: AuditAction.IMPORT_FAIL,
        ImportJob.Status.CANCELLED: AuditAction.IMPORT_CANCEL,
    }[status]
    _audit_job(job, action)


# --- audit -------------------------------------------------------------------------------------


def _audit_job(job: ImportJob, action: str) -> None:
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
