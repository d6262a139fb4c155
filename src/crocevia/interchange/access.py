"""How a view obtains what it acts on: the user's scope, one of the user's own jobs."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import ImportJob
from .scope import Scope


def get_scope_for(user) -> Scope:
    """The user's import/export scope, or 403 for anyone but administrators, coordinators
    and monitoring officers (whose scope allows pseudonymised exports only)."""
    scope = Scope.for_user(user)
    if scope is None:
        raise PermissionDenied(
            _(
                "Only administrators and zone coordinators import and export; monitoring "
                "officers download pseudonymised exports. Ask your coordinator if you need data."
            )
        )
    return scope


def get_import_scope_for(user) -> Scope:
    """The user's scope for imports (the upload, the job pages), or 403: also for monitoring
    officers, who may export (pseudonymised) but never import."""
    scope = get_scope_for(user)
    if not scope.may_import:
        raise PermissionDenied(_("Monitoring officers may export pseudonymised data only."))
    return scope


def get_job_for(user, pk) -> ImportJob:
    """One of the user's own import jobs, or 404 (another user's job does not exist for them)."""
    try:
        return ImportJob.objects.get(pk=pk, user=user)
    except (ImportJob.DoesNotExist, ValueError):
        raise Http404(_("Page not found.")) from None
