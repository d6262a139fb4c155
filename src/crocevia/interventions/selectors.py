"""Reads of the interventions for the case page (constant queries)."""

from crocevia.cases.models import Case, Stage

from .models import Intervention


def interventions_of(case: Case):
    return (
        Intervention.objects.filter(case=case)
        .select_related("type", "provider")
        .order_by("starts_on", "id")
    )


def case_section_context(user, case: Case) -> dict:
    """What templates/interventions/_case_section.html needs: 2 queries at most."""
    interventions = list(interventions_of(case))
    totals = {
        "hours": sum((i.hours for i in interventions if i.hours is not None), start=0),
        "cost": sum((i.cost for i in interventions if i.cost is not None), start=0),
    }
    return {
        "interventions": interventions,
        "intervention_totals": totals,
        "intervention_can_start": case.stage in (Stage.PLAN_SIGNED, Stage.IN_PROGRESS)
        and not case.is_closed,
        "intervention_can_add": not case.is_closed,
    }
