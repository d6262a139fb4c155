"""The one way a view obtains a programme, a budget action or a case to enrol, and who
may see, manage and spend on programmes: 404 when not visible, 403 when visible but not
the user's to change. Obtaining a programme records its access event
(crocevia.audit.recording)."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import coordinated_zone_ids
from crocevia.audit.recording import record_access
from crocevia.cases.models import Case
from crocevia.cases.selectors import cases_visible_to

from .models import BudgetAction, Programme
from .selectors import (
    budget_organisation_ids,
    programmes_visible_to,
    programmes_with_totals,
    recordable_actions,
)

# --- who may do what ------------------------------------------------------------------------


def may_see_programmes(user) -> bool:
    """Whether programme pages may list anything for the user (no query: memberships)."""
    return bool(user.is_superuser or coordinated_zone_ids(user) or budget_organisation_ids(user))


def can_create_programmes(user) -> bool:
    return user.is_superuser or bool(coordinated_zone_ids(user))


def can_manage(user, programme: Programme) -> bool:
    """Coordinators of a participating organisation's zone, and administrators."""
    if user.is_superuser:
        return True
    zones = coordinated_zone_ids(user)
    return bool(zones) and programme.participations.filter(organisation__zone_id__in=zones).exists()


def can_record_expenditure(user, action: BudgetAction, *, manager: bool | None = None) -> bool:
    if manager is None:
        manager = can_manage(user, action.programme)
    return manager or action.responsible_organisation_id in budget_organisation_ids(user)


def require_programme_creation(user) -> None:
    """404 for whoever may not create programmes (can_create_programmes)."""
    if not can_create_programmes(user):
        raise Http404(_("Programme not found."))


# --- programmes and actions -----------------------------------------------------------------


def programme_list_for(user) -> list[Programme]:
    """The programmes `user` sees, with their totals (programmes_with_totals); 404 for
    whoever has none to see and may not create one: no budgets, the same answer as an
    unknown page."""
    programmes = programmes_with_totals(programmes_visible_to(user))
    if not programmes and not can_create_programmes(user):
        raise Http404(_("No programme to show."))
    return programmes


def get_programme_for(user, pk, *, manage: bool = False, note: str = "") -> Programme:
    """The programme `pk`, its access recorded (`note`: "export xlsx" for the workbook)."""
    programme = (
        programmes_visible_to(user).select_related("lead_organisation").filter(pk=pk).first()
    )
    if programme is None:
        raise Http404(_("Programme not found."))
    if manage and not can_manage(user, programme):
        raise PermissionDenied(_("Only a coordinator of the programme can change it."))
    record_access(actor=user, instance=programme, note=note)
    return programme


def get_action_for(user, pk, *, manage: bool = False, record: bool = False) -> BudgetAction:
    programme_id = BudgetAction.objects.filter(pk=pk).values_list("programme_id", flat=True).first()
    if programme_id is None:
        raise Http404(_("Budget action not found."))
    programme = get_programme_for(user, programme_id, manage=manage)
    action = BudgetAction.objects.select_related("responsible_organisation").get(pk=pk)
    action.programme = programme
    if record and not can_record_expenditure(user, action):
        raise PermissionDenied(_("You cannot record expenditure on this action."))
    return action


def expenditure_actions_for(user, programme: Programme) -> tuple[bool, QuerySet[BudgetAction]]:
    """Whether `user` manages `programme` (can_manage), and the actions they may record
    expenditure on (recordable_actions); 403 when they may record on none."""
    manager = can_manage(user, programme)
    actions = recordable_actions(user, programme, manager=manager)
    if not manager and not actions.exists():
        raise PermissionDenied(_("You cannot record expenditure on this programme."))
    return manager, actions


# --- cases enrolled -------------------------------------------------------------------------


def case_to_enrol_for(user, pk) -> Case | None:
    """The case `pk` among those `user` may see, or None (the form says so). Records
    nothing: the enrolment redirects, or the programme's page lists its cases."""
    return cases_visible_to(user).filter(pk=pk).first()


def get_case_to_unenrol_for(user, pk) -> Case:
    """The case `pk` among those `user` may see (404 otherwise). Records nothing: the
    removal redirects."""
    case = cases_visible_to(user).filter(pk=pk).first()
    if case is None:
        raise Http404(_("Case not found."))
    return case
