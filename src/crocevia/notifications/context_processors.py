"""The unread count in the header of every page, read at most once per page and only
when the page shows it (htmx partials do not)."""

from django.utils.functional import cached_property

from .selectors import unread_count


class UnreadNotifications:
    def __init__(self, user):
        self._user = user

    @cached_property
    def count(self):
        return unread_count(self._user)


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": UnreadNotifications(user)}
