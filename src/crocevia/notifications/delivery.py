"""E-mail delivery of notifications, run by the worker (tasks.py), never in a request.

A row to mail walks `EmailState`: pending → sending (claimed: its attempt counted) → sent,
or back to pending (to be retried) or failed (the attempts spent, the error kept). The
claim is a short transaction of its own, so no transaction is held open while the SMTP
server answers, and a row already claimed or sent is never mailed twice by the same
path. A row left "sending" by a worker that died is put back by `requeue_stalled`.

What a mail says: the kind of notification, the reference number and a link to the
application, nothing else: no title, no name, no case data (the person's privacy; the
operator signs in to read them).
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import EmailMode, EmailState, Notification

logger = logging.getLogger(__name__)

# A row "sending" for longer than this was claimed by a worker that died mid-send.
STALL_AFTER = datetime.timedelta(minutes=15)


@dataclass
class Outcome:
    """What one delivery run did, by notification id."""

    sent: list[int] = field(default_factory=list)
    # Failed but to be tried again: seconds to wait -> ids.
    retry: dict[int, list[int]] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


def absolute_url(path: str) -> str:
    return settings.CROCEVIA_BASE_URL + path


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt after `attempts` failed ones: doubling."""
    return settings.CROCEVIA_NOTIFY_RETRY_SECONDS * 2 ** max(attempts - 1, 0)


def _claim(queryset) -> list[Notification]:
    """Lock the pending rows of `queryset`, mark them sending and count the attempt."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            queryset.filter(email_state=EmailState.PENDING)
            .select_for_update(of=("self",))
            .select_related("recipient")
            .order_by("pk")
        )
        if rows:
            Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
                email_state=EmailState.SENDING,
                email_claimed_at=now,
                email_attempts=F("email_attempts") + 1,
            )
    for row in rows:
        row.email_attempts += 1
    return rows


def _mark_sent(ids: list[int]) -> None:
    Notification.objects.filter(pk__in=ids, email_state=EmailState.SENDING).update(
        email_state=EmailState.SENT, emailed_at=timezone.now(), email_error=""
    )


def _mark_failed(rows: list[Notification], error: BaseException, outcome: Outcome) -> None:
    """Back to pending for another attempt, or failed once the attempts are spent."""
    text = f"{type(error).__name__}: {error}"[:2000]
    for row in rows:
        outcome.errors[row.pk] = text
        if row.email_attempts >= settings.CROCEVIA_NOTIFY_MAX_ATTEMPTS:
            state = EmailState.FAILED
            outcome.failed.append(row.pk)
        else:
            state = EmailState.PENDING
            outcome.retry.setdefault(retry_delay(row.email_attempts), []).append(row.pk)
        Notification.objects.filter(pk=row.pk, email_state=EmailState.SENDING).update(
            email_state=state, email_error=text
        )
    logger.warning("notification e-mail failed (%s): %s", [row.pk for row in rows], text)


def _context(rows: list[Notification]) -> dict:
    return {
        "items": [
            {
                "kind": row.get_kind_display(),
                "reference": row.reference,
                "link": absolute_url(reverse("notifications:open", args=[row.pk])),
            }
            for row in rows
        ],
        "inbox_link": absolute_url(reverse("notifications:inbox")),
        "preferences_link": absolute_url(reverse("notifications:preferences")),
    }


def immediate_message(row: Notification) -> EmailMessage:
    """The mail of one notification (in the installation's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        context = _context([row])
        subject = _("Crocevia: %(kind)s (%(reference)s)") % context["items"][0]
        body = render_to_string("notifications/email/immediate.txt", context)
    return EmailMessage(subject=subject, body=body, to=[row.recipient.email])


def digest_message(rows: list[Notification]) -> EmailMessage:
    """One mail gathering a recipient's digest notifications."""
    with translation.override(settings.LANGUAGE_CODE):
        context = _context(rows)
        subject = ngettext(
            "Crocevia: %(count)d new notification",
            "Crocevia: %(count)d new notifications",
            len(rows),
        ) % {"count": len(rows)}
        body = render_to_string("notifications/email/digest.txt", context)
    return EmailMessage(subject=subject, body=body, to=[rows[0].recipient.email])


def send_immediate(ids: list[int]) -> Outcome:
    """Mail each of these notifications still pending, one message each, over one
    connection to the SMTP server."""
    outcome = Outcome()
    rows = _claim(Notification.objects.filter(pk__in=ids, email_mode=EmailMode.IMMEDIATE))
    if not rows:
        return outcome
    connection = get_connection()
    try:
        connection.open()
    except Exception as error:  # noqa: BLE001 - any failure is recorded and retried
        _mark_failed(rows, error, outcome)
        return outcome
    try:
        for row in rows:
            try:
                connection.send_messages([immediate_message(row)])
            except Exception as error:  # noqa: BLE001 - recorded on the row, retried
                _mark_failed([row], error, outcome)
            else:
                _mark_sent([row.pk])
                outcome.sent.append(row.pk)
    finally:
        connection.close()
    return outcome


def digest_recipients() -> list[int]:
    """The users with digest notifications waiting to be mailed."""
    return sorted(
        set(
            Notification.objects.filter(
                email_mode=EmailMode.DIGEST, email_state=EmailState.PENDING
            ).values_list("recipient_id", flat=True)
        )
    )


def send_digest(user_id: int) -> Outcome:
    """One mail to `user_id` with every digest notification of theirs still pending.
    Run twice, the second run finds nothing pending and sends nothing."""
    outcome = Outcome()
    rows = _claim(Notification.objects.filter(recipient_id=user_id, email_mode=EmailMode.DIGEST))
    if not rows:
        return outcome
    try:
        get_connection().send_messages([digest_message(rows)])
    except Exception as error:  # noqa: BLE001 - recorded on the rows, retried
        _mark_failed(rows, error, outcome)
    else:
        ids = [row.pk for row in rows]
        _mark_sent(ids)
        outcome.sent.extend(ids)
    return outcome


def requeue_stalled(now=None) -> list[int]:
    """Rows left "sending" by a worker that died: pending again. Returns the immediate
    ones (to be enqueued again; digest ones wait for the next digest)."""
    cutoff = (now or timezone.now()) - STALL_AFTER
    stalled = Notification.objects.filter(
        email_state=EmailState.SENDING, email_claimed_at__lt=cutoff
    )
    with transaction.atomic():
        rows = list(stalled.select_for_update().values_list("pk", "email_mode"))
        Notification.objects.filter(pk__in=[pk for pk, _mode in rows]).update(
            email_state=EmailState.PENDING
        )
    return [pk for pk, mode in rows if mode == EmailMode.IMMEDIATE]
