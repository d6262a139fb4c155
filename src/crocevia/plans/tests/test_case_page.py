"""The three sections of this part on the case page: present, and O(1) in queries."""

import decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crocevia.assessments.services import assessment_record
from crocevia.assessments.tests.factories import scores
from crocevia.cases.models import Stage
from crocevia.interventions.models import InterventionType
from crocevia.interventions.services import intervention_add, intervention_start
from crocevia.plans.services import plan_draft_save, plan_get_or_create, plan_sign
from crocevia.testing import days_ago, make_case, validate_plan

pytestmark = pytest.mark.django_db


def _full_case(actors, size: int):
    sw = actors.social_worker
    case = make_case(actors, stage=Stage.TEAM_FORMED)
    assessment_record(
        actor=sw,
        case=case,
        phase="entry",
        assessed_on=days_ago(35),
        scores=scores(2, health=(2, "Nota sanitaria riservata")),
    )
    for n in range(size - 1):
        case.refresh_from_db()
        assessment_record(
            actor=sw, case=case, phase="in_itinere", assessed_on=days_ago(34 - n), scores=scores(3)
        )
    case.refresh_from_db()
    plan = plan_get_or_create(actor=sw, case=case)
    revision = 1
    for n in range(size):
        version = plan_draft_save(
            actor=sw,
            plan=plan,
            expected_revision=revision,
            person_commitments="p",
            service_commitments="s",
            objectives=[{"dimension": "work", "text": f"Obiettivo {k}"} for k in range(size)],
            actions=[
                {
                    "description": f"Azione {k}",
                    "responsible_user": sw,
                    "responsible_organisation": actors.cpi,
                    "due_on": None,
                    "objective": 1,
                }
                for k in range(size)
            ],
        )
        validate_plan(actors, plan, on=days_ago(21))
        plan_sign(
            actor=sw,
            version=version,
            signed_on=days_ago(20 - n),
            operators=[sw, actors.cpi_consultant],
        )
        revision = version.revision + 1
    types = list(InterventionType.objects.all()[:size])
    for t in types:
        i = intervention_add(
            actor=sw,
            case=case,
            type=t,
            provider=actors.cpi,
            hours=decimal.Decimal(10),
            cost=decimal.Decimal(100),
        )
        intervention_start(actor=sw, intervention=i, on=days_ago(5))
    case.refresh_from_db()
    return case


def _count(client, case):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_case_page_shows_the_sections_in_constant_queries(actors, login):
    small = _full_case(actors, 1)
    large = _full_case(actors, 5)
    client = login(actors.cpi_consultant)
    n_small, _html = _count(client, small)
    n_large, html = _count(client, large)
    assert n_small == n_large
    assert 'id="assessments-section"' in html and '<svg role="img"' in html
    assert 'id="plan-section"' in html and "Obiettivo 4" in html
    assert 'id="interventions-section"' in html
    assert "Nota sanitaria riservata" not in html  # the CPI consultant reads no health notes
