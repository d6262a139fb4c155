"""Reads of the plan for the case page and the plan pages (constant queries)."""

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crocevia.accounts.models import User
from crocevia.accounts.selectors import coordinated_zone_ids
from crocevia.assessments.models import Dimension
from crocevia.cases.access import (
    can_read_health,
    cases_shown_to,
    is_case_manager_of,
    is_zone_coordinator_of,
    read_under_agreement,
)
from crocevia.cases.hooks import OpenItem
from crocevia.cases.models import Case, Stage, TeamMember
from crocevia.cases.selectors import cases_in_charge_of
from crocevia.core.paging import first_rows

from .models import Action, Plan, PlanVersion, ValidationEvent, ValidationStatus

# Rows of the coordination page's list of plans to validate (as its other lists).
COORDINATION_ROWS = 50

VERSION_PREFETCH = (
    "objectives",
    Prefetch(
        "actions",
        queryset=Action.objects.select_related(
            "responsible_user", "responsible_organisation", "objective", "from_meeting"
        ),
    ),
    "signed_by_operators",
)


def version_with_content(plan: Plan, number: int | None = None) -> PlanVersion | None:
    """One version (the latest if `number` is None) with objectives, actions and signers."""
    qs = PlanVersion.objects.filter(plan=plan).select_related("updated_by", "validated_by")
    qs = qs.prefetch_related(*VERSION_PREFETCH)
    if number is None:
        return qs.order_by("-number").first()
    return qs.filter(number=number).first()


def hidden_dimensions(user, case: Case) -> frozenset:
    """The dimensions of the plan's objectives `user` does not read: health, unless they
    read the case's health information (cases.access.can_read_health: its case manager,
    team members with health access), as section B's health score. No agreement opens it."""
    if can_read_health(user, case):
        return frozenset()
    return frozenset({Dimension.HEALTH})


def objectives_by_dimension(
    version: PlanVersion, *, hidden: frozenset = frozenset()
) -> list[tuple[str, list]]:
    """[(dimension label, [objective, ...]), ...] in the order the objectives were written,
    leaving out the objectives of the `hidden` dimensions (hidden_dimensions)."""
    groups: dict[str, tuple[str, list]] = {}
    for objective in version.objectives.all():
        if objective.dimension in hidden:
            continue
        label = objective.get_dimension_display()
        groups.setdefault(objective.dimension, (label, []))[1].append(objective)
    return list(groups.values())


def operators_for_plan(case: Case, *, also=None):
    """Operators who can be responsible for an action or sign: the team, the case manager
    (and `also`, the operator at the keyboard)."""
    member_ids = TeamMember.objects.filter(case=case, removed_on__isnull=True).values("user_id")
    scope = Q(pk__in=member_ids)
    if case.case_manager_id:
        scope |= Q(pk=case.case_manager_id)
    if also is not None:
        scope |= Q(pk=also.pk)
    return User.objects.filter(scope).order_by("last_name", "first_name", "pk")


def validation_history(plan: Plan) -> list[ValidationEvent]:
    """Every step of the validation of the plan's versions, oldest first (one query)."""
    return list(
        ValidationEvent.objects.filter(version__plan=plan)
        .select_related("by", "version")
        .order_by("created_at", "pk")
    )


def case_section_context(user, case: Case) -> dict:
    """What templates/plans/_case_section.html needs: at most 6 queries."""
    plan = Plan.objects.filter(case=case).first()
    # Read under an agreement (cases.access.read_under_agreement): no button that changes it.
    writable = not case.is_closed and not read_under_agreement(user, case)
    context = {
        "plan": plan,
        "plan_versions": [],
        "plan_current": None,
        "plan_signed": None,
        "plan_writable": writable,
    }
    if plan is None:
        context["plan_can_create"] = writable and bool(case.need_class)
        return context
    plan.case = case
    versions = list(
        PlanVersion.objects.filter(plan=plan)
        .select_related("validated_by")
        .order_by("number")
        .prefetch_related(*VERSION_PREFETCH)
    )
    current = versions[-1] if versions else None
    signed = [v for v in versions if v.is_frozen]
    draft = current if current and not current.is_frozen else None
    status = draft.validation_status if draft else None
    needs_validation = bool(draft) and plan.requires_validation
    context.update(
        plan_versions=versions,
        plan_current=current,
        plan_signed=signed[-1] if signed else None,
        plan_objective_groups=(
            objectives_by_dimension(current, hidden=hidden_dimensions(user, case))
            if current
            else []
        ),
        # Actions are marked done on a signed current version, by those who may change the case.
        plan_can_mark_done=bool(current and current.is_frozen) and writable,
        plan_needs_validation=needs_validation,
        plan_history=validation_history(plan) if plan.requires_validation else [],
        # The draft may be signed once validated (or when its kind needs no validation).
        plan_can_sign=bool(draft)
        and writable
        and (not plan.requires_validation or draft.is_validated),
        plan_can_submit=needs_validation
        and writable
        and status in (ValidationStatus.DRAFT, ValidationStatus.RETURNED)
        and is_case_manager_of(user, case),  # plans.access.can_submit_plan
        plan_can_validate=needs_validation
        and not case.is_closed
        and status == ValidationStatus.SUBMITTED
        and is_zone_coordinator_of(user, case),  # plans.access.can_validate_plan
    )
    return context


