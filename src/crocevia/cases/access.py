"""The one way a view obtains a case, and who may do what with a case.

Obtaining what shows personal data records its access event (crocevia.audit.recording).
The `can_*` predicates of a case are here too: the views ask them to show a button, the
services to refuse a change.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import coordinated_zone_ids, has_profile_in
from crocevia.audit.recording import NOTE_CASE_LIST, record_access, record_persons_shown

from .models import Case, NeedClass, TeamMember
from .selectors import cases_visible_to

# --- who may do what with a case ------------------------------------------------------------


def is_zone_coordinator_of(user, case: Case) -> bool:
    return user.is_superuser or case.zone_id in coordinated_zone_ids(user)


def is_case_manager_of(user, case: Case) -> bool:
    """The case's manager (or an administrator): who submits its plan for validation."""
    return user.is_superuser or (
        case.case_manager_id is not None and case.case_manager_id == user.pk
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
    if has_profile_in(user, case.organisation_id, Profile.SOCIAL_WORKER):
        return True
    if case.need_class == NeedClass.WORK:
        return TeamMember.objects.filter(
            case=case, user=user, removed_on__isnull=True, role=Profile.CPI_CONSULTANT
        ).exists()
    return False


def can_form_team(user, case: Case) -> bool:
    """Who declares a complex case's team formed: a coordinator of its zone or its case
    manager."""
    return is_zone_coordinator_of(user, case) or case.case_manager_id == user.pk


def can_set_priority(user, case: Case) -> bool:
    """The coordination group (a coordinator of the case's zone) sets the access priority
    of a case waiting to be taken in charge."""
    return case.is_waiting and is_zone_coordinator_of(user, case)


def can_read_health(user, case: Case) -> bool:
    """Health information: only the case manager and health-profile team members."""
    if not user.is_authenticated:
        return False
    if case.case_manager_id == user.pk:
        return True
    return TeamMember.objects.filter(
        case=case, user=user, removed_on__isnull=True, health_access=True
    ).exists()


# --- obtaining a case or a meeting ----------------------------------------------------------


def find_case_for(user, pk, *, write: bool = False) -> Case:
    """The checks of get_case_for without its access event: for the access functions of
    a case's parts (plans, interventions), which record the part they return."""
    try:
        case = (
            cases_visible_to(user)
            .select_related(
                "person", "organisation", "zone", "case_manager", "household", "priority_set_by"
            )
            .get(pk=pk)
        )
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Case not found.")) from None
    if write and case.is_closed:
        raise PermissionDenied(_("This case is closed: it can be read but not changed."))
    return case


def get_case_for(user, pk, *, write: bool = False) -> Case:
    """The case `pk` if `user` may see it (404 otherwise); 403 if they may not change it.

    A closed case is read-only for everyone. Records the access.
    """
    case = find_case_for(user, pk, write=write)
    record_access(actor=user, instance=case, person_id=case.person_id)
    return case


def cases_shown_to(user, cases) -> list[Case]:
    """`cases` (a page of a list the user may see), read, their persons recorded as shown."""
    cases = list(cases)
    record_persons_shown(actor=user, person_ids=[c.person_id for c in cases], note=NOTE_CASE_LIST)
    return cases
