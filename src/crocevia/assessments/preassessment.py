"""Section A: the mini-team's pre-assessment of a case and its need class.

The intake (section A) is this app's; the case moves to "pre-assessed" through the
pathway (cases.workflow), and the mini-team joins the case's team (cases.services).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crocevia.accounts.models import Membership, Profile
from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.cases.models import NeedClass, ServiceArea, Stage, TeamMember
from crocevia.cases.services import join_team, require_manager
from crocevia.cases.workflow import case_transition, check_milestone_date
from crocevia.desk.models import ItalianLevel

from .models import Housing, Intake

SECTION_A_FIELDS = (
    "household_composition",
    "income_and_benefits",
    "work_history",
    "skills",
    "italian_level",
    "housing",
    "housing_notes",
    "health_declared",
    "legal_status",
    "services_involved",
)
INTAKE_AUDIT_FIELDS = [
    *SECTION_A_FIELDS,
    "social_worker",
    "cpi_consultant",
    "need_class",
    "completed_on",
]


def _mini_team_membership(user, case, profile) -> Membership | None:
    options = sorted(
        (
            m
            for m in Membership.objects.filter(
                user=user, active=True, profile=profile
            ).select_related("organisation")
        ),
        key=lambda m: (m.organisation_id != case.organisation_id, m.pk),
    )
    return options[0] if options else None


@transaction.atomic
def case_preassess(
    *, actor, case, on, need_class, social_worker, cpi_consultant, area, **section_a
):
    """Record section A (the mini-team's pre-assessment) and classify the need and the
    service area (ServiceArea, required: INDICATORS.md, cases.by_area; only a case imported
    from an old register, which does not pass through here, may lack it).

    The social worker and the CPI consultant join the team (consent gate included), then
    the case moves to "pre-assessed" with the need class and the date. All or nothing.
    """
    unknown = set(section_a) - set(SECTION_A_FIELDS)
    if unknown:
        raise TypeError(f"Unknown section A fields: {', '.join(sorted(unknown))}")
    require_manager(actor, case)
    errors: dict[str, str] = {}
    values = {name: (section_a.get(name) or "") for name in SECTION_A_FIELDS}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
    if values["italian_level"] and values["italian_level"] not in ItalianLevel.values:
        errors["italian_level"] = _("Choose a valid level of Italian.")
    if values["housing"] and values["housing"] not in Housing.values:
        errors["housing"] = _("Choose a valid housing situation.")
    if need_class not in NeedClass.values:
        errors["need_class"] = _("Choose the need class (work, social or complex).")
    if area not in ServiceArea.values:
        errors["area"] = _("Choose the service area of the case.")
    sw = (
        _mini_team_membership(social_worker, case, Profile.SOCIAL_WORKER) if social_worker else None
    )
    if sw is None:
        errors["social_worker"] = _("Choose a social worker.")
    cpi = (
        _mini_team_membership(cpi_consultant, case, Profile.CPI_CONSULTANT)
        if cpi_consultant
        else None
    )
    if cpi is None:
        errors["cpi_consultant"] = _("Choose a CPI consultant.")
    if case.stage != Stage.REFERRED:
        errors["__all__"] = _("This case has already been pre-assessed.")
    try:
        check_milestone_date(case, "preassessed_on", on)
    except ValidationError as exc:
        errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)

    intake = Intake.objects.filter(case=case).first()
    before = snapshot(intake, INTAKE_AUDIT_FIELDS) if intake else {}
    if intake is None:
        intake = Intake(case=case)
    else:
        intake.version += 1
    for name, value in values.items():
        setattr(intake, name, value)
    intake.social_worker = social_worker
    intake.cpi_consultant = cpi_consultant
    intake.need_class = need_class
    intake.completed_on = on
    intake.save()
    audit_change(
        actor=actor,
        action=AuditAction.INTAKE_UPDATE if before else AuditAction.INTAKE_CREATE,
        instance=intake,
        changes=diff(before, snapshot(intake, INTAKE_AUDIT_FIELDS)),
        person=case.person,
    )
    active = set(
        TeamMember.objects.filter(case=case, removed_on__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    for field, membership in (("social_worker", sw), ("cpi_consultant", cpi)):
        if membership.user_id in active:
            continue
        try:
            join_team(
                actor=actor,
                case=case,
                user=membership.user,
                organisation=membership.organisation,
                role=membership.profile,
                on=on,
            )
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from exc
        active.add(membership.user_id)
    return case_transition(
        case=case,
        actor=actor,
        to_stage=Stage.PREASSESSED,
        on=on,
        need_class=need_class,
        area=area or "",
    )
