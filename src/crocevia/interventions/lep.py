"""The LEP's two household obligations (seed 002, "Sintesi Obiettivi LEP"), defined once
for the case page, the work queue, the coordination page, the closure and the report
(INDICATORS.md: lep.assessed_with_intervention, lep.first_1000_days_parenting):

- a case assessed (`assessed_on`) with need class complex needs at least one intervention
  started: in progress, completed or interrupted, with `starts_on` on or before the day;
- if its household had a member younger than 1,000 days on `assessed_on`, it needs an
  intervention of the parenting-support kind (PARENTING_SUPPORT_TYPES) started as well.

The household is the case's, else the person's own; a person without one is alone.
`with_lep_obligations` annotates a Case queryset with both in the same query; the report
counts every case assessed in its period (closed ones too), the case team's work lists
only open cases (`lep_open`).
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    DateField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.cases.hooks import OpenItem
from crocevia.cases.models import Case, NeedClass, Stage
from crocevia.people.models import Person

from .models import PARENTING_SUPPORT_TYPES, Intervention

FIRST_THOUSAND_DAYS = 1000
# An intervention has started once it is in progress, or ended after it did.
STARTED_STATUSES = (
    Intervention.Status.ACTIVE,
    Intervention.Status.COMPLETED,
    Intervention.Status.INTERRUPTED,
)

# The open items' kinds (cases.hooks.OpenItem.kind: how the audit trail names them).
NO_INTERVENTION = "lep_intervention"
NO_PARENTING = "lep_parenting"
MISSING_LABELS = {
    NO_INTERVENTION: gettext_lazy("No intervention started"),
    NO_PARENTING: gettext_lazy("No parenting support started (child under 1,000 days)"),
}
OPEN_LABELS = {
    NO_INTERVENTION: gettext_lazy(
        "LEP obligation open: the household was assessed as complex and no intervention has "
        "started."
    ),
    NO_PARENTING: gettext_lazy(
        "LEP obligation open: the household has a child under 1,000 days and no "
        "parenting-support intervention has started."
    ),
}


def started_interventions(on: datetime.date) -> QuerySet[Intervention]:
    """The interventions started on or before `on`."""
    return Intervention.objects.filter(status__in=STARTED_STATUSES, starts_on__lte=on)


def _born_within_1000_days(**person) -> Exists:
    """A person (`person`: the lookup naming them from the case) younger than 1,000 days
    on the case's assessment day."""
    assessed_on = OuterRef("assessed_on")
    return Exists(
        Person.objects.filter(
            birth_date__lte=assessed_on,
            birth_date__gt=ExpressionWrapper(
                assessed_on - datetime.timedelta(days=FIRST_THOUSAND_DAYS),
                output_field=DateField(),
            ),
            **person,
        )
    )


def with_lep_obligations(cases: QuerySet[Case], *, on: datetime.date) -> QuerySet[Case]:
    """`cases` annotated, on the day `on`, with:

    - lep_assessed: assessed as complex on or before `on`;
    - lep_intervention: an intervention started on or before `on`;
    - lep_young_child: a member of the household younger than 1,000 days on assessed_on;
    - lep_parenting: a parenting-support intervention started on or before `on`;
    - lep_no_intervention, lep_no_parenting: the two obligations still open.
    Subqueries of the same query: no query of its own.
    """
    started = started_interventions(on).filter(case_id=OuterRef("pk"))
    assessed = Q(need_class=NeedClass.COMPLEX, assessed_on__isnull=False, assessed_on__lte=on)
    return cases.annotate(
        lep_household=Coalesce("household_id", "person__household_id"),
        lep_assessed=ExpressionWrapper(assessed, output_field=BooleanField()),
        lep_intervention=Exists(started),
        lep_parenting=Exists(started.filter(type__code__in=PARENTING_SUPPORT_TYPES)),
        lep_young_child=CaseWhen(
            When(
                lep_household__isnull=True,
                then=_born_within_1000_days(pk=OuterRef("person_id")),
            ),
            default=_born_within_1000_days(household_id=OuterRef("lep_household")),
            output_field=BooleanField(),
        ),
    ).annotate(
        lep_no_intervention=ExpressionWrapper(
            assessed & Q(lep_intervention=False), output_field=BooleanField()
        ),
        lep_no_parenting=ExpressionWrapper(
            assessed & Q(lep_young_child=True, lep_parenting=False), output_field=BooleanField()
        ),
    )


OPEN = Q(lep_no_intervention=True) | Q(lep_no_parenting=True)


