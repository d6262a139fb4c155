"""Every write of programmes, budget actions, expenditures and targets: validated, audited.

Errors are ValidationError dicts keyed by the forms' fields (``code``, ``amount``,
``spent_on``, ``organisation``, ``over_budget_justification``...).
"""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import coordinated_zone_ids
from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, creation_changes, diff, snapshot
from crocevia.core.templatetags.money import format_euro

from .access import can_create_programmes, can_manage, can_record_expenditure
from .models import (
    BudgetAction,
    Enrolment,
    Expenditure,
    Fund,
    Participation,
    Programme,
    Target,
    quarters_between,
)
from .selectors import committed_of, spent_of

PROGRAMME_FIELDS = [
    "code",
    "name",
    "fund",
    "start_date",
    "end_date",
    "lead_organisation",
    "description",
]
ACTION_FIELDS = [
    "code",
    "title",
    "responsible_organisation",
    "amount",
    "priority_code",
    "planned_quarters",
]
EXPENDITURE_FIELDS = [
    "action",
    "spent_on",
    "amount",
    "description",
    "document_reference",
    "over_budget_justification",
]
QUARTER_RE = re.compile(r"^\d{4}-Q[1-4]$")
CENT = Decimal("0.01")


def _money(value, field: str, errors: dict) -> Decimal | None:
    """A positive amount in euro with at most two decimals, never rounded silently."""
    if value is None or value == "":
        errors[field] = _("Enter the amount.")
        return None
    if isinstance(value, float):
        raise TypeError("money must be a Decimal, never a float")
    amount = Decimal(value)
    if amount <= 0:
        errors[field] = _("The amount must be greater than zero.")
    elif amount != amount.quantize(CENT):
        errors[field] = _("Amounts are in euro and cents: at most two decimals.")
    elif amount >= Decimal("1e12"):
        errors[field] = _("The amount is too large.")
    return amount


def _require_manager(actor, programme):
    if not can_manage(actor, programme):
        raise PermissionDenied(_("Only a coordinator of the programme can change it."))


def _participant_ids(programme) -> set[int]:
    return set(programme.participations.values_list("organisation_id", flat=True))


# Programmes -------------------------------------------------------------------------------


def _validate_programme(*, programme, code, name, start_date, end_date, fund, lead_organisation):
    errors = {}
    if not (code or "").strip():
        errors["code"] = _("Enter the programme's code.")
    elif (
        Programme.objects.filter(code=code.strip())
        .exclude(pk=getattr(programme, "pk", None))
        .exists()
    ):
        errors["code"] = _("Another programme already has this code.")
    if not (name or "").strip():
        errors["name"] = _("Enter the programme's name.")
    if fund not in Fund.values:
        errors["fund"] = _("Choose the fund.")
    if start_date is None:
        errors["start_date"] = _("Enter the start date.")
    if end_date is None:
        errors["end_date"] = _("Enter the end date.")
    elif start_date and end_date < start_date:
        errors["end_date"] = _("The end date cannot precede the start date.")
    if lead_organisation is None:
        errors["lead_organisation"] = _("Choose the lead organisation.")
    return errors


@transaction.atomic
def programme_create(
    *,
    actor,
    code: str,
    name: str,
    fund: str,
    start_date: datetime.date,
    end_date: datetime.date,
    lead_organisation,
    partners=(),
    description: str = "",
) -> Programme:
    if not can_create_programmes(actor):
        raise PermissionDenied(_("Only a coordinator can create a programme."))
    errors = _validate_programme(
        programme=None,
        code=code,
        name=name,
        start_date=start_date,
        end_date=end_date,
        fund=fund,
        lead_organisation=lead_organisation,
    )
    _check_own_zone(actor, lead_organisation, partners, errors)
    if errors:
        raise ValidationError(errors)
    programme = Programme.objects.create(
        code=code.strip(),
        name=name.strip(),
        fund=fund,
        start_date=start_date,
        end_date=end_date,
        lead_organisation=lead_organisation,
        description=description,
    )
    Participation.objects.create(
        programme=programme, organisation=lead_organisation, role=Participation.Role.LEAD
    )
    for partner in partners:
        if partner.pk != lead_organisation.pk:
            Participation.objects.get_or_create(
                programme=programme,
                organisation=partner,
                defaults={"role": Participation.Role.PARTNER},
            )
    changes = creation_changes(snapshot(programme, PROGRAMME_FIELDS))
    changes["partners"] = [None, sorted(p.pk for p in partners if p.pk != lead_organisation.pk)]
    audit_change(
        actor=actor, action=AuditAction.PROGRAMME_CREATE, instance=programme, changes=changes
    )
    return programme


