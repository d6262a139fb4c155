"""Reads of the interventions for the case page (constant queries), and of the LEP's
household obligations (interventions.lep) for the case page, the work queue, the
coordination page and the zone page."""

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.cases.access import cases_shown_to, read_under_agreement
from crocevia.cases.hooks import OpenItem
from crocevia.cases.models import Case, Stage
from crocevia.cases.selectors import cases_in_charge_of, cases_of_coordinated_zones, teams_active
from crocevia.core.dates import quarter_start
from crocevia.core.paging import first_rows

from .lep import MISSING_LABELS, household_obligations, lep_open, missing, open_obligations
from .models import Intervention


def interventions_of(case: Case):
    return (
        Intervention.objects.filter(case=case)
        .select_related("type", "provider", "funding_action__programme")
        .order_by("starts_on", "id")
    )


def case_section_context(user, case: Case) -> dict:
    """What templates/interventions/_case_section.html needs: 2 queries at most."""
    interventions = list(interventions_of(case))
    # Read under an agreement (cases.access.read_under_agreement): no button that changes it.
    writable = not case.is_closed and not read_under_agreement(user, case)
    totals = {
        "hours": sum((i.hours for i in interventions if i.hours is not None), start=0),
        "cost": sum((i.cost for i in interventions if i.cost is not None), start=0),
    }
    return {
        "interventions": interventions,
        "intervention_totals": totals,
        "intervention_can_start": case.stage in (Stage.PLAN_SIGNED, Stage.IN_PROGRESS) and writable,
        "intervention_can_add": writable,
    }


def open_interventions(case: Case) -> list[OpenItem]:
    """The case's interventions planned and never started, or started and never ended, for
    the closure of the case (cases.hooks); one query. Each links to the step it waits for."""
    rows = (
        Intervention.objects.filter(
            case=case, status__in=[Intervention.Status.PLANNED, Intervention.Status.ACTIVE]
        )
        .select_related("type")
        # The same order on every database: those never started (no day) last.
        .order_by(F("starts_on").asc(nulls_last=True), "pk")
    )
    items = []
    for row in rows:
        if row.status == Intervention.Status.PLANNED:
            label = _("Intervention planned, never started: %(type)s") % {"type": row.type.name}
            url = reverse("interventions:start", args=[row.pk])
        else:
            label = _("Intervention in progress, not ended: %(type)s") % {"type": row.type.name}
            url = reverse("interventions:end", args=[row.pk])
        items.append(OpenItem(kind="intervention", pk=row.pk, label=label, url=url))
    return items


def interventions_to_start(user, *, until) -> QuerySet[Intervention]:
    """The interventions still planned whose start day is on or before `until` (passed
    already, or coming), of the open cases `user` answers for (cases_in_charge_of)."""
    return Intervention.objects.filter(
        status=Intervention.Status.PLANNED,
        starts_on__lte=until,
        case__in=cases_in_charge_of(user).values("pk"),
    )


# --- the LEP's household obligations (interventions.lep) -------------------------------------

COORDINATION_ROWS = 50


def lep_obligations_open(user, *, on=None) -> QuerySet[Case]:
    """The work queue: the open cases with a LEP obligation open on `on` (today), of the
    cases `user` answers for (cases_in_charge_of: those they manage; their zones' for a
    coordinator), annotated (interventions.lep), with their person and case manager."""
    return lep_open(cases_in_charge_of(user), on=on).select_related("person", "case_manager")


def lep_case_section_context(user, case: Case) -> dict:
    """What templates/interventions/_lep_section.html needs: the case's open LEP
    obligations (none for a closed case) with the step that meets each; three queries at
    most, none for a case never assessed as complex."""
    return {"lep_obligations": open_obligations(case)}


def lep_coordination_section_context(user) -> dict:
    """The coordination page's open LEP obligations: the first cases of the zones the user
    coordinates, their persons recorded as shown."""
    queryset = (
        lep_open(cases_of_coordinated_zones(user))
        .select_related("person", "case_manager")
        .order_by("priority", "assessed_on", "pk")
    )
    rows, total = first_rows(queryset, COORDINATION_ROWS)
    cases_shown_to(user, rows)
    for case in rows:
        case.lep_missing = [MISSING_LABELS[kind] for kind in missing(case)]
    return {"lep_cases": rows, "lep_cases_total": total}


def lep_zone_section_context(user, zone) -> dict:
    """The zone page's LEP obligations met by the zone's cases, over this quarter to date
    (the report's "this quarter" period): the active teams and the households assessed as
    complex. Counts only, no person. Two queries."""
    today = timezone.localdate()
    start = quarter_start(today)
    counts = household_obligations(start, today, [zone.pk])[zone.pk]
    teams = teams_active(start, today).filter(zone=zone).count()
    return {
        "lep_period": {"from": start, "to": today},
        "lep_teams": teams,
        "lep_households": counts,
        # Met or not (None: no household to count), as the report's LEP table says it.
        "lep_met": {
            "teams": teams >= 1,
            "assessed": counts.with_intervention == counts.households
            if counts.households
            else None,
            "parenting": counts.with_support == counts.young if counts.young else None,
        },
    }
