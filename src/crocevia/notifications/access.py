"""The notifications' one door: a notification is its recipient's only (404 otherwise,
administrators included: it is a personal message, not a record of the case)."""

from django.http import Http404

from .models import Notification


def get_notification_for(user, pk) -> Notification:
    try:
        return Notification.objects.get(pk=pk, recipient=user)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