def lep_open(cases: QuerySet[Case], *, on: datetime.date | None = None) -> QuerySet[Case]:
    """The open cases of `cases` with at least one LEP obligation open on `on` (today),
    annotated as with_lep_obligations."""
    on = on or timezone.localdate()
    return with_lep_obligations(cases.exclude(stage=Stage.CLOSED), on=on).filter(OPEN)


def missing(case: Case) -> list[str]:
    """What an annotated case (with_lep_obligations) lacks: the open items' kinds."""
    kinds = []
    if case.lep_no_intervention:
        kinds.append(NO_INTERVENTION)
    if case.lep_no_parenting:
        kinds.append(NO_PARENTING)
    return kinds


def missing_text(case: Case) -> str:
    """What an annotated case lacks, in words (the queue's column)."""
    return "; ".join(str(MISSING_LABELS[kind]) for kind in missing(case))


@dataclass(frozen=True)
class NextStep:
    """Where the case team meets an open obligation, and what the button says."""

    url: str
    action: str


def _next_step(case: Case, kind: str, planned: list[Intervention]) -> NextStep:
    """The step that meets the obligation: record the start of an intervention already
    planned (of the parenting-support kind, for that obligation); else add one (the plan
    written); else write the plan, which the interventions activate."""
    wanted = [i for i in planned if kind != NO_PARENTING or i.type.code in PARENTING_SUPPORT_TYPES]
    if wanted and case.stage in (Stage.PLAN_SIGNED, Stage.IN_PROGRESS):
        return NextStep(reverse("interventions:start", args=[wanted[0].pk]), _("Record the start"))
    if planned or hasattr(case, "plan"):
        url = reverse("interventions:create", args=[case.pk])
        if kind == NO_PARENTING:
            return NextStep(
                f"{url}?tipo={PARENTING_SUPPORT_TYPES[0]}",
                _("Add a parenting-support intervention"),
            )
        return NextStep(url, _("Add an intervention"))
    return NextStep(reverse("cases:detail", args=[case.pk]) + "#plan-section", _("Write the plan"))


def open_obligations(
    case: Case, *, on: datetime.date | None = None
) -> list[tuple[OpenItem, NextStep]]:
    """The LEP obligations still open on the case on `on` (today), none once it is
    closed, each with the step that meets it. Three queries at most, none for a case
    never assessed as complex."""
    if case.is_closed or case.need_class != NeedClass.COMPLEX or case.assessed_on is None:
        return []  # nothing to ask the database
    on = on or timezone.localdate()
    annotated = with_lep_obligations(Case.objects.filter(pk=case.pk), on=on).first()
    if annotated is None:
        return []
    kinds = missing(annotated)
    if not kinds:
        return []
    planned = list(
        Intervention.objects.filter(case=case, status=Intervention.Status.PLANNED)
        .select_related("type")
        .order_by("pk")
    )
    result = []
    for kind in kinds:
        step = _next_step(case, kind, planned)
        item = OpenItem(kind=kind, pk=None, label=str(OPEN_LABELS[kind]), url=step.url)
        result.append((item, step))
    return result


def lep_open_items(case: Case) -> list[OpenItem]:
    """What of the LEP is still open when the case closes (cases.hooks)."""
    return [item for item, _step in open_obligations(case)]


@dataclass(frozen=True)
class HouseholdCounts:
    """A zone's complex cases assessed in a period, and how many met each obligation."""

    households: int = 0  # complex cases assessed in the period
    with_intervention: int = 0  # ... with an intervention started by the period's end
    young: int = 0  # ... with a member younger than 1,000 days on assessed_on
    with_support: int = 0  # ... of those, with parenting support started by the end


def household_obligations(start, end, zone_ids) -> dict[int, HouseholdCounts]:
    """{zone id: HouseholdCounts} over the complex cases of the zones assessed in
    [start, end] (closed ones too), interventions started by `end` (INDICATORS.md,
    lep.assessed_with_intervention and lep.first_1000_days_parenting). One query."""
    ids = list(zone_ids)
    rows = (
        with_lep_obligations(
            Case.objects.filter(
                zone_id__in=ids,
                need_class=NeedClass.COMPLEX,
                assessed_on__gte=start,
                assessed_on__lte=end,
            ),
            on=end,
        )
        .order_by()
        .values_list("zone_id", "lep_intervention", "lep_young_child", "lep_parenting")
    )
    counts = {pk: [0, 0, 0, 0] for pk in ids}
    for zone_id, intervention, young, parenting in rows:
        row = counts[zone_id]
        row[0] += 1
        row[1] += bool(intervention)
        row[2] += bool(young)
        row[3] += bool(young and parenting)
    return {pk: HouseholdCounts(*row) for pk, row in counts.items()}
