"""Reads of programmes, scoped to who may see budgets; money summed in the database.

Who sees what:
- administrators: every programme;
- coordinators: programmes with a participating organisation in their zone(s), which
  they also manage (actions, targets, enrolments, over-budget justifications);
- program managers and administrative staff of a participating organisation: the
  programme, and they record expenditure on their organisation's actions;
- everyone else: nothing (404), and no budget anywhere.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractQuarter, ExtractYear

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships, coordinated_zone_ids
from crocevia.cases.models import Case
from crocevia.cases.selectors import cases_visible_to
from crocevia.interventions.models import Intervention

from .models import MONEY, BudgetAction, Expenditure, Participation, Programme, Target

BUDGET_PROFILES = {Profile.PROGRAM_MANAGER, Profile.ADMINISTRATIVE}
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY_FIELD = DecimalField(**MONEY)


def budget_organisation_ids(user) -> set[int]:
    """Organisations where the user keeps the accounts (program manager, administrative)."""
    return {m.organisation_id for m in active_memberships(user) if m.profile in BUDGET_PROFILES}


def programmes_visible_to(user) -> QuerySet[Programme]:
    if not user.is_authenticated or not user.is_active:
        return Programme.objects.none()
    if user.is_superuser:
        return Programme.objects.all()
    zones = coordinated_zone_ids(user)
    orgs = budget_organisation_ids(user)
    if not zones and not orgs:
        return Programme.objects.none()
    visible = Participation.objects.filter(
        Q(organisation__zone_id__in=zones) | Q(organisation_id__in=orgs)
    ).values("programme_id")
    return Programme.objects.filter(pk__in=visible)


def enrolled_cases(user, programme: Programme) -> QuerySet[Case]:
    """The cases enrolled in `programme` that `user` may see, newest pre-assessment first."""
    return (
        cases_visible_to(user)
        .filter(programme_enrolments__programme=programme)
        .select_related("person", "organisation")
        .order_by("-preassessed_on", "pk")
    )


def recordable_actions(user, programme: Programme, *, manager: bool) -> QuerySet[BudgetAction]:
    actions = programme.actions.select_related("responsible_organisation")
    if manager:
        return actions
    return actions.filter(responsible_organisation_id__in=budget_organisation_ids(user))


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole as a percentage with one decimal, rounded half up (0 when whole is 0)."""
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _spent_subquery():
    return Coalesce(
        Subquery(
            Expenditure.objects.filter(action_id=OuterRef("pk"))
            .values("action_id")
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=MONEY_FIELD,
        ),
        Value(ZERO),
        output_field=MONEY_FIELD,
    )


# What an intervention paid by an action weighs on it (Intervention.cost): committed while
# planned or in progress on an open case; spent once completed or interrupted, or when its
# case closed while it was in progress (nobody can end it any more: what ran is spent). A
# planned one of a closed case will never start: it weighs nothing.
ENDED = (Intervention.Status.COMPLETED, Intervention.Status.INTERRUPTED)
COMMITTED = Q(
    status__in=(Intervention.Status.ACTIVE, Intervention.Status.PLANNED),
    case__closed_on__isnull=True,
)
SPENT = Q(status__in=ENDED) | Q(status=Intervention.Status.ACTIVE, case__closed_on__isnull=False)


@dataclass
class Line:
    """Budget, spent, committed and remaining of an action, an organisation or a programme.

    spent: the expenditures recorded plus the cost of the interventions paid that ended;
    committed: the cost of those planned or in progress; remaining: what is left to
    commit (budget − spent − committed).
    """

    budget: Decimal = ZERO
    spent: Decimal = ZERO
    committed: Decimal = ZERO

    def __post_init__(self):
        # SQLite sums decimals in floating point (PostgreSQL exactly); every amount has at
        # most two decimals, so the exact total is the sum quantized to the cent.
        self.budget = Decimal(self.budget or 0).quantize(CENT, rounding=ROUND_HALF_UP)
        self.spent = Decimal(self.spent or 0).quantize(CENT, rounding=ROUND_HALF_UP)
        self.committed = Decimal(self.committed or 0).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.spent - self.committed

    @property
    def pct(self) -> Decimal:
        return percent(self.spent, self.budget)

    @property
    def bar_value(self) -> Decimal:
        """The progress bar's value, capped at 100 (the text shows the real figure)."""
        return min(self.pct, Decimal(100))

    @property
    def over_budget(self) -> bool:
        return self.spent + self.committed > self.budget


def _intervention_sums(interventions, key: str) -> dict[int, tuple[Decimal, Decimal]]:
    """{key value: (spent, committed)} of the interventions' costs, grouped by `key`
    (a path from the intervention: funding_action_id, funding_action__programme_id...)."""
    rows = (
        interventions.filter(cost__isnull=False)
        .values(key)
        .annotate(spent=Sum("cost", filter=SPENT), committed=Sum("cost", filter=COMMITTED))
        .values_list(key, "spent", "committed")
    )
    return {k: (spent or ZERO, committed or ZERO) for k, spent, committed in rows}


