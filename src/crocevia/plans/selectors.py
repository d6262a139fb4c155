"""Reads of the plan for the case page and the plan pages (constant queries)."""

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crocevia.accounts.models import User
from crocevia.cases.access import is_zone_coordinator_of
from crocevia.cases.hooks import OpenItem
from crocevia.cases.models import Case, TeamMember

from .models import Action, Plan, PlanVersion

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
    qs = PlanVersion.objects.filter(plan=plan).select_related("updated_by")
    qs = qs.prefetch_related(*VERSION_PREFETCH)
    if number is None:
        return qs.order_by("-number").first()
    return qs.filter(number=number).first()


def objectives_by_dimension(version: PlanVersion) -> list[tuple[str, list]]:
    """[(dimension label, [objective, ...]), ...] in the order the objectives were written."""
    groups: dict[str, tuple[str, list]] = {}
    for objective in version.objectives.all():
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


def case_section_context(user, case: Case) -> dict:
    """What templates/plans/_case_section.html needs: at most 5 queries."""
    plan = Plan.objects.filter(case=case).select_related("validated_by").first()
    context = {"plan": plan, "plan_versions": [], "plan_current": None, "plan_signed": None}
    if plan is None:
        context["plan_can_create"] = not case.is_closed and bool(case.need_class)
        return context
    plan.case = case
    versions = list(
        PlanVersion.objects.filter(plan=plan).order_by("number").prefetch_related(*VERSION_PREFETCH)
    )
    current = versions[-1] if versions else None
    signed = [v for v in versions if v.is_frozen]
    context.update(
        plan_versions=versions,
        plan_current=current,
        plan_signed=signed[-1] if signed else None,
        plan_objective_groups=objectives_by_dimension(current) if current else [],
        # Actions are marked done on a signed current version, by those who may change the case.
        plan_can_mark_done=bool(current and current.is_frozen) and not case.is_closed,
        plan_can_validate=bool(signed)
        and plan.validated_on is None
        and not case.is_closed
        and is_zone_coordinator_of(user, case),
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
