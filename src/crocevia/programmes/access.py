"""The one way a view obtains a programme or a budget action: 404 when not visible,
403 when visible but not the user's to change. Obtaining a programme records its access
event (crocevia.audit.recording)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.audit.recording import record_access

from .models import BudgetAction, Programme
from .selectors import can_manage, can_record_expenditure, programmes_visible_to


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
