"""`crocevia demo`: households' income-support applications in every status, with their
reasons, follow-ups and cases, so that the report's income-support section and the
follow-up queue have something to show."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.benefits.models import NEGATIVE_STATUSES, BenefitApplication, FollowUp, Status
from crocevia.benefits.selectors import applications_to_follow_up
from crocevia.cases.models import Case, Origin
from crocevia.demo.benefits import PLAN, BenefitPlanner
from crocevia.demo.management.commands.demo import DEFAULT_PERSONS, PlanBuilder

from .test_demo import SMALL, SMALL_CASES, run_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_plan_has_every_status_and_step_within_its_first_eight_applications():
    first = PLAN[:8]
    assert {status for status, _then in first} == set(Status.values)
    assert {then for _status, then in first} >= {"project", "followed", "case", ""}
    # The default demo has households for the whole plan.
    today = timezone.localdate()
    units = PlanBuilder(DEFAULT_PERSONS, today).build()
    specs = BenefitPlanner(units, today, taken=set()).build()
    assert len(specs) == len(PLAN)
    for spec in specs:
        assert spec.submitted_on <= today
        if spec.outcome_on:
            assert spec.submitted_on <= spec.outcome_on < today
        if spec.followed_on:
            assert spec.outcome_on <= spec.followed_on <= today
        if spec.preassessed_on:
            assert spec.outcome_on <= spec.preassessed_on <= today


def test_the_demo_has_applications_in_every_status_with_follow_ups_and_cases(django_user_model):
    output = run_demo(persons=SMALL, cases=SMALL_CASES)
    assert "Income-support applications:" in output
    applications = BenefitApplication.objects.select_related("comune__zone", "household")
    assert {a.status for a in applications} == set(Status.values)
    assert {a.comune.zone.code for a in applications} == {"ZPI"}
    for application in applications:
        assert application.applicant.household_id == application.household_id
        if application.status in NEGATIVE_STATUSES:
            assert application.outcome_reason, application
    # Negative outcomes, some followed up, some waiting in the queue.
    followed = FollowUp.objects.values_list("application_id", flat=True)
    assert followed
    social_worker = django_user_model.objects.get(username="assistente")
    assert applications_to_follow_up(social_worker).exists()
    # Accepted applications, with and without a case; the cases pre-assessed count from
    # the outcome.
    accepted = applications.filter(status=Status.ACCEPTED)
    cases = Case.objects.filter(origin=Origin.BENEFIT)
    assert cases.exists()
    assert accepted.exclude(cases__isnull=False).exists()
    for case in cases.filter(preassessed_on__isnull=False):
        assert case.benefit_outcome_on == case.benefit_application.outcome_on
        assert case.preassessed_on >= case.benefit_outcome_on
    assert cases.filter(preassessed_on__isnull=False).exists()
    # Written through the services, audited as the demo's operators.
    events = AuditEvent.objects.filter(object_type="benefits.benefitapplication")
    assert events.filter(action=AuditAction.BENEFIT_APPLICATION_RECORD_OUTCOME).exists()
    assert events.filter(
        action=AuditAction.BENEFIT_APPLICATION_FOLLOW_UP, actor=social_worker
    ).exists()
    # A second run adds nothing.
    counts = (BenefitApplication.objects.count(), FollowUp.objects.count(), cases.count())
    run_demo(persons=SMALL, cases=SMALL_CASES)
    assert (BenefitApplication.objects.count(), FollowUp.objects.count(), cases.count()) == counts


def test_the_reports_income_support_section_is_not_empty_in_the_demo():
    run_demo(persons=SMALL, cases=SMALL_CASES)
    today = timezone.localdate()
    out = StringIO()
    call_command(
        "report",
        "--from",
        (today - datetime.timedelta(days=365)).isoformat(),
        "--to",
        today.isoformat(),
        "--format",
        "json",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    values = report.get("indicators", report)
    by_comune = values["benefit.applications_by_comune"]["TOTAL"]
    assert all(by_comune[status] for status in Status.values), by_comune
    assert values["benefit.households_accepted"] > 0
    assert values["benefit.pct_preassessed"] > 0
    assert values["benefit.wd_outcome_to_preassessment"]["n"] > 0
    assert values["benefit.pct_with_project"] > 0
