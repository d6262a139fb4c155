"""Interventions paid by budget actions: the choice, the budget check, the totals."""

import datetime
import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases.models import Stage
from crocevia.cases.services import case_close
from crocevia.interventions.hooks import funding
from crocevia.interventions.models import Intervention, InterventionType
from crocevia.interventions.services import intervention_add, intervention_end, intervention_start
from crocevia.plans.services import plan_get_or_create
from crocevia.programmes.selectors import actions_with_spending, programme_total
from crocevia.testing import days_ago, make_case, other_zone_cast

from .helpers import make_action, make_programme, spend

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NOW_START, NOW_END = TODAY - datetime.timedelta(days=200), TODAY + datetime.timedelta(days=300)


def _programme(actors, code="FP-NOW", **kwargs):
    return make_programme(actors, code=code, start=NOW_START, end=NOW_END, **kwargs)


def _case(actors):
    case = make_case(actors, stage=Stage.PLAN_SIGNED)
    plan_get_or_create(actor=actors.social_worker, case=case)
    return case


def _add(actor, case, action, cost="400.00", **kwargs):
    return intervention_add(
        actor=actor,
        case=case,
        type=InterventionType.objects.get(code="tirocinio"),
        provider=case.organisation,
        cost=Decimal(cost) if cost is not None else None,
        funding_action=action,
        **kwargs,
    )


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


def test_the_form_offers_the_actions_of_the_programmes_in_force_of_the_cases_organisations(
    actors,
):
    case = _case(actors)
    current = _programme(actors)
    a1 = make_action(actors, current, code="A.1")
    ended = make_programme(actors, code="OLD")  # 2019-2020: over
    make_action(actors, ended, code="B.1")
    other = other_zone_cast(actors)
    make_action(other, _programme(other, code="ALTROVE", partners=[]), code="C.1")
    choices = funding().choices(case)
    assert choices == [(f"FP-NOW – {current.name}", [(a1.pk, "A.1 – Azione A.1")])]


def test_committed_while_planned_or_in_progress_then_spent_once_ended(actors):
    case = _case(actors)
    action = make_action(actors, _programme(actors), amount="1000.00")
    first = _add(actors.social_worker, case, action, cost="400.00")
    second = _add(actors.social_worker, case, action, cost="250.00")
    [line] = [a.line for a in actions_with_spending(action.programme)]
    assert (line.spent, line.committed, line.remaining) == (
        Decimal("0.00"),
        Decimal("650.00"),
        Decimal("350.00"),
    )
    intervention_start(actor=actors.social_worker, intervention=first, on=days_ago(3))
    intervention_end(
        actor=actors.social_worker, intervention=first, on=days_ago(1), status="interrupted"
    )
    spend(actors.coordinator, action, "100.00", on=TODAY)
    total = programme_total(action.programme)
    assert (total.spent, total.committed, total.remaining) == (
        Decimal("500.00"),
        Decimal("250.00"),
        Decimal("250.00"),
    )
    assert second.funding_action_id == action.pk


def test_an_intervention_over_the_remaining_budget_is_refused_to_the_social_worker(actors):
    case = _case(actors)
    action = make_action(actors, _programme(actors), amount="1000.00")
    spend(actors.coordinator, action, "700.00", on=TODAY)
    with pytest.raises(ValidationError) as refused:
        _add(actors.social_worker, case, action, cost="400.00")
    assert set(_errors(refused)) == {"cost"}
    assert "300,00" in _errors(refused)["cost"][0]
    assert not Intervention.objects.filter(case=case).exists()


def test_a_coordinator_adds_it_over_budget_only_with_a_justification_audited(actors):
    case = _case(actors)
    action = make_action(actors, _programme(actors), amount="1000.00")
    _add(actors.social_worker, case, action, cost="900.00")
    with pytest.raises(ValidationError) as refused:
        _add(actors.coordinator, case, action, cost="400.00")
    assert set(_errors(refused)) == {"over_budget_justification"}
    why = "Delibera di giunta n. 12: integrazione del budget in arrivo."
    over = _add(actors.coordinator, case, action, cost="400.00", over_budget_justification=why)
    assert over.over_budget_justification == why
    event = AuditEvent.objects.get(action=AuditAction.INTERVENTION_ADD_OVER_BUDGET)
    assert event.object_id == str(over.pk) and event.note == why
    assert actions_with_spending(action.programme)[0].line.over_budget


def test_a_committed_intervention_holds_its_cost_against_expenditures_too(actors):
    case = _case(actors)
    action = make_action(actors, _programme(actors), amount="1000.00")
    _add(actors.social_worker, case, action, cost="800.00")
    with pytest.raises(ValidationError) as refused:
        spend(actors.coordinator, action, "300.00", on=TODAY)
    assert "over_budget_justification" in _errors(refused)


