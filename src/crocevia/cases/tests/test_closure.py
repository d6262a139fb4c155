"""Closing a case: what is still open is listed, and closing over it takes a reason."""

import decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases import services
from crocevia.cases.models import NeedClass, Outcome, Review, Stage
from crocevia.interventions.models import InterventionType
from crocevia.interventions.services import (
    intervention_add,
    intervention_end,
    intervention_start,
)
from crocevia.plans.models import Action
from crocevia.plans.services import action_mark_done, plan_draft_save, plan_get_or_create
from crocevia.plans.services import plan_sign as sign
from crocevia.testing import days_ago, make_case, validate_plan

pytestmark = pytest.mark.django_db

REASON = "La persona si è trasferita in un'altra regione: il percorso si interrompe."


def _case_with_plan(actors):
    """A complex case assessed, then its plan signed 5 days ago with one action: two
    interventions (one started), no final review."""
    case = make_case(actors, stage=Stage.ASSESSED, need_class=NeedClass.COMPLEX)
    plan = plan_get_or_create(actor=actors.social_worker, case=case)
    version = plan_draft_save(
        actor=actors.social_worker,
        plan=plan,
        expected_revision=1,
        person_commitments="Frequentare il corso",
        service_commitments="Attivare il tirocinio",
        objectives=[{"dimension": "work", "text": "Trovare un tirocinio"}],
        actions=[
            {
                "description": "Iscrizione al corso CPIA",
                "responsible_user": None,
                "responsible_organisation": actors.cpi,
                "due_on": None,
                "objective": None,
            }
        ],
    )
    version = validate_plan(actors, plan, on=days_ago(6))
    sign(
        actor=actors.social_worker,
        version=version,
        signed_on=days_ago(5),
        operators=[actors.social_worker],
    )
    case.refresh_from_db()
    planned = intervention_add(
        actor=actors.social_worker,
        case=case,
        type=InterventionType.objects.get(code="tirocinio"),
        provider=actors.cpi,
        cost=decimal.Decimal("1500.00"),
    )
    started = intervention_add(
        actor=actors.social_worker,
        case=case,
        type=InterventionType.objects.get(code="italiano-l2"),
        provider=actors.cpi,
    )
    intervention_start(actor=actors.social_worker, intervention=started, on=days_ago(3))
    case.refresh_from_db()
    return case, planned, started


def test_open_items_list_interventions_plan_actions_and_the_missing_final_review(actors):
    case, planned, started = _case_with_plan(actors)
    action = Action.objects.get(version__plan__case=case)
    items = services.closure_open_items(case)
    assert [item.reference for item in items] == [
        f"plan_action#{action.pk}",
        f"intervention#{started.pk}",
        f"intervention#{planned.pk}",
        "final_review",
    ]
    by_kind = {item.reference: item.url for item in items}
    assert by_kind[f"intervention#{planned.pk}"] == reverse(
        "interventions:start", args=[planned.pk]
    )
    assert by_kind[f"intervention#{started.pk}"] == reverse("interventions:end", args=[started.pk])
    assert by_kind["final_review"].startswith(
        reverse("cases:followup_review_schedule", args=[case.pk])
    )


def test_closing_over_open_items_without_a_reason_is_refused_and_writes_nothing(actors):
    case, _planned, _started = _case_with_plan(actors)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.case_close(
            actor=actors.social_worker, case=case, on=days_ago(0), outcome=Outcome.MOVED_AWAY
        )
    assert set(error.value.message_dict) == {"open_items_reason"}
    case.refresh_from_db()
    assert case.stage != Stage.CLOSED and case.closed_on is None and case.outcome == ""
    assert AuditEvent.objects.count() == events


def test_closing_with_a_reason_keeps_it_and_audits_what_was_left_open(actors):
    case, planned, started = _case_with_plan(actors)
    case = services.case_close(
        actor=actors.social_worker,
        case=case,
        on=days_ago(0),
        outcome=Outcome.MOVED_AWAY,
        open_items_reason=f"  {REASON} ",
    )
    assert case.is_closed and case.open_items_reason == REASON
    event = AuditEvent.objects.get(action=AuditAction.CASE_CLOSE_WITH_OPEN_ITEMS)
    assert event.object_id == str(case.pk) and event.person_id == case.person_id
    references = event.changes["open_items"][1]
    assert f"intervention#{planned.pk}" in references and "final_review" in references
    # The reason is personal: the trail of the transition records that it changed, not it.
    assert REASON not in str(AuditEvent.objects.filter(object_id=str(case.pk)).values("changes"))