def actions_with_spending(programme: Programme) -> list[BudgetAction]:
    """The programme's actions, each with .line (budget, spent, committed, remaining,
    pct), expenditures and the interventions they pay included: two queries."""
    actions = list(
        programme.actions.select_related("responsible_organisation").annotate(
            spent=_spent_subquery()
        )
    )
    paid = _intervention_sums(
        Intervention.objects.filter(funding_action__programme=programme), "funding_action_id"
    )
    for action in actions:
        spent, committed = paid.get(action.pk, (ZERO, ZERO))
        action.line = Line(budget=action.amount, spent=action.spent + spent, committed=committed)
    return actions


def spent_of(action: BudgetAction) -> Decimal:
    """What the action has spent: expenditures plus its interventions that ended."""
    total = action.expenditures.aggregate(total=Sum("amount"))["total"] or ZERO
    ended = action.interventions.filter(SPENT).aggregate(total=Sum("cost"))["total"] or ZERO
    return (Decimal(total) + Decimal(ended)).quantize(CENT, rounding=ROUND_HALF_UP)


def committed_of(action: BudgetAction) -> Decimal:
    """What the action has committed: the cost of its interventions planned or in progress."""
    total = action.interventions.filter(COMMITTED).aggregate(total=Sum("cost"))["total"]
    return ZERO if total is None else Decimal(total).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class OrganisationLine:
    organisation: object
    role: str
    line: Line = field(default_factory=Line)


def organisation_totals(
    programme: Programme, actions: list[BudgetAction] | None = None
) -> list[OrganisationLine]:
    """Budget, spent and committed per participating organisation (of the actions it is
    responsible for); `actions`: actions_with_spending(programme) when already loaded."""
    if actions is None:
        actions = actions_with_spending(programme)
    sums: dict[int, list[Decimal]] = {}
    for action in actions:
        row = sums.setdefault(action.responsible_organisation_id, [ZERO, ZERO, ZERO])
        row[0] += action.line.budget
        row[1] += action.line.spent
        row[2] += action.line.committed
    rows = []
    for participation in programme.participations.select_related("organisation"):
        budget, spent, committed = sums.get(participation.organisation_id, (ZERO, ZERO, ZERO))
        rows.append(
            OrganisationLine(
                organisation=participation.organisation,
                role=participation.get_role_display(),
                line=Line(budget=budget, spent=spent, committed=committed),
            )
        )
    return rows


def programme_total(programme: Programme, actions: list[BudgetAction] | None = None) -> Line:
    """The programme's line; `actions`: actions_with_spending(programme) when loaded."""
    if actions is None:
        actions = actions_with_spending(programme)
    return Line(
        budget=sum((a.line.budget for a in actions), ZERO),
        spent=sum((a.line.spent for a in actions), ZERO),
        committed=sum((a.line.committed for a in actions), ZERO),
    )


def target_progress(programme: Programme) -> list[Target]:
    """Targets, each with .achieved and .pct: distinct persons whose case, enrolled in the
    programme and belonging to the target's organisation, was pre-assessed in the
    programme's period (INDICATORS.md cases.taken_in_charge). Cases not enrolled never count.
    """
    achieved = dict(
        Case.objects.filter(
            programme_enrolments__programme=programme,
            preassessed_on__gte=programme.start_date,
            preassessed_on__lte=programme.end_date,
        )
        .values_list("organisation_id")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("organisation_id", "n")
    )
    targets = list(programme.targets.select_related("organisation"))
    for target in targets:
        target.achieved = achieved.get(target.organisation_id, 0)
        target.pct = percent(Decimal(target.achieved), Decimal(target.target_number))
        target.bar_value = min(target.pct, Decimal(100))
    return targets


@dataclass
class TimelineRow:
    action: BudgetAction
    cells: list[dict]


def timeline(
    programme: Programme, actions: list[BudgetAction]
) -> tuple[list[str], list[TimelineRow]]:
    """The cronoprogramma: per action and quarter, planned (in its planned quarters) and done
    (an expenditure dated in that quarter)."""
    quarters = programme.quarters
    done = {
        (row["action_id"], f"{row['y']}-Q{row['q']}")
        for row in Expenditure.objects.filter(action__programme=programme)
        .annotate(y=ExtractYear("spent_on"), q=ExtractQuarter("spent_on"))
        .values("action_id", "y", "q")
        .distinct()
    }
    rows = []
    for action in actions:
        planned = set(action.planned_quarters or [])
        cells = [
            {"quarter": q, "planned": q in planned, "done": (action.pk, q) in done}
            for q in quarters
        ]
        rows.append(TimelineRow(action=action, cells=cells))
    return quarters, rows


