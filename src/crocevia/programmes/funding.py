"""Interventions paid by budget actions: which actions a case may use, and the budget check.

Registered in interventions.hooks (ProgrammesConfig.ready): interventions sits below
programmes and reaches these rules only through the hook.

A case may use the actions of the programmes its organisations take part in (the case's
own, and those of its active team members: a CPI on the team brings the CPI's
programmes), and of those it is enrolled in (Enrolment), while the programme is in force:
the form offers those not yet ended, the check wants the intervention's start (today when
it has none) inside the programme's period. An intervention's cost is then committed on
the action while planned or in progress, spent once ended (selectors): one that would take
the action over its budget is refused as an over-budget expenditure is
(services.expenditure_record): only a coordinator of the programme may charge it, with a
justification, kept on the intervention and audited.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.cases.models import Case, TeamMember
from crocevia.core.templatetags.money import format_euro
from crocevia.interventions.hooks import Funding

from .access import can_manage
from .models import BudgetAction, Enrolment, Participation
from .selectors import committed_of, spent_of


def case_organisation_ids(case: Case) -> set[int]:
    """The case's organisation and those of its active team members."""
    team = TeamMember.objects.filter(case=case, removed_on__isnull=True).values_list(
        "organisation_id", flat=True
    )
    return {case.organisation_id, *team}


def funding_actions_for(case: Case) -> QuerySet[BudgetAction]:
    """The budget actions the case may use, whatever the day (see the module's doc)."""
    programmes = Participation.objects.filter(
        organisation_id__in=case_organisation_ids(case)
    ).values("programme_id")
    enrolled = Enrolment.objects.filter(case=case).values("programme_id")
    return BudgetAction.objects.filter(
        Q(programme_id__in=programmes) | Q(programme_id__in=enrolled)
    ).select_related("programme")


def funding_choices(case: Case) -> list[tuple[str, list[tuple[int, str]]]]:
    """The actions of the programmes the case may use that have not ended, grouped by
    programme for the form's select (two queries)."""
    today = timezone.localdate()
    actions = funding_actions_for(case).filter(programme__end_date__gte=today)
    groups: dict[int, tuple[str, list]] = {}
    for action in actions.order_by("programme__code", "position", "code"):
        programme = action.programme
        label = f"{programme.code} – {programme.name}"
        groups.setdefault(programme.pk, (label, []))[1].append(
            (action.pk, f"{action.code} – {action.title}")
        )
    return list(groups.values())


def _euro(value) -> str:
    return format_euro(value)


def intervention_funding_check(
    *,
    actor,
    case: Case,
    action_id: int,
    amount: Decimal | None,
    on: datetime.date | None,
    justification: str = "",
) -> bool:
    """Validate that `case` may charge `amount` to the action on day `on` (today when
    None); True when it goes over the budget with a coordinator's justification.

    Locks the action first, so that two interventions charged at once cannot both fit the
    same rest; called inside the caller's transaction. ValidationError keyed by the
    intervention form's fields.
    """
    action = (
        BudgetAction.objects.select_for_update()
        .select_related("programme")
        .filter(pk=action_id)
        .first()
    )
    if action is None or not funding_actions_for(case).filter(pk=action.pk).exists():
        raise ValidationError(
            {
                "funding_action": _(
                    "This budget action is not one the case can use: choose an action of a "
                    "programme its organisations take part in."
                )
            }
        )
    programme = action.programme
    day = on or timezone.localdate()
    errors: dict[str, str] = {}
    if not programme.contains(day):
        errors["funding_action"] = _(
            "The programme %(programme)s runs from %(start)s to %(end)s: the intervention "
            "starts outside it."
        ) % {
            "programme": programme.code,
            "start": programme.start_date.strftime("%d/%m/%Y"),
            "end": programme.end_date.strftime("%d/%m/%Y"),
        }
    if amount is None:
        errors["cost"] = _("Enter the cost the budget action pays for the intervention.")
    if errors:
        raise ValidationError(errors)
    justification = (justification or "").strip()
    remaining = action.amount - spent_of(action) - committed_of(action)
    over = amount > remaining
    if over and not can_manage(actor, programme):
        raise ValidationError(
            {
                "cost": _(
                    "This intervention would take the action over its budget: %(remaining)s "
                    "remaining. Only a coordinator can record it, with a justification."
                )
                % {"remaining": _euro(remaining)}
            }
        )
    if over and not justification:
        raise ValidationError(
            {
                "over_budget_justification": _(
                    "This intervention would take the action over its budget by %(excess)s "
                    "(%(remaining)s remaining): explain why to record it."
                )
                % {"excess": _euro(amount - remaining), "remaining": _euro(remaining)}
            }
        )
    return over


def may_justify(actor, action_id) -> bool:
    """Whether `actor` manages the action's programme (may charge it over its budget)."""
    action = BudgetAction.objects.select_related("programme").filter(pk=action_id).first()
    return action is not None and can_manage(actor, action.programme)


FUNDING = Funding(
    choices=funding_choices, check=intervention_funding_check, may_justify=may_justify
)
