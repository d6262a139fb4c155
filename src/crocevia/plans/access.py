"""The one way a view obtains a plan, one of its versions or one of its actions: through
its case's access; and who submits and who validates a plan.

Obtaining a plan or a version records its access event (crocevia.audit.recording).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from crocevia.audit.recording import record_access
from crocevia.cases.access import (
    case_access_note,
    find_case_for,
    is_case_manager_of,
    is_zone_coordinator_of,
)
from crocevia.cases.models import Case
from crocevia.network.models import CasePart

from .models import Action, Plan, PlanVersion
from .selectors import version_with_content


def can_validate_plan(user, case: Case) -> bool:
    """A coordinator of the case's zone validates its plan (equal needs, equal offers)."""
    return is_zone_coordinator_of(user, case)


def can_submit_plan(user, case: Case) -> bool:
    """The case manager submits the plan to the coordination group (an administrator may
    too)."""
    return is_case_manager_of(user, case)


def _plan_for(user, pk, *, write: bool) -> Plan:
    case_id = Plan.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404(_("Plan not found."))
    # A member of another organisation reads it if an agreement shares the cases' plans.
    case = find_case_for(user, case_id, write=write, part=CasePart.PLAN)
    plan = Plan.objects.get(pk=pk)
    plan.case = case
    return plan


def get_plan_for(user, pk, *, write: bool = False) -> Plan:
    """The plan `pk` if `user` may see its case (404 otherwise); 403 if they may not change it."""
    plan = _plan_for(user, pk, write=write)
    note = case_access_note(user, plan.case, CasePart.PLAN)
    record_access(actor=user, instance=plan, person_id=plan.case.person_id, note=note)
    return plan


def get_plan_to_validate_for(user, pk) -> Plan:
    """The plan `pk` as get_plan_for(write=True) allows; 403 unless `user` validates it
    (can_validate_plan)."""
    plan = get_plan_for(user, pk, write=True)
    if not can_validate_plan(user, plan.case):
        raise PermissionDenied(_("Only a coordinator of the case's zone validates plans."))
    return plan


def get_plan_to_submit_for(user, pk) -> Plan:
    """The plan `pk` as get_plan_for(write=True) allows; 403 unless `user` submits it
    (can_submit_plan)."""
    plan = get_plan_for(user, pk, write=True)
    if not can_submit_plan(user, plan.case):
        raise PermissionDenied(_("Only the case manager submits the plan for validation."))
    return plan


def get_action_for(user, pk, action_pk, *, write: bool = False) -> Action:
    """The action `action_pk` of a version of plan `pk` (get_plan_for; `action.version.plan`
    is that plan), 404 if the plan has no such action."""
    plan = get_plan_for(user, pk, write=write)
    action = get_object_or_404(
        Action.objects.select_related("version"), pk=action_pk, version__plan=plan
    )
    action.version.plan = plan
    return action


def get_version_for(user, pk, number, *, write: bool = False, note: str = "") -> PlanVersion:
    """Version `number` of plan `pk`, with its content (version.plan.case set), as
    get_plan_for allows; 404 if there is no such version. `note`: "pdf" when printed."""
    plan = _plan_for(user, pk, write=write)
    version = version_with_content(plan, number)
    if version is None:
        raise Http404(_("Plan version not found."))
    version.plan = plan
    note = case_access_note(user, plan.case, CasePart.PLAN, note)
    record_access(actor=user, instance=version, person_id=plan.case.person_id, note=note)
    return version