def test_an_action_the_case_cannot_use_or_outside_the_period_is_refused(actors):
    case = _case(actors)
    other = other_zone_cast(actors)
    foreign = make_action(other, _programme(other, code="ALTROVE", partners=[]))
    with pytest.raises(ValidationError) as refused:
        _add(actors.social_worker, case, foreign)
    assert set(_errors(refused)) == {"funding_action"}
    ours = make_action(actors, _programme(actors))
    with pytest.raises(ValidationError) as refused:
        _add(actors.social_worker, case, ours, starts_on=NOW_END + datetime.timedelta(days=1))
    assert set(_errors(refused)) == {"funding_action"}
    with pytest.raises(ValidationError) as refused:
        _add(actors.social_worker, case, ours, cost=None)
    assert set(_errors(refused)) == {"cost"}
    assert not Intervention.objects.filter(case=case).exists()


def test_a_planned_intervention_of_a_closed_case_commits_nothing(actors):
    case = _case(actors)
    action = make_action(actors, _programme(actors), amount="1000.00")
    _add(actors.social_worker, case, action, cost="600.00")
    case_close(
        actor=actors.social_worker,
        case=case,
        on=TODAY,
        outcome="moved_away",
        open_items_reason="Trasferita: il tirocinio non partirà.",
    )
    assert actions_with_spending(action.programme)[0].line.committed == Decimal("0.00")


def test_the_intervention_form_chooses_the_action_and_the_pages_show_it(actors, login):
    case = _case(actors)
    programme = _programme(actors)
    action = make_action(actors, programme, code="A.1", amount="1000.00")
    client = login(actors.social_worker)
    url = reverse("interventions:create", args=[case.pk])
    page = client.get(url).content.decode()
    assert f'<optgroup label="FP-NOW – {programme.name}' in page
    assert f'<option value="{action.pk}">A.1 – Azione A.1</option>' in page
    data = {
        "type": InterventionType.objects.get(code="tirocinio").pk,
        "provider": actors.cpi.pk,
        "cost": "1200",
        "funding_action": action.pk,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert 'id="cost-error"' in response.content.decode()
    assert 'name="over_budget_justification"' not in response.content.decode()
    response = client.post(url, {**data, "cost": "300"})
    assert response.status_code == 302
    case_page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "FP-NOW A.1" in case_page
    programme_page = login(actors.coordinator).get(
        reverse("programmes:detail", args=[programme.pk])
    )
    html = programme_page.content.decode()
    assert 'data-col="committed">300,00' in html.replace("\xa0", " ").replace("€ ", "")


def test_a_coordinator_gets_the_justification_field_when_over_budget(actors, login):
    case = _case(actors)
    action = make_action(actors, _programme(actors), amount="1000.00")
    client = login(actors.coordinator)
    url = reverse("interventions:create", args=[case.pk])
    data = {
        "type": InterventionType.objects.get(code="tirocinio").pk,
        "provider": actors.cpi.pk,
        "cost": "1200",
        "funding_action": action.pk,
    }
    response = client.post(url, data)
    assert 'id="over_budget_justification-error"' in response.content.decode()
    response = client.post(url, {**data, "over_budget_justification": "Integrazione deliberata"})
    assert response.status_code == 302


def test_the_migration_matches_free_text_only_when_one_action_fits():
    migration = importlib.import_module("crocevia.interventions.migrations.0005_match_funding_text")
    teams = SimpleNamespace(code="FAMI-TEAMS", name="TEAMS")
    poverty = SimpleNamespace(code="FP-QS-2024", name="Fondo Povertà – Quota servizi")
    a1 = SimpleNamespace(code="A.1", title="Tirocini di inclusione sociale", programme=teams)
    a2 = SimpleNamespace(code="A.2", title="Mediazione culturale", programme=teams)
    b1 = SimpleNamespace(code="A.1", title="Servizio sociale professionale", programme=poverty)
    keyed = [
        (a1, migration._keys(a1, teams, 2)),
        (a2, migration._keys(a2, teams, 2)),
        (b1, migration._keys(b1, poverty, 1)),
    ]
    assert migration._match("tirocini di inclusione  sociale", keyed) is a1
    assert migration._match("FAMI-TEAMS A.2", keyed) is a2
    assert migration._match("Fondo Poverta - Quota servizi", keyed) is b1  # its one action
    assert migration._match("TEAMS", keyed) is None  # two actions: ambiguous, text kept
    assert migration._match("A.1", keyed) is None  # a code in two programmes
    assert migration._match("PON Inclusione", keyed) is None
