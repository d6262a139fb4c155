"""Asking for a prepared file, and keeping its row true to its job."""

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django_tasks import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from . import tasks
from .models import PreparedFile
from .producers import get_producer
from .producing import LIFETIME, failure_message


def _check_file_name(file_name: str) -> None:
    if not file_name or "/" in file_name or "\\" in file_name or file_name.startswith("."):
        raise ValueError(f"not a plain file name: {file_name!r}")


def prepare_file(
    *, user, title: str, file_name: str, content_type: str, producer: str, kwargs: dict
) -> PreparedFile:
    """Ask the worker for a file: a row for `user` and the job that writes it, in one
    transaction (the queue's job is a row of the database too, so neither exists without
    the other). `producer` names a registered producer (producers.register), `kwargs` its
    arguments (JSON: what was asked, never a secret, never a scope decided here: the
    producer decides again, as `user`). The file is written in the current language."""
    get_producer(producer)  # a name no app registered fails here, in the request
    _check_file_name(file_name)
    with transaction.atomic():
        prepared = PreparedFile.objects.create(
            user=user,
            title=title[:200],
            file_name=file_name,
            content_type=content_type,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            producer=producer,
            arguments=kwargs,
        )
        job = tasks.produce.enqueue(prepared.pk)
        prepared.job_id = str(job.id)
        prepared.save(update_fields=["job_id"])
    return prepared


def prepared_file_refresh(prepared: PreparedFile) -> PreparedFile:
    """`prepared`, failed if its job failed without saying so on the row (the worker
    gave up after repeated kills, or the job is gone): its page then stops waiting."""
    if not prepared.pending or not prepared.job_id:
        return prepared
    try:
        status = tasks.produce.get_result(prepared.job_id).status
    except TaskResultDoesNotExist:
        status = TaskResultStatus.FAILED
    except NotImplementedError:  # a backend that keeps no results: the row alone says
        return prepared
    if status != TaskResultStatus.FAILED:
        return prepared
    PreparedFile.objects.filter(
        pk=prepared.pk, status__in=[PreparedFile.Status.QUEUED, PreparedFile.Status.RUNNING]
    ).update(
        status=PreparedFile.Status.FAILED,
        error=failure_message(),
        expires_at=prepared.created_at + LIFETIME,
    )
    prepared.refresh_from_db()
    return prepared
