"""Reads of the interventions for the case page (constant queries)."""

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from crocevia.cases.access import read_under_agreement
from crocevia.cases.hooks import OpenItem
from crocevia.cases.models import Case, Stage
from crocevia.cases.selectors import cases_in_charge_of

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