def funded_interventions(programme: Programme) -> dict:
    """How many interventions the programme pays for, by state, for its page (one query):
    cases' details stay on the case pages, seen by those who may."""
    rows = (
        Intervention.objects.filter(funding_action__programme=programme)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    counts = dict(rows)
    return {
        "planned": counts.get(Intervention.Status.PLANNED, 0),
        "active": counts.get(Intervention.Status.ACTIVE, 0),
        "ended": sum(counts.get(status, 0) for status in ENDED),
        "total": sum(counts.values()),
    }


def programme_page_context(programme: Programme, *, manager: bool) -> dict:
    """The programme page; `manager`: whether the user manages it (access.can_manage)."""
    actions = actions_with_spending(programme)
    quarters, rows = timeline(programme, actions)
    return {
        "programme": programme,
        "participations": list(programme.participations.select_related("organisation")),
        "actions": actions,
        "organisation_totals": organisation_totals(programme, actions),
        "total": programme_total(programme, actions),
        "funded_interventions": funded_interventions(programme),
        "targets": target_progress(programme),
        "quarters": quarters,
        "timeline_rows": rows,
        "can_manage": manager,
        "enrolled_count": programme.enrolments.count(),
        "expenditures": list(
            Expenditure.objects.filter(action__programme=programme)
            .select_related("action", "recorded_by")
            .order_by("-spent_on", "-id")
        ),
    }


def programmes_with_totals(qs: QuerySet[Programme]) -> list[Programme]:
    """Programmes with .line: total budget, spent and committed, summed in the database."""
    budget_sq = Subquery(
        BudgetAction.objects.filter(programme_id=OuterRef("pk"))
        .values("programme_id")
        .annotate(t=Sum("amount"))
        .values("t"),
        output_field=MONEY_FIELD,
    )
    spent_sq = Subquery(
        Expenditure.objects.filter(action__programme_id=OuterRef("pk"))
        .values("action__programme_id")
        .annotate(t=Sum("amount"))
        .values("t"),
        output_field=MONEY_FIELD,
    )
    programmes = list(
        qs.select_related("lead_organisation").annotate(
            budget_total=Coalesce(budget_sq, Value(ZERO), output_field=MONEY_FIELD),
            spent_total=Coalesce(spent_sq, Value(ZERO), output_field=MONEY_FIELD),
        )
    )
    paid = _intervention_sums(
        Intervention.objects.filter(funding_action__programme__in=[p.pk for p in programmes]),
        "funding_action__programme_id",
    )
    for programme in programmes:
        spent, committed = paid.get(programme.pk, (ZERO, ZERO))
        programme.line = Line(
            budget=programme.budget_total,
            spent=programme.spent_total + spent,
            committed=committed,
        )
    return programmes


def programmes_of_organisation(user, organisation) -> list[Programme]:
    """The programmes `organisation` takes part in that `user` may see, with its role and
    its own budget line (for the organisation page)."""
    qs = programmes_visible_to(user).filter(participations__organisation=organisation)
    programmes = programmes_with_totals(qs.order_by("-start_date", "code"))
    roles = dict(
        Participation.objects.filter(
            organisation=organisation, programme_id__in=[p.pk for p in programmes]
        ).values_list("programme_id", "role")
    )
    budgets = dict(
        BudgetAction.objects.filter(
            responsible_organisation=organisation, programme_id__in=[p.pk for p in programmes]
        )
        .values_list("programme_id")
        .annotate(t=Sum("amount"))
        .values_list("programme_id", "t")
    )
    spent = dict(
        Expenditure.objects.filter(
            action__responsible_organisation=organisation,
            action__programme_id__in=[p.pk for p in programmes],
        )
        .values_list("action__programme_id")
        .annotate(t=Sum("amount"))
        .values_list("action__programme_id", "t")
    )
    paid = _intervention_sums(
        Intervention.objects.filter(
            funding_action__responsible_organisation=organisation,
            funding_action__programme_id__in=[p.pk for p in programmes],
        ),
        "funding_action__programme_id",
    )
    for programme in programmes:
        programme.organisation_role = Participation.Role(roles[programme.pk]).label
        paid_spent, paid_committed = paid.get(programme.pk, (ZERO, ZERO))
        programme.organisation_line = Line(
            budget=budgets.get(programme.pk) or ZERO,
            spent=(spent.get(programme.pk) or ZERO) + paid_spent,
            committed=paid_committed,
        )
    return programmes


def organisation_section_context(user, organisation) -> dict:
    """The organisation page's section (registered in network.sections): its programmes."""
    return {"organisation_programmes": programmes_of_organisation(user, organisation)}