def _coordinated(actor) -> set[int]:
    return coordinated_zone_ids(actor)


def _check_own_zone(actor, lead_organisation, partners, errors: dict) -> None:
    """A coordinator keeps an organisation of their zone in the programmes they create or
    edit: otherwise they could hand a budget over to other zones (and lose it)."""
    if (
        lead_organisation is not None
        and not actor.is_superuser
        and lead_organisation.zone_id not in _coordinated(actor)
        and not any(p.zone_id in _coordinated(actor) for p in partners)
    ):
        errors["lead_organisation"] = _(
            "A participating organisation must be in a zone you coordinate."
        )


@transaction.atomic
def programme_update(
    *,
    actor,
    programme: Programme,
    code: str,
    name: str,
    fund: str,
    start_date: datetime.date,
    end_date: datetime.date,
    lead_organisation,
    partners=(),
    description: str = "",
) -> Programme:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    _require_manager(actor, programme)
    errors = _validate_programme(
        programme=programme,
        code=code,
        name=name,
        start_date=start_date,
        end_date=end_date,
        fund=fund,
        lead_organisation=lead_organisation,
    )
    _check_own_zone(actor, lead_organisation, partners, errors)
    if not errors:
        # The period may not leave out what is already recorded or planned.
        outside = programme.actions.filter(expenditures__spent_on__lt=start_date).exists() or (
            programme.actions.filter(expenditures__spent_on__gt=end_date).exists()
        )
        if outside:
            errors["start_date"] = _(
                "Some expenditures are dated outside this period: move them first."
            )
        period = set(quarters_between(start_date, end_date))
        if any(q not in period for a in programme.actions.all() for q in a.planned_quarters or []):
            errors["end_date"] = _(
                "Some actions are planned in quarters outside this period: change them first."
            )
    new_ids = {p.pk for p in partners} | ({lead_organisation.pk} if lead_organisation else set())
    removed = _participant_ids(programme) - new_ids
    if removed and not errors:
        in_use = (
            programme.actions.filter(responsible_organisation_id__in=removed).exists()
            or programme.targets.filter(organisation_id__in=removed).exists()
        )
        if in_use:
            errors["partners"] = _(
                "An organisation responsible for an action or with a target cannot leave "
                "the programme."
            )
    if errors:
        raise ValidationError(errors)
    before = snapshot(programme, PROGRAMME_FIELDS)
    before_partners = sorted(_participant_ids(programme))
    programme.code = code.strip()
    programme.name = name.strip()
    programme.fund = fund
    programme.start_date = start_date
    programme.end_date = end_date
    programme.lead_organisation = lead_organisation
    programme.description = description
    programme.save()
    programme.participations.filter(organisation_id__in=removed).delete()
    for org_id in new_ids:
        role = (
            Participation.Role.LEAD
            if org_id == lead_organisation.pk
            else Participation.Role.PARTNER
        )
        Participation.objects.update_or_create(
            programme=programme, organisation_id=org_id, defaults={"role": role}
        )
    changes = diff(before, snapshot(programme, PROGRAMME_FIELDS))
    after_partners = sorted(_participant_ids(programme))
    if before_partners != after_partners:
        changes["organisations"] = [before_partners, after_partners]
    if changes:
        audit_change(
            actor=actor, action=AuditAction.PROGRAMME_UPDATE, instance=programme, changes=changes
        )
    return programme


# Budget actions ---------------------------------------------------------------------------


def _validate_action(
    *,
    programme,
    action,
    code,
    title,
    responsible_organisation,
    amount,
    priority_code,
    planned_quarters,
) -> tuple[dict, Decimal | None, list[str]]:
    errors = {}
    code = (code or "").strip()
    if not code:
        errors["code"] = _("Enter the action's code.")
    elif (
        BudgetAction.objects.filter(programme=programme, code__iexact=code)
        .exclude(pk=getattr(action, "pk", None))
        .exists()
    ):
        errors["code"] = _("The programme already has an action with code %(code)s.") % {
            "code": code
        }
    if not (title or "").strip():
        errors["title"] = _("Enter the action's title.")
    if responsible_organisation is None:
        errors["responsible_organisation"] = _("Choose the responsible organisation.")
    elif responsible_organisation.pk not in _participant_ids(programme):
        errors["responsible_organisation"] = _(
            "%(organisation)s does not take part in the programme."
        ) % {"organisation": responsible_organisation}
    value = _money(amount, "amount", errors)
    if priority_code and not re.fullmatch(r"[A-Z](\.[0-9a-z]+)*", priority_code.strip()):
        errors["priority_code"] = _("A priority code looks like A.1.c.2.")
    quarters = sorted({q.strip() for q in planned_quarters or [] if q.strip()})
    period = set(programme.quarters)
    bad = [q for q in quarters if not QUARTER_RE.match(q) or q not in period]
    if bad:
        errors["planned_quarters"] = _(
            "These quarters are outside the programme's period: %(quarters)s."
        ) % {"quarters": ", ".join(bad)}
    return errors, value, quarters


