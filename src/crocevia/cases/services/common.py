"""What the case services share: the audited fields, the checks before a change."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from ..access import can_manage_case
from ..models import Case

CASE_AUDIT_FIELDS = [
    "person",
    "household",
    "organisation",
    "zone",
    "origin",
    "source_contact",
    "referred_on",
    "stage",
    "previous_case",
    "case_manager",
    "sharing_basis",
    "sharing_note",
]
TEAM_AUDIT_FIELDS = ["case", "user", "organisation", "role", "health_access", "added_on"]


def require_open(case: Case) -> None:
    """PermissionDenied when the case is closed (read-only)."""
    if case.is_closed:
        raise PermissionDenied(_("This case is closed: it can be read but not changed."))


def require_manager(actor, case: Case) -> None:
    """PermissionDenied unless the case is open and `actor` steers it (can_manage_case):
    for the services of a case and of its parts (the pre-assessment, in assessments)."""
    require_open(case)
    if not can_manage_case(actor, case):
        raise PermissionDenied(_("You may not change this case."))
