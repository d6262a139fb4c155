"""The one way a view obtains a case.

Obtaining what shows personal data records its access event (crocevia.audit.recording).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.audit.recording import NOTE_CASE_LIST, record_access, record_persons_shown

from .models import Case
from .selectors import cases_visible_to


def find_case_for(user, pk, *, write: bool = False) -> Case:
    """The checks of get_case_for without its access event: for the access functions of
    a case's parts (plans, interventions), which record the part they return."""
    try:
        case = (
            cases_visible_to(user)
            .select_related("person", "organisation", "zone", "case_manager", "household")
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