@transaction.atomic
def action_create(
    *,
    actor,
    programme: Programme,
    code: str,
    title: str,
    responsible_organisation,
    amount: Decimal,
    priority_code: str = "",
    planned_quarters=(),
) -> BudgetAction:
    _require_manager(actor, programme)
    errors, value, quarters = _validate_action(
        programme=programme,
        action=None,
        code=code,
        title=title,
        responsible_organisation=responsible_organisation,
        amount=amount,
        priority_code=priority_code,
        planned_quarters=planned_quarters,
    )
    if errors:
        raise ValidationError(errors)
    position = programme.actions.count() + 1
    action = BudgetAction.objects.create(
        programme=programme,
        code=code.strip(),
        title=title.strip(),
        responsible_organisation=responsible_organisation,
        amount=value,
        priority_code=(priority_code or "").strip(),
        planned_quarters=quarters,
        position=position,
    )
    audit_change(
        actor=actor,
        action=AuditAction.BUDGET_ACTION_CREATE,
        instance=action,
        changes=creation_changes(snapshot(action, ["programme", *ACTION_FIELDS])),
    )
    return action


@transaction.atomic
def action_update(
    *,
    actor,
    action: BudgetAction,
    code: str,
    title: str,
    responsible_organisation,
    amount: Decimal,
    priority_code: str = "",
    planned_quarters=(),
) -> BudgetAction:
    action = BudgetAction.objects.select_for_update().select_related("programme").get(pk=action.pk)
    programme = action.programme
    _require_manager(actor, programme)
    errors, value, quarters = _validate_action(
        programme=programme,
        action=action,
        code=code,
        title=title,
        responsible_organisation=responsible_organisation,
        amount=amount,
        priority_code=priority_code,
        planned_quarters=planned_quarters,
    )
    used = spent_of(action) + committed_of(action) if not errors and value is not None else None
    if used is not None and value < used:
        errors["amount"] = _(
            "%(used)s has already been spent or committed on this action: the budget cannot "
            "be lower."
        ) % {"used": _euro(used)}
    if errors:
        raise ValidationError(errors)
    before = snapshot(action, ACTION_FIELDS)
    action.code = code.strip()
    action.title = title.strip()
    action.responsible_organisation = responsible_organisation
    action.amount = value
    action.priority_code = (priority_code or "").strip()
    action.planned_quarters = quarters
    action.save()
    changes = diff(before, snapshot(action, ACTION_FIELDS))
    if changes:
        audit_change(
            actor=actor, action=AuditAction.BUDGET_ACTION_UPDATE, instance=action, changes=changes
        )
    return action


def _euro(value) -> str:
    return format_euro(value)


# Expenditure ------------------------------------------------------------------------------


