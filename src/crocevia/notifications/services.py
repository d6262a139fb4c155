"""Every write of the notifications: creating them (`notify`, which other apps call from
inside their own services' transactions), marking them read, and the operator's e-mail
preferences. Keyword-only, atomic, validated."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.accounts.models import User

from .models import (
    DEFAULT_EMAIL_MODE,
    EmailMode,
    EmailState,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from .tasks import send_emails

TITLE_MAX = Notification._meta.get_field("title").max_length
REFERENCE_MAX = Notification._meta.get_field("reference").max_length
URL_MAX = Notification._meta.get_field("url").max_length


def _check(kind, url: str, reference: str) -> NotificationKind:
    errors = {}
    if kind not in NotificationKind.values:
        errors["kind"] = f"Unknown notification kind: {kind!r}"
    # A path of this application only: the inbox links to it, and "open" redirects there.
    if not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > URL_MAX:
        errors["url"] = f"Not a path of this application: {url!r}"
    if not reference or len(reference) > REFERENCE_MAX:
        errors["reference"] = f"A reference number of at most {REFERENCE_MAX} characters"
    if errors:
        raise ValidationError(errors)
    return NotificationKind(kind)


@transaction.atomic
def notify(*, recipients, kind, url: str, reference: str, title: str = "", actor=None):
    """Tell `recipients` (users or their ids) of something at `url` (a path of this
    application), known by `reference` (the number its page shows, e.g. "n. 42").

    Call it inside the transaction of the change it tells of: the in-app rows and the
    e-mail job commit or roll back with it. Inactive users and the actor (never told of
    their own action) are left out. Each recipient's preference for `kind` decides the
    e-mail: immediate ones are sent by the worker after the commit; digest ones wait for
    the daily digest. `title` is shown in the application only, never mailed; the mail
    carries the kind, the reference and a link. Returns the notifications created.
    """
    kind = _check(kind, url, reference)
    ids = {getattr(r, "pk", r) for r in recipients} - {getattr(actor, "pk", None)}
    if not ids:
        return []
    users = User.objects.filter(pk__in=ids, is_active=True).only("pk", "email").order_by("pk")
    modes = dict(
        NotificationPreference.objects.filter(user_id__in=ids, kind=kind).values_list(
            "user_id", "email_mode"
        )
    )
    rows = []
    for user in users:
        mode = modes.get(user.pk, DEFAULT_EMAIL_MODE)
        mailed = mode != EmailMode.NONE and bool(user.email)
        rows.append(
            Notification(
                recipient_id=user.pk,
                kind=kind,
                title=title[:TITLE_MAX],
                url=url,
                reference=reference,
                actor_id=getattr(actor, "pk", None),
                email_mode=mode,
                email_state=EmailState.PENDING if mailed else EmailState.NONE,
            )
        )
    created = Notification.objects.bulk_create(rows)
    immediate = [
        n.pk
        for n in created
        if n.email_mode == EmailMode.IMMEDIATE and n.email_state == EmailState.PENDING
    ]
    if immediate:
        # A row of this transaction (database backend): no job without the notifications,
        # no notifications without their job.
        send_emails.enqueue(immediate)
    return created


def _require_recipient(actor, notification) -> None:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied(_("This notification is not yours."))


@transaction.atomic
def notification_mark_read(*, actor, notification) -> Notification:
    """Mark one of the actor's notifications read (once: the first reading is kept)."""
    _require_recipient(actor, notification)
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor, kind: str = "") -> int:
    """Mark every unread notification of the actor read (of one kind, if given)."""
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if kind:
        unread = unread.filter(kind=kind)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, actor, modes: dict) -> dict:
    """Set the actor's e-mail mode for some kinds ({kind: mode}). Notifications already
    created keep the mode they were made with."""
    errors = {}
    for kind, mode in modes.items():
        if kind not in NotificationKind.values:
            errors[kind] = _("Unknown kind of notification.")
        elif mode not in EmailMode.values:
            errors[kind] = _("Choose how you want to be told.")
    if errors:
        raise ValidationError(errors)
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=actor, kind=k, email_mode=m) for k, m in modes.items()],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["email_mode"],
    )
    return modes
