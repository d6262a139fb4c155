"""Reads of the notifications, always of the user's own: nobody reads another's."""

from crocevia.core.paging import CappedCount, capped_count

from .models import DEFAULT_EMAIL_MODE, Notification, NotificationKind, NotificationPreference

# The header shows "99+" past this.
UNREAD_CAP = 99


def notifications_for(user, *, unread: bool = False, kind: str = ""):
    """The user's notifications, newest first."""
    queryset = Notification.objects.filter(recipient=user).select_related("actor")
    if unread:
        queryset = queryset.filter(read_at__isnull=True)
    if kind in NotificationKind.values:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-created_at", "-pk")


def unread_count(user) -> CappedCount:
    """One query, counted up to UNREAD_CAP + 1."""
    return capped_count(
        Notification.objects.filter(recipient=user, read_at__isnull=True), UNREAD_CAP
    )


def email_modes_for(user) -> dict[str, str]:
    """The user's e-mail mode of every kind (the default where they chose none)."""
    chosen = dict(
        NotificationPreference.objects.filter(user=user).values_list("kind", "email_mode")
    )
    return {kind: chosen.get(kind, DEFAULT_EMAIL_MODE) for kind in NotificationKind.values}