@transaction.atomic
def expenditure_record(
    *,
    actor,
    action: BudgetAction,
    spent_on: datetime.date,
    amount: Decimal,
    description: str,
    document_reference: str = "",
    over_budget_justification: str = "",
) -> Expenditure:
    """Record an expenditure on an action.

    Refused when it would take the action over its budget, unless the actor manages the
    programme (a coordinator, or an administrator) and gives an over-budget justification,
    which is stored with the expenditure and audited.
    """
    # Lock the action so two expenditures recorded at once cannot both fit the same rest.
    action = (
        BudgetAction.objects.select_for_update()
        .select_related("programme", "responsible_organisation")
        .get(pk=action.pk)
    )
    programme = action.programme
    manager = can_manage(actor, programme)
    if not can_record_expenditure(actor, action, manager=manager):
        raise PermissionDenied(_("You cannot record expenditure on this action."))
    errors = {}
    value = _money(amount, "amount", errors)
    if spent_on is None:
        errors["spent_on"] = _("Enter the date of the expenditure.")
    elif spent_on > timezone.localdate():
        errors["spent_on"] = _("An expenditure cannot be dated in the future.")
    elif not programme.contains(spent_on):
        errors["spent_on"] = _(
            "The date is outside the programme's period (%(start)s – %(end)s)."
        ) % {
            "start": programme.start_date.strftime("%d/%m/%Y"),
            "end": programme.end_date.strftime("%d/%m/%Y"),
        }
    if not (description or "").strip():
        errors["description"] = _("Describe the expenditure.")
    justification = (over_budget_justification or "").strip()
    over = False
    if not errors:
        # What is left to commit: interventions planned or in progress hold their cost.
        remaining = action.amount - spent_of(action) - committed_of(action)
        over = value > remaining
        if over and not manager:
            errors["amount"] = _(
                "This expenditure would take the action over its budget: %(remaining)s "
                "remaining. Only a coordinator can record it, with a justification."
            ) % {"remaining": _euro(remaining)}
        elif over and not justification:
            errors["over_budget_justification"] = _(
                "This expenditure would take the action over its budget by %(excess)s "
                "(%(remaining)s remaining): explain why to record it."
            ) % {"excess": _euro(value - remaining), "remaining": _euro(remaining)}
    if errors:
        raise ValidationError(errors)
    expenditure = Expenditure.objects.create(
        action=action,
        spent_on=spent_on,
        amount=value,
        description=description.strip(),
        document_reference=(document_reference or "").strip(),
        over_budget_justification=justification if over else "",
        recorded_by=actor,
    )
    audit_change(
        actor=actor,
        action=AuditAction.EXPENDITURE_RECORD_OVER_BUDGET
        if over
        else AuditAction.EXPENDITURE_RECORD,
        instance=expenditure,
        changes=creation_changes(snapshot(expenditure, EXPENDITURE_FIELDS)),
        note=justification if over else "",
    )
    return expenditure


# Targets ----------------------------------------------------------------------------------


@transaction.atomic
def target_set(
    *,
    actor,
    programme: Programme,
    organisation,
    target_number: int,
    indicator: str = Target.Indicator.TAKEN_IN_CHARGE,
) -> Target:
    """Create the organisation's target for the indicator, or change its number."""
    _require_manager(actor, programme)
    errors = {}
    if organisation is None:
        errors["organisation"] = _("Choose the organisation.")
    elif organisation.pk not in _participant_ids(programme):
        errors["organisation"] = _(
            "%(organisation)s does not take part in the programme: add it first."
        ) % {"organisation": organisation}
    if indicator not in Target.Indicator.values:
        errors["indicator"] = _("Choose the indicator.")
    if target_number is None or int(target_number) <= 0:
        errors["target_number"] = _("The target must be a whole number greater than zero.")
    if errors:
        raise ValidationError(errors)
    target, created = Target.objects.select_for_update().get_or_create(
        programme=programme,
        organisation=organisation,
        indicator=indicator,
        defaults={"target_number": int(target_number)},
    )
    if created:
        audit_change(
            actor=actor,
            action=AuditAction.TARGET_CREATE,
            instance=target,
            changes=creation_changes(
                snapshot(target, ["programme", "organisation", "indicator", "target_number"])
            ),
        )
    elif target.target_number != int(target_number):
        before = target.target_number
        target.target_number = int(target_number)
        target.save(update_fields=["target_number"])
        audit_change(
            actor=actor,
            action=AuditAction.TARGET_UPDATE,
            instance=target,
            changes={"target_number": [before, target.target_number]},
        )
    return target


# Enrolment of cases --------------------------------------------------------------------


@transaction.atomic
def case_enrol(*, actor, programme: Programme, case, on: datetime.date | None = None) -> Enrolment:
    """Count a case toward the programme (its organisation must take part in it)."""
    _require_manager(actor, programme)
    if case.organisation_id not in _participant_ids(programme):
        raise ValidationError(
            {"case": _("The case's organisation does not take part in the programme.")}
        )
    enrolment, created = Enrolment.objects.get_or_create(
        programme=programme,
        case=case,
        defaults={"enrolled_on": on or timezone.localdate(), "enrolled_by": actor},
    )
    if created:
        audit_change(
            actor=actor,
            action=AuditAction.PROGRAMME_ENROL_CASE,
            instance=enrolment,
            changes={"programme": [None, programme.pk], "case": [None, case.pk]},
            person=case.person,
        )
    return enrolment


@transaction.atomic
def case_unenrol(*, actor, programme: Programme, case) -> None:
    _require_manager(actor, programme)
    enrolment = Enrolment.objects.filter(programme=programme, case=case).first()
    if enrolment is None:
        return
    audit_change(
        actor=actor,
        action=AuditAction.PROGRAMME_UNENROL_CASE,
        instance=enrolment,
        changes={"programme": [programme.pk, None], "case": [case.pk, None]},
        person=case.person,
    )
    enrolment.delete()
