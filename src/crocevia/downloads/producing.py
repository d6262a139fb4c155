"""What the worker does with a prepared file: write it (`produce_file`), remove it when
its day is over (`expire_files`). Run by the jobs of tasks.py, never by a request.

Safe to run again: a worker killed half-way (SIGKILL) leaves the row RUNNING and maybe
part of a file in the storage; the job, run again, claims the row again, removes whatever
an earlier attempt stored and writes the file whole. The row turns READY only once the
file is stored, by a conditional update, so no one downloads half a file.
"""

import datetime
import logging
import tempfile
import uuid

from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import PreparedFile
from .producers import Refused, get_producer

logger = logging.getLogger(__name__)

# A prepared file is kept this long after it was asked for, then removed.
LIFETIME = datetime.timedelta(hours=24)
# The row of an expired file stays this long (its page says the file is gone), then goes.
ROWS_KEPT = datetime.timedelta(days=7)

Status = PreparedFile.Status


def failure_message() -> str:
    return _(
        "The file could not be prepared. Ask for it again; if it fails again, tell the "
        "administrator."
    )


def storage_directory(prepared: PreparedFile) -> str:
    return f"downloads/{prepared.pk}"


def storage_name(prepared: PreparedFile) -> str:
    return f"{storage_directory(prepared)}/{prepared.file_name}"


def clear_storage(prepared: PreparedFile) -> None:
    """Remove whatever is stored for `prepared`: its file, and anything an interrupted
    attempt left in its directory."""
    names = {storage_name(prepared)}
    if prepared.storage_name:
        names.add(prepared.storage_name)
    directory = storage_directory(prepared)
    try:
        _dirs, files = default_storage.listdir(directory)
    except (NotImplementedError, OSError):  # a storage that lists nothing, no directory
        files = []
    names.update(f"{directory}/{name}" for name in files)
    for name in sorted(names):
        default_storage.delete(name)


def _claim(prepared_id: int) -> PreparedFile | None:
    """The row, now RUNNING for this attempt (its attempt_token); None when it is not
    waiting or running any more (ready, failed, expired, gone): nothing to do."""
    token = uuid.uuid4().hex
    claimed = PreparedFile.objects.filter(
        pk=prepared_id, status__in=[Status.QUEUED, Status.RUNNING]
    ).update(
        status=Status.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        attempt_token=token,
    )
    if not claimed:
        return None
    prepared = PreparedFile.objects.select_related("user").get(pk=prepared_id)
    prepared.attempt_token = token  # ours, even if a later attempt claimed it since
    return prepared


def _mine(prepared: PreparedFile):
    """The row while this attempt still holds it."""
    return PreparedFile.objects.filter(
        pk=prepared.pk, status=Status.RUNNING, attempt_token=prepared.attempt_token
    )


def _fail(prepared: PreparedFile, message: str) -> None:
    failed = _mine(prepared).update(
        status=Status.FAILED,
        error=message,
        finished_at=timezone.now(),
        expires_at=prepared.created_at + LIFETIME,
        storage_name="",
        size=None,
    )
    if failed:
        clear_storage(prepared)


def produce_file(prepared_id: int) -> str:
    """Write the file of row `prepared_id` with its producer, as its user, into the
    default storage, and mark it ready. Returns what became of it: "ready", "refused"
    (the producer refused the user: the row says why), "skipped" (nothing to do), "gone"
    (the row went or expired meanwhile: nothing kept). An unexpected error marks the row
    failed and is raised again, so the queue's admin shows it."""
    prepared = _claim(prepared_id)
    if prepared is None:
        return "skipped"
    clear_storage(prepared)  # what an earlier, interrupted attempt stored
    with translation.override(prepared.language), tempfile.TemporaryFile() as spool:
        try:
            producer = get_producer(prepared.producer)
            if not prepared.user.is_active:
                raise Refused(_("Your account is no longer active."))
            producer(user=prepared.user, out=spool, **prepared.arguments)
        except Refused as refusal:
            _fail(prepared, str(refusal))
            return "refused"
        except Exception:
            _fail(prepared, failure_message())
            raise
        size = spool.seek(0, 2)
        spool.seek(0)
        name = default_storage.save(storage_name(prepared), File(spool, prepared.file_name))
    finished = timezone.now()
    done = _mine(prepared).update(
        status=Status.READY,
        storage_name=name,
        size=size,
        error="",
        finished_at=finished,
        expires_at=prepared.created_at + LIFETIME,
    )
    if not done:  # expired, deleted or claimed again while it was being written
        default_storage.delete(name)
        return "gone"
    return "ready"


def expire_files(now: datetime.datetime | None = None) -> dict:
    """Remove the files asked for more than LIFETIME ago (whatever their state: a job
    stuck that long is given up) and mark their rows expired; delete the rows expired for
    more than ROWS_KEPT. Safe to run again and beside other workers."""
    now = now or timezone.now()
    due = PreparedFile.objects.exclude(status=Status.EXPIRED).filter(
        Q(created_at__lte=now - LIFETIME) | Q(expires_at__lte=now)
    )
    expired = 0
    for prepared in due.iterator():
        clear_storage(prepared)
        expired += PreparedFile.objects.filter(pk=prepared.pk).update(
            status=Status.EXPIRED, storage_name="", size=None, expires_at=now
        )
    deleted, _detail = PreparedFile.objects.filter(
        status=Status.EXPIRED, created_at__lte=now - LIFETIME - ROWS_KEPT
    ).delete()
    return {"expired": expired, "deleted": deleted}
