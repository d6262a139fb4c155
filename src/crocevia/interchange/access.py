"""How a view obtains what it acts on: the user's scope, one of the user's own jobs, the
error report of a job; and who may use the interchange at all.

Downloading a job's error report records its access event (crocevia.audit.recording):
the report repeats the file's values (names, codici fiscali).
"""

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.audit.recording import record_access

from .importjobs import open_errors_file
from .models import ImportJob
from .scope import Scope

# The note of the access event of a download of a job's error report.
NOTE_ERROR_REPORT = "error report"


def may_interchange(user) -> bool:
    """Administrators, zone coordinators (import and export) and monitoring officers
    (pseudonymised exports) use the interchange page, within their scope."""
    return Scope.for_user(user) is not None


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
    """One of the user's own import jobs: 403 for whoever may not import
    (get_import_scope_for), 404 for another user's job (it does not exist for them)."""
    get_import_scope_for(user)
    try:
        return ImportJob.objects.get(pk=pk, user=user)
    except (ImportJob.DoesNotExist, ValueError):
        raise Http404(_("Page not found.")) from None


def job_errors_file_for(user, job: ImportJob) -> File | None:
    """The error report of `job` (obtained with get_job_for), open for reading, its
    download recorded; None when it is no longer kept (nothing recorded)."""
    report = open_errors_file(job)
    if report is None:
        return None
    record_access(actor=user, instance=job, note=NOTE_ERROR_REPORT)
    return report
