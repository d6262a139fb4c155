"""The one way a view obtains a plan or one of its versions: through its case's access.

Obtaining a plan or a version records its access event (crocevia.audit.recording).
"""

from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.audit.recording import record_access
from crocevia.cases.access import find_case_for

from .models import Plan, PlanVersion
from .selectors import version_with_content


def _plan_for(user, pk, *, write: bool) -> Plan:
    case_id = Plan.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404(_("Plan not found."))
    case = find_case_for(user, case_id, write=write)
    plan = Plan.objects.get(pk=pk)
    plan.case = case
    return plan


def get_plan_for(user, pk, *, write: bool = False) -> Plan:
    """The plan `pk` if `user` may see its case (404 otherwise); 403 if they may not change it."""
    plan = _plan_for(user, pk, write=write)
    record_access(actor=user, instance=plan, person_id=plan.case.person_id)
    return plan


def get_version_for(user, pk, number, *, write: bool = False, note: str = "") -> PlanVersion:
    """Version `number` of plan `pk`, with its content (version.plan.case set), as
    get_plan_for allows; 404 if there is no such version. `note`: "pdf" when printed."""
    plan = _plan_for(user, pk, write=write)
    version = version_with_content(plan, number)
    if version is None:
        raise Http404(_("Plan version not found."))
    version.plan = plan
    record_access(actor=user, instance=version, person_id=plan.case.person_id, note=note)
    return version
