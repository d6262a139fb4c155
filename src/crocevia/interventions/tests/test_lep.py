"""The LEP's household obligations on the case team's work (interventions.lep): a case
assessed as complex with no intervention started, or with a child under 1,000 days and no
parenting support, shows as an open item on the case page, in the work queue, on the
coordination page and at the closure, until it is met; the report counts the same."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.recording import NOTE_CASE_LIST
from crocevia.cases.models import Case, NeedClass, Outcome, Stage
from crocevia.cases.services import case_close, closure_open_items
from crocevia.core.dates import quarter_start
from crocevia.interventions.lep import (
    NO_INTERVENTION,
    NO_PARENTING,
    household_obligations,
    lep_open,
    lep_open_items,
    with_lep_obligations,
)
from crocevia.interventions.models import Intervention, InterventionType
from crocevia.interventions.services import intervention_add, intervention_start
from crocevia.people.models import Relationship
from crocevia.people.services import household_add_member, household_create
from crocevia.plans.services import plan_get_or_create
from crocevia.reporting.indicators import Scope, indicators
from crocevia.testing import days_ago, make_case, make_person, other_zone_cast

pytestmark = pytest.mark.django_db

ASSESSED_ON = days_ago(30)


def it(text: str) -> str:
    with translation.override("it"):
        return translation.gettext(text)


def household_case(actors, *, child_days=None, stage=Stage.PLAN_SIGNED, plan=True, **given):
    """A complex case assessed 30 days ago (its plan signed 20 days ago, by default), of a
    person whose household has a child `child_days` old on the assessment day (none when
    None)."""
    person = make_person(actors)
    if child_days is not None:
        household = household_create(actor=actors.social_worker, reference_person=person)
        child = make_person(
            actors,
            consent=False,
            given_names="Bimba",
            birth_date=ASSESSED_ON - datetime.timedelta(days=child_days),
        )
        household_add_member(
            actor=actors.social_worker,
            household=household,
            person=child,
            relationship=Relationship.CHILD,
        )
    given.setdefault("assessed_on", ASSESSED_ON)
    case = make_case(actors, stage=stage, person=person, **given)
    if plan:
        plan_get_or_create(actor=actors.social_worker, case=case)
    return case


def start(actors, case, code="tirocinio", on=None):
    intervention = intervention_add(
        actor=actors.social_worker,
        case=case,
        type=InterventionType.objects.get(code=code),
        provider=actors.sds,
    )
    return intervention_start(
        actor=actors.social_worker, intervention=intervention, on=on or days_ago(5)
    )


def kinds(case) -> list[str]:
    return [item.kind for item in lep_open_items(Case.objects.get(pk=case.pk))]


def open_ids(queryset=None) -> set[int]:
    return set(lep_open(queryset or Case.objects.all()).values_list("pk", flat=True))


# --- the selector ----------------------------------------------------------------------------


def test_a_complex_case_assessed_without_intervention_is_open_until_one_starts(actors):
    case = household_case(actors)
    assert kinds(case) == [NO_INTERVENTION]
    assert open_ids() == {case.pk}
    # Planned is not started.
    planned = intervention_add(
        actor=actors.social_worker,
        case=case,
        type=InterventionType.objects.get(code="tirocinio"),
        provider=actors.cpi,
    )
    assert kinds(case) == [NO_INTERVENTION]
    intervention_start(actor=actors.social_worker, intervention=planned, on=days_ago(2))
    assert kinds(case) == []
    assert open_ids() == set()


def test_an_intervention_counts_from_its_start_day_not_before(actors):
    case = household_case(actors)
    tomorrow = days_ago(-1)
    Intervention.objects.create(
        case=case,
        type=InterventionType.objects.get(code="tirocinio"),
        provider=actors.cpi,
        status=Intervention.Status.ACTIVE,
        starts_on=tomorrow,
        created_by=actors.social_worker,
    )
    assert kinds(case) == [NO_INTERVENTION]
    annotated = with_lep_obligations(Case.objects.filter(pk=case.pk), on=tomorrow).get()
    assert annotated.lep_intervention and not annotated.lep_no_intervention


def test_a_child_under_1000_days_asks_for_parenting_support_until_it_starts(actors):
    case = household_case(actors, child_days=999)
    assert kinds(case) == [NO_INTERVENTION, NO_PARENTING]
    # Another kind of intervention meets the first obligation only.
    start(actors, case, code="tirocinio")
    assert kinds(case) == [NO_PARENTING]
    assert open_ids() == {case.pk}
    start(actors, case, code="mediazione-familiare")
    assert kinds(case) == []
    assert open_ids() == set()


def test_a_child_of_exactly_1000_days_is_past_the_first_thousand(actors):
    older = household_case(actors, child_days=1000)
    younger = household_case(actors, child_days=999)
    newborn = household_case(actors, child_days=0)
    unborn = household_case(actors, child_days=-1)  # born after the assessment
    assert kinds(older) == [NO_INTERVENTION]
    assert kinds(younger) == [NO_INTERVENTION, NO_PARENTING]
    assert kinds(newborn) == [NO_INTERVENTION, NO_PARENTING]
    assert kinds(unborn) == [NO_INTERVENTION]


def test_the_household_is_the_cases_own_before_the_persons(actors):
    case = household_case(actors)
    # The case names a household (an income-support one) with a toddler; the person has none.
    other = make_person(actors)
    household = household_create(actor=actors.social_worker, reference_person=other)
    toddler = make_person(
        actors, consent=False, birth_date=ASSESSED_ON - datetime.timedelta(days=400)
    )
    household_add_member(
        actor=actors.social_worker,
        household=household,
        person=toddler,
        relationship=Relationship.CHILD,
    )
    Case.objects.filter(pk=case.pk).update(household=household)
    assert kinds(case) == [NO_INTERVENTION, NO_PARENTING]


def test_a_closed_case_has_no_open_item(actors):
    case = household_case(actors, child_days=100)
    case = case_close(
        actor=actors.social_worker,
        case=case,
        on=days_ago(0),
        outcome=Outcome.MOVED_AWAY,
        open_items_reason="Trasferita in un'altra regione.",
    )
    assert lep_open_items(case) == []
    assert open_ids() == set()
    # The report still counts it: the obligation was not met in the period.
    counts = household_obligations(days_ago(60), days_ago(0), [actors.zone.pk])[actors.zone.pk]
    assert (counts.households, counts.with_intervention, counts.young, counts.with_support) == (
        1,
        0,
        1,
        0,
    )


def test_no_item_before_the_assessment_or_for_a_case_that_is_not_complex(actors):
    waiting = make_case(actors, stage=Stage.TEAM_FORMED)
    work = make_case(actors, stage=Stage.IN_PROGRESS, need_class=NeedClass.WORK)
    # Even with an assessment day on record, a work case owes none of the two.
    Case.objects.filter(pk=work.pk).update(assessed_on=ASSESSED_ON)
    assert kinds(waiting) == [] and kinds(work) == []
    assert open_ids() == set()


def test_the_report_counts_what_the_open_items_show(actors):
    met = household_case(actors, child_days=200)
    start(actors, met, code="mediazione-familiare")
    household_case(actors, child_days=200)
    household_case(actors)
    got = indicators(days_ago(60), days_ago(0), Scope(zone=actors.zone))
    assert got["lep.assessed_with_intervention"]["ZPI"]["households"] == 3
    assert got["lep.assessed_with_intervention"]["ZPI"]["with_intervention"] == 1
    assert got["lep.first_1000_days_parenting"]["ZPI"]["households"] == 2
    assert got["lep.first_1000_days_parenting"]["ZPI"]["with_support"] == 1
    assert len(open_ids()) == 2


# --- the case page ---------------------------------------------------------------------------


def test_the_case_page_shows_each_open_obligation_with_the_step_that_meets_it(actors, login):
    case = household_case(actors, child_days=500)
    client = login(actors.social_worker)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="lep-section"' in html
    assert escape(it("LEP obligation open: the household was assessed as complex and no "
                     "intervention has started.")) in html  # fmt: skip
    assert escape(it("LEP obligation open: the household has a child under 1,000 days and "
                     "no parenting-support intervention has started.")) in html  # fmt: skip
    create = reverse("interventions:create", args=[case.pk])
    assert f'href="{create}"' in html
    assert f'href="{create}?tipo=mediazione-familiare"' in html
    # The parenting-support form opens on that kind.
    form = client.get(f"{create}?tipo=mediazione-familiare").context["form"]
    assert form["type"].value() == InterventionType.objects.get(code="mediazione-familiare").pk
    start(actors, case, code="mediazione-familiare")
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="lep-section"' not in html


def test_a_planned_intervention_is_started_from_the_obligation(actors, login):
    case = household_case(actors)
    planned = intervention_add(
        actor=actors.social_worker,
        case=case,
        type=InterventionType.objects.get(code="tirocinio"),
        provider=actors.cpi,
    )
    html = login(actors.social_worker).get(reverse("cases:detail", args=[case.pk]))
    html = html.content.decode()
    assert f'href="{reverse("interventions:start", args=[planned.pk])}"' in html
    assert it("Record the start") in html


def test_without_a_plan_the_step_is_to_write_it(actors, login):
    case = household_case(actors, stage=Stage.ASSESSED, plan=False)
    html = login(actors.social_worker).get(reverse("cases:detail", args=[case.pk]))
    html = html.content.decode()
    assert 'id="lep-section"' in html
    assert f'href="{reverse("cases:detail", args=[case.pk])}#plan-section"' in html


def test_a_met_or_not_complex_case_page_has_no_lep_section(actors, login):
    case = household_case(actors)
    start(actors, case)
    work = make_case(actors, stage=Stage.IN_PROGRESS, need_class=NeedClass.WORK)
    client = login(actors.social_worker)
    for pk in (case.pk, work.pk):
        assert (
            'id="lep-section"'
            not in client.get(reverse("cases:detail", args=[pk])).content.decode()
        )


# --- the closure -----------------------------------------------------------------------------


def test_closing_over_an_open_obligation_asks_for_the_reason_and_audits_it(actors):
    case = household_case(actors, child_days=10)
    start(actors, case)
    case.refresh_from_db()  # the first start put the plan in progress
    references = [item.reference for item in closure_open_items(case)]
    assert "lep_parenting" in references and "lep_intervention" not in references
    with pytest.raises(ValidationError) as error:
        case_close(actor=actors.social_worker, case=case, on=days_ago(0), outcome=Outcome.EMPLOYED)
    assert "open_items_reason" in error.value.message_dict
    assert not Case.objects.get(pk=case.pk).is_closed
    case = case_close(
        actor=actors.social_worker,
        case=case,
        on=days_ago(0),
        outcome=Outcome.EMPLOYED,
        open_items_reason="La famiglia ha rifiutato il percorso.",
    )
    event = AuditEvent.objects.get(action=AuditAction.CASE_CLOSE_WITH_OPEN_ITEMS)
    assert "lep_parenting" in event.changes["open_items"][1]
    assert case.is_closed and lep_open_items(case) == []


# --- the coordination page and the zone page -------------------------------------------------


def test_the_coordination_page_lists_the_zones_open_obligations_only(actors, login):
    ours = household_case(actors, child_days=20)
    met = household_case(actors)
    start(actors, met)
    other = other_zone_cast(actors)
    theirs = household_case(other)
    response = login(actors.coordinator).get(reverse("cases:coordination"))
    html = response.content.decode()
    assert 'id="lep-obligations"' in html
    assert f'href="{reverse("cases:detail", args=[ours.pk])}#lep-section"' in html
    assert escape(it("No parenting support started (child under 1,000 days)")) in html
    assert f'href="{reverse("cases:detail", args=[met.pk])}#lep-section"' not in html
    assert f'href="{reverse("cases:detail", args=[theirs.pk])}#lep-section"' not in html
    # The persons it names are recorded as shown to the coordinator.
    assert AuditEvent.objects.filter(
        actor=actors.coordinator, person=ours.person, note=NOTE_CASE_LIST
    ).exists()
    html = login(other.coordinator).get(reverse("cases:coordination")).content.decode()
    assert f'href="{reverse("cases:detail", args=[theirs.pk])}#lep-section"' in html
    assert f'href="{reverse("cases:detail", args=[ours.pk])}#lep-section"' not in html


def test_the_zone_page_counts_the_obligations_of_the_quarter_like_the_report(actors, login):
    today = days_ago(0)
    quarter = quarter_start(today)
    met = household_case(actors, child_days=20, assessed_on=today)
    start(actors, met, code="mediazione-familiare", on=today)
    household_case(actors, assessed_on=today)
    household_case(actors, assessed_on=quarter - datetime.timedelta(days=1))  # before it
    response = login(actors.coordinator).get(reverse("network:zone_detail", args=[actors.zone.pk]))
    assert response.status_code == 200
    context = response.context
    assert context["lep_period"] == {"from": quarter, "to": today}
    counts = context["lep_households"]
    got = indicators(quarter, today, Scope(zone=actors.zone))
    assert counts.households == got["lep.assessed_with_intervention"]["ZPI"]["households"] == 2
    assert counts.with_intervention == 1
    assert counts.young == got["lep.first_1000_days_parenting"]["ZPI"]["households"] == 1
    assert counts.with_support == got["lep.first_1000_days_parenting"]["ZPI"]["with_support"] == 1
    assert context["lep_teams"] == got["lep.teams"]["ZPI"]["active"] == 3
    html = response.content.decode()
    assert 'id="zone-lep-cases"' in html
    # Counts only: no person of the zone is named.
    assert met.person.family_name not in html
