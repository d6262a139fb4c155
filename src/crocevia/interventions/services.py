"""Every write of the interventions activated in a plan: validated and audited.

Errors are ValidationError dicts keyed by the intervention form's fields (``type``,
``provider``, ``starts_on``, ``ends_on``, ``hours``, ``cost``, ``funding_action``,
``over_budget_justification``, ``on``).

An intervention is paid by a programme's budget action, or by ordinary funds (none):
programmes decides which actions a case may use and whether the cost fits what remains
of the action (interventions.hooks, registered by programmes).
"""

import decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, snapshot
from crocevia.cases.models import Case, Stage
from crocevia.cases.workflow import case_transition
from crocevia.core.dates import is_day

from .hooks import funding
from .models import Intervention, InterventionType

AUDIT_FIELDS = [
    "type",
    "provider",
    "status",
    "starts_on",
    "ends_on",
    "hours",
    "cost",
    "funding_action",
    "over_budget_justification",
    "notes",
]


def intervention_add(
    *,
    actor,
    case: Case,
    type: InterventionType,
    provider,
    starts_on=None,
    ends_on=None,
    hours=None,
    cost=None,
    funding_action=None,
    over_budget_justification: str = "",
    notes: str = "",
) -> Intervention:
    """Plan an intervention for the case (status ``planned``; ``intervention_start`` starts it).

    `funding_action`: the budget action paying for it (an instance or its pk), or None for
    ordinary funds. Its cost is then required and must fit what remains of the action;
    over it, only a coordinator of the programme records it, with
    `over_budget_justification`, kept on the intervention and audited.
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
        if case.is_closed:
            raise ValidationError(_("This case is closed: it can be read but not changed."))
        if not hasattr(case, "plan"):
            raise ValidationError(_("Write the plan before adding the interventions it activates."))
        errors: dict[str, str] = {}
        if not isinstance(type, InterventionType):
            errors["type"] = _("Choose the kind of intervention.")
        elif not type.active:
            errors["type"] = _("This kind of intervention is no longer offered.")
        if provider is None:
            errors["provider"] = _("Choose the provider.")
        for name, day in (("starts_on", starts_on), ("ends_on", ends_on)):
            if day is not None and not is_day(day):
                errors[name] = _("Enter a valid date.")
        if is_day(starts_on) and is_day(ends_on) and ends_on < starts_on:
            errors["ends_on"] = _("The end date cannot be before the start date.")
        for name, value in (("hours", hours), ("cost", cost)):
            if value is not None:
                try:
                    if decimal.Decimal(value) < 0:
                        errors[name] = _("Enter a number not below zero.")
                except (decimal.InvalidOperation, TypeError, ValueError):
                    errors[name] = _("Enter a number.")
        action_id = getattr(funding_action, "pk", funding_action)
        justification = (over_budget_justification or "").strip()
        over = False
        if action_id is not None and not errors:
            rules = funding()
            if rules is None:
                errors["funding_action"] = _("No programme can pay for interventions here.")
            else:
                try:
                    over = rules.check(
                        actor=actor,
                        case=case,
                        action_id=action_id,
                        amount=decimal.Decimal(cost) if cost is not None else None,
                        on=starts_on,
                        justification=justification,
                    )
                except ValidationError as error:
                    errors.update({k: v[0] for k, v in error.message_dict.items()})
        if errors:
            raise ValidationError(errors)
        intervention = Intervention.objects.create(
            case=case,
            type=type,
            provider=provider,
            starts_on=starts_on,
            ends_on=ends_on,
            hours=hours,
            cost=cost,
            funding_action_id=action_id,
            over_budget_justification=justification if over else "",
            notes=(notes or "").strip(),
            created_by=actor,
        )
        audit_change(
            actor=actor,
            action=AuditAction.INTERVENTION_ADD_OVER_BUDGET
            if over
            else AuditAction.INTERVENTION_ADD,
            instance=intervention,
            changes={k: [None, v] for k, v in snapshot(intervention, AUDIT_FIELDS).items()},
            person=case.person,
            note=justification if over else "",
        )
    return intervention


def intervention_start(*, actor, intervention: Intervention, on) -> Intervention:
    """Record that the intervention started on ``on``.

    The first start on a case whose plan is signed puts the plan in progress
    (``plan_started_on`` = ``on``).
    """
    with transaction.atomic():
        intervention = (
            Intervention.objects.select_for_update()
            .select_related("case__person")
            .get(pk=intervention.pk)
        )
        case = intervention.case
        if case.is_closed:
            raise ValidationError(_("This case is closed: it can be read but not changed."))
        if intervention.status != Intervention.Status.PLANNED:
            raise ValidationError(_("This intervention has already started."))
        if case.stage not in (Stage.PLAN_SIGNED, Stage.IN_PROGRESS):
            raise ValidationError({"on": _("An intervention starts once the plan is signed.")})
        errors: dict[str, str] = {}
        if not is_day(on):
            errors["on"] = _("Enter the start date.")
        elif on > timezone.localdate():
            errors["on"] = _("The start date cannot be in the future.")
        elif case.plan_signed_on and on < case.plan_signed_on:
            errors["on"] = _(
                "The start date cannot be before the signature of the plan (%(date)s)."
            ) % {"date": case.plan_signed_on.strftime("%d/%m/%Y")}
        elif intervention.ends_on and on > intervention.ends_on:
            errors["on"] = _("The start date cannot be after the planned end date.")
        if errors:
            raise ValidationError(errors)
        before = snapshot(intervention, AUDIT_FIELDS)
        intervention.status = Intervention.Status.ACTIVE
        intervention.starts_on = on
        intervention.save(update_fields=["status", "starts_on"])
        after = snapshot(intervention, AUDIT_FIELDS)
        audit_change(
            actor=actor,
            action=AuditAction.INTERVENTION_START,
            instance=intervention,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
            person=case.person,
        )
        if case.stage == Stage.PLAN_SIGNED:
            try:
                case_transition(case=case, actor=actor, to_stage=Stage.IN_PROGRESS, on=on)
            except ValidationError as error:
                if hasattr(error, "error_dict") and "plan_started_on" in error.error_dict:
                    raise ValidationError({"on": error.error_dict["plan_started_on"]}) from None
                raise
    return intervention


def intervention_end(*, actor, intervention: Intervention, on, status: str) -> Intervention:
    """Record that a started intervention ended on ``on``, completed or interrupted."""
    with transaction.atomic():
        intervention = (
            Intervention.objects.select_for_update()
            .select_related("case__person")
            .get(pk=intervention.pk)
        )
        case = intervention.case
        if case.is_closed:
            raise ValidationError(_("This case is closed: it can be read but not changed."))
        if intervention.status != Intervention.Status.ACTIVE:
            raise ValidationError(_("Only an intervention in progress can end."))
        errors: dict[str, str] = {}
        if status not in (Intervention.Status.COMPLETED, Intervention.Status.INTERRUPTED):
            errors["status"] = _("Choose whether the intervention was completed or interrupted.")
        if not is_day(on):
            errors["on"] = _("Enter the end date.")
        elif on > timezone.localdate():
            errors["on"] = _("The end date cannot be in the future.")
        elif intervention.starts_on and on < intervention.starts_on:
            errors["on"] = _("The end date cannot be before the start (%(date)s).") % {
                "date": intervention.starts_on.strftime("%d/%m/%Y")
            }
        if errors:
            raise ValidationError(errors)
        before = snapshot(intervention, AUDIT_FIELDS)
        intervention.status = status
        intervention.ends_on = on
        intervention.save(update_fields=["status", "ends_on"])
        after = snapshot(intervention, AUDIT_FIELDS)
        audit_change(
            actor=actor,
            action=AuditAction.INTERVENTION_END,
            instance=intervention,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
            person=case.person,
        )
    return intervention