def open_plan_actions(case: Case) -> list[OpenItem]:
    """The actions of the plan in force (its latest signed version) not yet done, for the
    closure of the case (cases.hooks); one query. A plan never signed commits to nothing."""
    actions = list(
        Action.objects.filter(
            version__plan__case=case, version__signed_on__isnull=False, done_on__isnull=True
        )
        .filter(
            version__number=PlanVersion.objects.filter(plan__case=case, signed_on__isnull=False)
            .order_by("-number")
            .values("number")[:1]
        )
        .order_by("position", "pk")
    )
    url = reverse("cases:detail", args=[case.pk]) + "#plan-section"
    return [
        OpenItem(
            kind="plan_action",
            pk=action.pk,
            label=_("Plan action not done: %(action)s")
            % {"action": Truncator(action.description).chars(80)},
            url=url,
        )
        for action in actions
    ]


def plans_to_validate(user) -> QuerySet[PlanVersion]:
    """The coordination group's queue: the drafts submitted for validation of the open
    cases of the zones `user` coordinates (every zone for an administrator), by the case's
    access priority, then oldest submission first; `submitted_on` annotated."""
    if not user.is_authenticated or not user.is_active:
        return PlanVersion.objects.none()
    qs = PlanVersion.objects.filter(validation_status=ValidationStatus.SUBMITTED).exclude(
        plan__case__stage=Stage.CLOSED
    )
    if not user.is_superuser:
        qs = qs.filter(plan__case__zone_id__in=coordinated_zone_ids(user))
    submitted_on = (
        ValidationEvent.objects.filter(
            version_id=OuterRef("pk"), kind=ValidationEvent.Kind.SUBMITTED
        )
        .order_by("-created_at", "-pk")
        .values("on")[:1]
    )
    return (
        qs.annotate(submitted_on=Subquery(submitted_on))
        .select_related("plan__case__person", "plan__case__case_manager")
        .order_by("plan__case__priority", "submitted_on", "pk")
    )


def coordination_section_context(user) -> dict:
    """What templates/plans/_coordination_section.html needs (the coordination page):
    the first plans to validate, their persons recorded as shown."""
    rows, total = first_rows(plans_to_validate(user), COORDINATION_ROWS)
    cases_shown_to(user, [row.plan.case for row in rows])
    return {"to_validate": rows, "to_validate_total": total}


def current_actions() -> QuerySet[Action]:
    """The actions of each plan's latest version (what the case lists count as overdue
    too: meetings.lists)."""
    latest_number = (
        PlanVersion.objects.filter(plan_id=OuterRef("version__plan_id"))
        .order_by("-number")
        .values("number")[:1]
    )
    return Action.objects.filter(version__number=Subquery(latest_number))


def actions_due(user, *, until) -> QuerySet[Action]:
    """The plan actions not done and due on or before `until`, of the open cases: those
    `user` is responsible for, and those of the cases `user` answers for
    (cases_in_charge_of: the cases they manage, their zones' for a coordinator)."""
    if not user.is_authenticated or not user.is_active:
        return Action.objects.none()
    in_charge = cases_in_charge_of(user).values("pk")
    return (
        current_actions()
        .filter(done_on__isnull=True, due_on__lte=until)
        .exclude(version__plan__case__stage=Stage.CLOSED)
        .filter(Q(responsible_user=user) | Q(version__plan__case__in=in_charge))
    )
