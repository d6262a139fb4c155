"""The notifications' jobs, run by the worker (`crocevia worker`), never by a request.

`services.notify` enqueues `send_emails` in the transaction that creates the notifications:
with the database backend the job is a row of that transaction, so it exists exactly when
the notifications do. A failed mail is tried again by a new job, later (`retry_delay`),
until CROCEVIA_NOTIFY_MAX_ATTEMPTS; then the job fails, naming the notifications, and the
tasks' admin shows it with the error (the notifications' admin shows each row's error).
"""

import datetime

from django.utils import timezone
from django_tasks import task

from . import delivery


class DeliveryFailed(Exception):
    """Some notifications could not be mailed after every attempt."""


def _schedule_retries(outcome: delivery.Outcome, job) -> None:
    now = timezone.now()
    for delay, ids in sorted(outcome.retry.items()):
        job.using(run_after=now + datetime.timedelta(seconds=delay)).enqueue(ids)


def _summary(outcome: delivery.Outcome) -> dict:
    return {
        "sent": len(outcome.sent),
        "retrying": sum(len(ids) for ids in outcome.retry.values()),
        "failed": len(outcome.failed),
    }


def _raise_failed(outcome: delivery.Outcome) -> None:
    if outcome.failed:
        raise DeliveryFailed(
            "; ".join(f"notification {pk}: {outcome.errors[pk]}" for pk in outcome.failed)
        )


@task()
def send_emails(notification_ids: list[int]) -> dict:
    """Mail these immediate notifications (those still pending)."""
    outcome = delivery.send_immediate(notification_ids)
    _schedule_retries(outcome, send_emails)
    _raise_failed(outcome)
    return _summary(outcome)


@task()
def send_user_digest(user_id: int) -> dict:
    """Try a recipient's digest again (after a failure)."""
    outcome = delivery.send_digest(user_id)
    if outcome.retry:
        delay = min(outcome.retry)
        send_user_digest.using(
            run_after=timezone.now() + datetime.timedelta(seconds=delay)
        ).enqueue(user_id)
    _raise_failed(outcome)
    return _summary(outcome)


def run_digests() -> dict:
    """The daily digest: one mail per user with digest notifications waiting. Also puts
    back what a dead worker left half-sent. Idempotent: a second run sends nothing."""
    stalled = delivery.requeue_stalled()
    if stalled:
        send_emails.enqueue(stalled)
    totals = {"users": 0, "sent": 0, "retrying": 0, "failed": 0}
    for user_id in delivery.digest_recipients():
        outcome = delivery.send_digest(user_id)
        if outcome.retry:
            delay = min(outcome.retry)
            send_user_digest.using(
                run_after=timezone.now() + datetime.timedelta(seconds=delay)
            ).enqueue(user_id)
        summary = _summary(outcome)
        totals["users"] += 1 if outcome.sent else 0
        for key in ("sent", "retrying", "failed"):
            totals[key] += summary[key]
    totals["requeued"] = len(stalled)
    return totals


@task()
def send_digests() -> dict:
    """The daily digest as a job: the periodic job "notifications-digest" (every morning,
    CROCEVIA_PERIODIC_JOBS), or `crocevia notifications_digest --enqueue`."""
    return run_digests()
