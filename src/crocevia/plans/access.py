"""The one way a view obtains a plan or one of its versions: through its case's access."""

from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.cases.access import get_case_for

from .models import Plan


def get_plan_for(user, pk, *, write: bool = False) -> Plan:
    """The plan `pk` if `user` may see its case (404 otherwise); 403 if they may not change it."""
    case_id = Plan.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404(_("Plan not found."))
    case = get_case_for(user, case_id, write=write)
    plan = Plan.objects.get(pk=pk)
    plan.case = case
    return plan