def test_the_outcome_is_required_by_the_service_too(actors):
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK)
    with pytest.raises(ValidationError) as error:
        services.case_close(actor=actors.social_worker, case=case, on=days_ago(0), outcome="")
    assert "outcome" in error.value.message_dict


def test_nothing_open_closes_without_a_reason(actors):
    # Closed before its plan: no plan to review, nothing to list.
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK)
    assert services.closure_open_items(case) == []
    case = services.case_close(
        actor=actors.social_worker, case=case, on=days_ago(0), outcome=Outcome.DROPPED_OUT
    )
    assert case.is_closed and case.open_items_reason == ""
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_CLOSE_WITH_OPEN_ITEMS).exists()


def test_once_everything_is_dealt_with_the_case_closes_without_a_reason(actors):
    case, planned, started = _case_with_plan(actors)
    action = Action.objects.get(version__plan__case=case)
    action_mark_done(actor=actors.social_worker, action=action, on=days_ago(1))
    intervention_end(
        actor=actors.social_worker, intervention=started, on=days_ago(1), status="completed"
    )
    intervention_start(actor=actors.social_worker, intervention=planned, on=days_ago(2))
    intervention_end(
        actor=actors.social_worker, intervention=planned, on=days_ago(1), status="interrupted"
    )
    review = services.review_schedule(
        actor=actors.social_worker, case=case, scheduled_on=days_ago(1), kind=Review.Kind.EXIT
    )
    assert [i.reference for i in services.closure_open_items(case)] == ["final_review"]
    services.review_record(
        actor=actors.social_worker, review=review, held_on=days_ago(0), notes="ok"
    )
    assert services.closure_open_items(case) == []
    case = services.case_close(
        actor=actors.social_worker, case=case, on=days_ago(0), outcome=Outcome.EMPLOYED
    )
    assert case.is_closed


def test_close_page_lists_open_items_with_links_and_marks_required_fields(actors, login):
    case, planned, _started = _case_with_plan(actors)
    client = login(actors.social_worker)
    url = reverse("cases:close", args=[case.pk])
    page = client.get(url).content.decode()
    assert 'id="open-items"' in page
    assert f'href="{reverse("interventions:start", args=[planned.pk])}"' in page
    assert "Tirocinio" in page
    # The outcome and the reason are required, for the eye and for assistive technology.
    outcome = page[page.index('name="outcome"') - 200 : page.index('name="outcome"') + 200]
    assert "required" in outcome and 'aria-required="true"' in outcome
    reason = page[page.index('name="open_items_reason"') - 300 :]
    assert 'aria-required="true"' in reason[:600]
    assert page.count('<span aria-hidden="true">*</span>') >= 3

    response = client.post(url, {"closed_on": days_ago(0).isoformat(), "outcome": "moved_away"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="open_items_reason-error"' in page and 'id="open-items"' in page
    case.refresh_from_db()
    assert not case.is_closed

    response = client.post(
        url,
        {
            "closed_on": days_ago(0).isoformat(),
            "outcome": "moved_away",
            "open_items_reason": REASON,
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="open-items-reason"' in page
    assert "La persona si è trasferita in un&#x27;altra regione" in page


def test_close_page_without_open_items_asks_no_reason(actors, login):
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK)
    page = login(actors.social_worker).get(reverse("cases:close", args=[case.pk])).content
    assert b'id="open-items"' not in page and b"open_items_reason" not in page


def test_closing_without_outcome_shows_the_error_and_keeps_what_was_typed(actors, login):
    case, _planned, _started = _case_with_plan(actors)
    response = login(actors.social_worker).post(
        reverse("cases:close", args=[case.pk]),
        {"closed_on": days_ago(0).isoformat(), "outcome": "", "open_items_reason": REASON},
    )
    page = response.content.decode()
    assert 'id="outcome-error"' in page and "si è trasferita" in page
    case.refresh_from_db()
    assert not case.is_closed
