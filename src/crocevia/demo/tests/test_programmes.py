import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from crocevia.audit.models import AuditEvent
from crocevia.cases.models import Stage
from crocevia.demo.programmes import CURRENT_CODE, POVERTY_CODE, TEAMS_CODE, seed_demo
from crocevia.network.models import Organisation
from crocevia.programmes.models import BudgetAction, Enrolment, Expenditure, Programme, Target
from crocevia.programmes.selectors import programme_total, target_progress
from crocevia.testing import OrganisationFactory, make_case

pytestmark = pytest.mark.django_db


def _counts():
    return [
        m.objects.count()
        for m in (Programme, BudgetAction, Expenditure, Target, Enrolment, Organisation, AuditEvent)
    ]


def test_demo_seeds_teams_and_the_pistoia_plan_once(actors):
    enrolled = make_case(actors, stage=Stage.PREASSESSED, preassessed_on=datetime.date(2019, 5, 2))
    seed_demo(coordinator=actors.coordinator, zone=actors.zone)
    first = _counts()
    seed_demo(coordinator=actors.coordinator, zone=actors.zone)
    assert _counts() == first

    teams = Programme.objects.get(code=TEAMS_CODE)
    assert teams.lead_organisation.code == "SDS-PI"
    assert set(teams.organisations.values_list("code", flat=True)) == {
        "SDS-PI",
        "COM-LIVORNO",
        "COESO-GR",
        "SDS-LUNIG",
    }
    sds_budget = teams.actions.filter(responsible_organisation__code="SDS-PI").aggregate(
        t=Sum("amount")
    )["t"]
    assert sds_budget == Decimal("64101.30")
    for code in ("COM-LIVORNO", "COESO-GR", "SDS-LUNIG"):
        partner = teams.actions.filter(responsible_organisation__code=code)
        assert partner.aggregate(t=Sum("amount"))["t"] == Decimal("30000.00")
    targets = {t.organisation.code: t for t in target_progress(teams)}
    assert {c: t.target_number for c, t in targets.items()} == {
        "SDS-PI": 205,
        "COM-LIVORNO": 60,
        "COESO-GR": 60,
        "SDS-LUNIG": 60,
    }
    assert targets["SDS-PI"].achieved == 1
    assert Enrolment.objects.filter(programme=teams, case=enrolled).exists()
    assert Organisation.objects.get(code="COESO-GR").zone.code == "ZGR"

    plan = Programme.objects.get(code=POVERTY_CODE)
    amounts = dict(plan.actions.values_list("code", "amount"))
    assert amounts["a1"] == Decimal("91774.80")
    assert amounts["a3"] == Decimal("59860.08")
    assert amounts["b4"] == Decimal("115724.16")
    assert sorted(amounts) == sorted(
        [
            "a1",
            "b1",
            "c1",
            "a2",
            "c2",
            "d2",
            "a3",
            "c3",
            "d3",
            "a4",
            "b4",
            "c4",
            "d4",
            "e4",
            "f4",
            "g4",
            "h4",
        ]
    )
    assert programme_total(plan).budget == Decimal("593945.52")
    assert plan.actions.get(code="c2").planned_quarters == ["2018-Q4", "2019-Q1"]
    assert plan.actions.get(code="a4").priority_code == "A.1.c.2"
    assert plan.lead_organisation.zone.code == "ZPT"


def test_demo_current_plan_counts_the_recent_cases_of_its_organisations(actors):

    OrganisationFactory(code="COM-PISA", name="Comune di Pisa", kind="comune", zone=actors.zone)
    recent = make_case(actors, stage=Stage.PREASSESSED, preassessed_on=datetime.date(2025, 9, 15))
    old = make_case(actors, stage=Stage.PREASSESSED, preassessed_on=datetime.date(2019, 5, 2))
    seed_demo(coordinator=actors.coordinator, zone=actors.zone)
    current = Programme.objects.get(code=CURRENT_CODE)
    assert Enrolment.objects.filter(programme=current, case=recent).exists()
    assert not Enrolment.objects.filter(programme=current, case=old).exists()
    targets = {t.organisation.code: t for t in target_progress(current)}
    assert targets[recent.organisation.code].achieved == 1
    assert programme_total(current).budget == Decimal("383750.50")
    # The seed's TEAMS took the old case only.
    teams = Programme.objects.get(code=TEAMS_CODE)
    assert list(Enrolment.objects.filter(programme=teams).values_list("case", flat=True)) == [
        old.pk
    ]
