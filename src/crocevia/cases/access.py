"""The one way a view obtains a case."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Case
from .selectors import cases_visible_to


def get_case_for(user, pk, *, write: bool = False) -> Case:
    """The case `pk` if `user` may see it (404 otherwise); 403 if they may not change it.

    A closed case is read-only for everyone.
    """
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
