"""The operator's notifications: the inbox, opening one (marked read), marking read, and
the e-mail preferences. Thin views: access → form → service → redirect."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.core.forms import add_service_errors

from .access import get_notification_for
from .forms import PreferencesForm
from .models import NotificationKind
from .selectors import email_modes_for, notifications_for
from .services import (
    notification_mark_read,
    notification_preferences_set,
    notifications_mark_all_read,
)

PER_PAGE = 25


def _filters(request) -> tuple[bool, str]:
    unread = request.GET.get("unread") == "1"
    kind = request.GET.get("kind", "")
    return unread, kind if kind in NotificationKind.values else ""


@require_GET
def inbox(request):
    unread, kind = _filters(request)
    paginator = Paginator(notifications_for(request.user, unread=unread, kind=kind), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("unread", "1" if unread else ""), ("kind", kind)) if v})
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "notifications": page.object_list,
            "unread": unread,
            "kind": kind,
            "kinds": NotificationKind.choices,
            "query": query,
        },
    )


@require_GET
def open_notification(request, pk):
    """Mark it read and go to what it is about."""
    notification = get_notification_for(request.user, pk)
    notification_mark_read(actor=request.user, notification=notification)
    if not url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect("notifications:inbox")
    return redirect(notification.url)


def _back_to_inbox(request):
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("notifications:inbox")


@require_POST
def mark_read(request, pk):
    notification = get_notification_for(request.user, pk)
    notification_mark_read(actor=request.user, notification=notification)
    return _back_to_inbox(request)


@require_POST
def mark_all_read(request):
    count = notifications_mark_all_read(actor=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked as read.",
            "%(count)d notifications marked as read.",
            count,
        )
        % {"count": count},
    )
    return _back_to_inbox(request)


@require_http_methods(["GET", "POST"])
def preferences(request):
    form = PreferencesForm(request.POST or None, modes=email_modes_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            notification_preferences_set(actor=request.user, modes=form.modes())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your notification preferences have been saved."))
            return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "has_email": bool(request.user.email)},
    )
