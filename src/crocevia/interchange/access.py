"""How a view obtains what it acts on: the user's scope, one of the user's own jobs."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import ImportJob
from .scope import Scope


def get_scope_for(user) -> Scope:
    """The user's import/export scope, or 403 for anyone but administrators and coordinators."""
    scope = Scope.for_user(user)
    if scope is None:
        raise PermissionDenied(_("Only administrators and zone coordinators import and export."))
    return scope


def get_job_for(user, pk) -> ImportJob:
    """One of the user's own import jobs, or 404 (another user's job does not exist for them)."""
    try:
        return ImportJob.objects.get(pk=pk, user=user)
    except (ImportJob.DoesNotExist, ValueError):
        raise Http404(_("Page not found.")) from None
