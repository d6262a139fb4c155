"""What the case services share: the audited fields, who steers a case, date checks."""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships

from ..models import Case, NeedClass, TeamMember
from ..selectors import is_zone_coordinator_of

SECTION_A_FIELDS = (
    "household_composition",
    "income_and_benefits",
    "work_history",
    "skills",
    "italian_level",
    "housing",
    "housing_notes",
    "health_declared",
    "legal_status",
    "services_involved",
)
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
]
TEAM_AUDIT_FIELDS = ["case", "user", "organisation", "role", "health_access", "added_on"]
INTAKE_AUDIT_FIELDS = [
    *SECTION_A_FIELDS,
    "social_worker",
    "cpi_consultant",
    "need_class",
    "completed_on",
]


def _format(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


# --- who may do what ------------------------------------------------------------------------


def _has_profile_in(user, organisation_id, profile) -> bool:
    return any(
        m.organisation_id == organisation_id and m.profile == profile
        for m in active_memberships(user)
    )


def can_manage_case(user, case: Case) -> bool:
    """Who steers a case: its zone coordinators, its case manager, the social workers of
    the organisation that owns it; for a work-only case also the CPI consultants on its
    team (the case is the CPI's)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or case.case_manager_id == user.pk:
        return True
    if is_zone_coordinator_of(user, case):
        return True
    if _has_profile_in(user, case.organisation_id, Profile.SOCIAL_WORKER):
        return True
    if case.need_class == NeedClass.WORK:
        return TeamMember.objects.filter(
            case=case, user=user, removed_on__isnull=True, role=Profile.CPI_CONSULTANT
        ).exists()
    return False


def _require_open(case: Case) -> None:
    if case.is_closed:
        raise PermissionDenied(_("This case is closed: it can be read but not changed."))


def _require_manager(actor, case: Case) -> None:
    _require_open(case)
    if not can_manage_case(actor, case):
        raise PermissionDenied(_("You may not change this case."))


def _check_day(errors: dict, field: str, day, *, not_before=None, label="") -> None:
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        errors[field] = _("Enter a valid date.")
    elif day > timezone.localdate():
        errors[field] = _("The date (%(day)s) cannot be in the future.") % {"day": _format(day)}
    elif not_before is not None and day < not_before:
        errors[field] = _("The date (%(day)s) cannot be before %(what)s (%(previous)s).") % {
            "day": _format(day),
            "what": label,
            "previous": _format(not_before),
        }
