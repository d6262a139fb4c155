"""Importing cases from parsed rows: the same workflow, errors named by the row's keys.

The interchange (kind `cases`) reads the file, checks each cell and resolves the codes;
its tests (interchange/tests/test_benefits_and_cases.py) name the file's errors. Here the
rows are what it hands over: dates, codes, and the records the codes name.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.benefits.models import BenefitApplication
from crocevia.benefits.opening import audit_benefit_link, case_open_from_benefit
from crocevia.benefits.services import application_case_errors
from crocevia.benefits.tests.factories import make_application, make_household
from crocevia.cases.models import Case, Origin, Stage
from crocevia.cases.services import (
    ApplicationLink,
    case_import,
    cases_import_bulk,
)
from crocevia.core.errors import RowsRefused
from crocevia.network.models import Organisation
from crocevia.people.selectors import persons_by_external_id
from crocevia.testing import days_ago, make_member

pytestmark = pytest.mark.django_db

DAYS = {
    "referred_on": 100,
    "preassessed_on": 90,
    "team_formed_on": 80,
    "assessed_on": 70,
    "plan_signed_on": 60,
    "plan_started_on": 50,
    "closed_on": 40,
}
ORDER = list(DAYS)


def complex_row(**overrides) -> dict:
    """A row; person, organisation and benefit_application by their codes (parsed())."""
    row = {
        "external_id": "C1",
        "person": "P1",
        "organisation": "SDS-PI",
        "referred_on": days_ago(DAYS["referred_on"]),
        "benefit_application": "",
        "preassessed_on": days_ago(DAYS["preassessed_on"]),
        "need_class": "complex",
        "team_formed_on": days_ago(DAYS["team_formed_on"]),
        "assessed_on": days_ago(DAYS["assessed_on"]),
        "plan_kind": "inclusion_project",
        "plan_signed_on": days_ago(DAYS["plan_signed_on"]),
        "plan_started_on": days_ago(DAYS["plan_started_on"]),
        "closed_on": days_ago(DAYS["closed_on"]),
        "outcome": "employed",
        "area": "",
    }
    row.update(overrides)
    return row


def work_row(**overrides) -> dict:
    values = {
        "need_class": "work",
        "team_formed_on": None,
        "assessed_on": None,
        "plan_kind": "service_pact",
    }
    values.update(overrides)
    return complex_row(**values)


def parsed(row: dict) -> dict:
    """The row as the interchange hands it over: the records its codes name, an empty
    date None."""
    application = row["benefit_application"]
    return {
        **{key: None if key in DAYS and value == "" else value for key, value in row.items()},
        "person": persons_by_external_id([row["person"]])[row["person"]],
        "organisation": Organisation.objects.get(code=row["organisation"]),
        "benefit_application": (
            BenefitApplication.objects.select_related("household").get(external_id=application)
            if application
            else None
        ),
    }


# The benefits app's rules for a case opened from an application (as the interchange's).
LINK = ApplicationLink(errors=application_case_errors, opened=audit_benefit_link)


def import_case(actor, row) -> Case:
    return case_import(actor=actor, row=parsed(row), application_link=LINK)


def import_cases(rows, actor, *, dry_run=False):
    """cases_import_bulk on parsed rows; with `dry_run`, on a write that is rolled back."""
    rows = [parsed(row) for row in rows]
    with transaction.atomic():
        result = cases_import_bulk(actor=actor, rows=rows, application_link=LINK)
        transaction.set_rollback(dry_run)
    return result


@pytest.fixture
def person(actors):
    _household, person = make_household(actors)
    return person


COORDINATOR = object()


def import_errors(actors, row, actor=COORDINATOR) -> dict:
    cases, events = Case.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        import_case(actors.coordinator if actor is COORDINATOR else actor, row)
    # All or nothing: a refused row leaves no case and no audit event behind.
    assert (Case.objects.count(), AuditEvent.objects.count()) == (cases, events)
    return error.value.message_dict


# --- a good row -----------------------------------------------------------------------------


def test_complex_row_walks_the_whole_pathway(actors, person):
    case = import_case(actors.coordinator, complex_row())
    assert case.external_id == "C1"
    assert case.origin == Origin.IMPORT
    assert case.stage == Stage.CLOSED
    assert case.outcome == "employed"
    for milestone, days in DAYS.items():
        assert getattr(case, milestone) == days_ago(days)
    events = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
    # The stage a transition moved the case to is in its changes, not in its action.
    steps = [
        (e.action, e.changes["stage"][1] if e.action == AuditAction.CASE_TRANSITION else None)
        for e in events.order_by("pk")
    ]
    assert steps == [
        (AuditAction.CASE_CREATE, None),
        (AuditAction.CASE_TRANSITION, "preassessed"),
        (AuditAction.CASE_TRANSITION, "team_formed"),
        (AuditAction.CASE_TRANSITION, "assessed"),
        (AuditAction.CASE_TRANSITION, "plan_signed"),
        (AuditAction.CASE_TRANSITION, "in_progress"),
        (AuditAction.CASE_TRANSITION, "closed"),
    ]


def test_team_formation_leaves_the_case_manager_to_be_appointed_even_by_a_coordinator(
    actors, person
):
    # The register does not say who managed the case: no stand-in, not even the importer.
    case = import_case(actors.coordinator, complex_row(closed_on="", outcome=""))
    assert case.stage == Stage.IN_PROGRESS and case.team_formed_on == days_ago(80)
    assert case.case_manager is None and case.case_manager_to_appoint
    assert not AuditEvent.objects.filter(
        object_id=str(case.pk), action=AuditAction.CASE_SET_MANAGER
    ).exists()


def test_the_bulk_import_counts_the_open_cases_whose_case_manager_is_to_be_appointed(
    actors, person
):
    rows = [
        complex_row(external_id="C1", closed_on="", outcome=""),
        # The person's earlier case, closed: nobody appoints a manager to a closed case.
        complex_row(
            external_id="C2",
            referred_on=days_ago(200),
            preassessed_on=days_ago(199),
            team_formed_on=days_ago(198),
            assessed_on=days_ago(197),
            plan_signed_on=days_ago(196),
            plan_started_on=days_ago(195),
            closed_on=days_ago(194),
        ),
    ]
    checked = import_cases(rows, None, dry_run=True)
    assert checked.managers_to_appoint == 1  # C1; C2 is closed
    assert not Case.objects.exists()
    result = import_cases(rows, None)
    assert (result.created, result.managers_to_appoint) == (2, 1)
    closed = Case.objects.get(external_id="C2")
    assert closed.case_manager_not_named and not closed.case_manager_to_appoint
    again = import_cases(rows, None)
    assert (again.unchanged, again.managers_to_appoint) == (2, 1)  # still waiting


def test_work_row_reaches_its_service_pact_without_a_case_manager(actors, person):
    case = import_case(actors.coordinator, work_row(closed_on="", outcome=""))
    assert case.stage == Stage.IN_PROGRESS
    assert case.plan_kind == "service_pact"
    assert case.case_manager is None and not case.case_manager_to_appoint


def test_row_with_only_a_referral_opens_a_referred_case(actors, person):
    row = complex_row(**dict.fromkeys(ORDER[1:], None), need_class="", plan_kind="", outcome="")
    case = import_case(actors.coordinator, row)
    assert case.stage == Stage.REFERRED


# --- idempotency and updates ----------------------------------------------------------------


def test_the_same_row_twice_changes_nothing(actors, person):
    first = import_case(actors.coordinator, complex_row())
    events = AuditEvent.objects.count()
    again = import_case(actors.coordinator, complex_row())
    assert again.pk == first.pk
    assert again.version == first.version
    assert AuditEvent.objects.count() == events


def test_a_row_with_later_milestones_moves_the_case_forward(actors, person):
    import_case(
        actors.coordinator,
        work_row(plan_signed_on="", plan_kind="", plan_started_on="", closed_on="", outcome=""),
    )
    case = import_case(actors.coordinator, work_row())
    assert case.stage == Stage.CLOSED
    assert case.plan_signed_on == days_ago(DAYS["plan_signed_on"])
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("referred_on", days_ago(101)),
        ("preassessed_on", days_ago(91)),
        ("preassessed_on", ""),
        ("need_class", "social"),
        ("person", "P2"),
        ("organisation", "CPI-PI"),
    ],
    ids=[
        "earlier-referral",
        "other-preassessment",
        "removed-preassessment",
        "need",
        "person",
        "org",
    ],
)
def test_a_row_cannot_rewrite_what_an_existing_case_records(actors, person, column, value):
    import_case(actors.coordinator, work_row(closed_on="", outcome=""))
    overrides = {column: value}
    if column == "need_class":
        overrides["plan_kind"] = "social_project"
    row = work_row(closed_on="", outcome="", **overrides)
    if column == "preassessed_on" and value == "":
        row.update(need_class="", plan_kind="", plan_signed_on="", plan_started_on="")
    if column == "person":
        make_household(actors, person_id="P2", household_id="H2")
    errors = import_errors(actors, row)
    assert column in errors


def test_a_closed_case_takes_no_new_milestone(actors, person):
    import_case(
        actors.coordinator,
        work_row(plan_signed_on="", plan_kind="", plan_started_on=""),
    )
    errors = import_errors(actors, work_row())
    assert "plan_signed_on" in errors


# --- every rule of the pathway, named by column ---------------------------------------------


def test_future_date_is_refused_on_its_column(actors, person):
    errors = import_errors(actors, work_row(closed_on=days_ago(-1)))
    assert list(errors) == ["closed_on"]


def test_future_referral_is_refused_on_its_column(actors, person):
    errors = import_errors(actors, work_row(referred_on=days_ago(-1)))
    assert "referred_on" in errors


@pytest.mark.parametrize("milestone", ORDER[1:], ids=ORDER[1:])
def test_milestone_before_the_one_before_it_is_refused_on_its_column(actors, person, milestone):
    previous = ORDER[ORDER.index(milestone) - 1]
    errors = import_errors(actors, complex_row(**{milestone: days_ago(DAYS[previous] + 1)}))
    assert list(errors) == [milestone]


def test_complex_case_with_plan_signed_but_no_assessment_names_assessed_on(actors, person):
    errors = import_errors(actors, complex_row(assessed_on=""))
    assert list(errors) == ["assessed_on"]


def test_complex_case_assessed_without_a_team_names_team_formed_on(actors, person):
    errors = import_errors(actors, complex_row(team_formed_on=""))
    assert list(errors) == ["team_formed_on"]


def test_team_or_assessment_of_a_case_without_complex_needs_is_refused(actors, person):
    errors = import_errors(actors, work_row(team_formed_on=days_ago(80), assessed_on=days_ago(70)))
    assert set(errors) == {"team_formed_on", "assessed_on"}


def test_plan_kind_without_plan_signed_on_names_plan_signed_on(actors, person):
    errors = import_errors(
        actors, work_row(plan_signed_on="", plan_started_on="", closed_on="", outcome="")
    )
    assert list(errors) == ["plan_signed_on"]


def test_plan_signed_without_plan_kind_names_plan_kind(actors, person):
    errors = import_errors(actors, work_row(plan_kind=""))
    assert list(errors) == ["plan_kind"]


def test_plan_kind_must_match_the_need_class(actors, person):
    errors = import_errors(actors, work_row(plan_kind="social_project"))
    assert list(errors) == ["plan_kind"]


def test_plan_start_without_signature_names_plan_signed_on(actors, person):
    errors = import_errors(actors, work_row(plan_signed_on="", plan_kind=""))
    assert list(errors) == ["plan_signed_on"]


def test_outcome_without_closed_on_names_closed_on(actors, person):
    errors = import_errors(actors, work_row(closed_on=""))
    assert list(errors) == ["closed_on"]


def test_closed_on_without_outcome_names_outcome(actors, person):
    errors = import_errors(actors, work_row(outcome=""))
    assert list(errors) == ["outcome"]


def test_need_class_without_preassessment_names_preassessed_on(actors, person):
    errors = import_errors(
        actors,
        work_row(preassessed_on="", plan_kind="", plan_signed_on="", plan_started_on=""),
    )
    assert list(errors) == ["preassessed_on"]


def test_preassessment_without_need_class_names_need_class(actors, person):
    errors = import_errors(
        actors,
        work_row(need_class="", plan_kind="", plan_signed_on="", plan_started_on=""),
    )
    assert list(errors) == ["need_class"]


def test_coordinator_of_another_zone_cannot_import_into_this_one(actors, person):
    other = make_member("coord-li", actors.other_org, "coordinator")
    errors = import_errors(actors, work_row(), actor=other)
    assert list(errors) == ["organisation"]


def test_person_with_an_open_case_is_named_on_person(actors, person):
    import_case(actors.coordinator, work_row(closed_on="", outcome=""))
    errors = import_errors(actors, work_row(external_id="C2"))
    assert "person" in errors


# --- cases from income-support applications -------------------------------------------------


def test_row_with_an_accepted_application_carries_its_outcome_as_milestone(actors, person):
    application = make_application(
        actors,
        household=person.household,
        applicant=person,
        submitted_on=days_ago(110),
        outcome_on=days_ago(95),
    )
    case = import_case(actors.coordinator, work_row(benefit_application=application.external_id))
    assert case.origin == Origin.BENEFIT
    assert case.benefit_application == application
    assert case.benefit_outcome_on == days_ago(95)
    assert case.household == person.household
    assert AuditEvent.objects.filter(
        object_id=str(case.pk), action=AuditAction.CASE_LINK_BENEFIT
    ).exists()


def test_preassessment_before_the_inps_outcome_names_preassessed_on(actors, person):
    make_application(
        actors,
        household=person.household,
        applicant=person,
        submitted_on=days_ago(110),
        outcome_on=days_ago(85),
    )
    errors = import_errors(actors, work_row(benefit_application="INPS-1"))
    assert list(errors) == ["preassessed_on"]


def test_referral_outside_the_application_dates_names_referred_on(actors, person):
    make_application(
        actors,
        household=person.household,
        applicant=person,
        submitted_on=days_ago(99),
        outcome_on=days_ago(95),
    )
    errors = import_errors(actors, work_row(benefit_application="INPS-1"))
    assert list(errors) == ["referred_on"]


def test_application_not_accepted_cannot_open_a_case(actors, person):
    make_application(
        actors,
        household=person.household,
        applicant=person,
        status="processing",
        outcome_on=None,
    )
    errors = import_errors(actors, work_row(benefit_application="INPS-1"))
    assert list(errors) == ["benefit_application"]


def test_case_opens_from_an_accepted_application(actors, person):
    application = make_application(actors, household=person.household, applicant=person)
    case = case_open_from_benefit(
        actor=actors.social_worker,
        application=application,
        organisation=actors.sds,
        referred_on=None,
    )
    assert case.origin == Origin.BENEFIT
    assert case.person == person
    assert case.referred_on == application.submitted_on
    assert case.benefit_outcome_on == application.outcome_on
    with pytest.raises(ValidationError):
        case_open_from_benefit(
            actor=actors.social_worker, application=application, organisation=actors.sds
        )


def test_case_from_an_application_is_preassessed_no_earlier_than_the_outcome(actors, person):
    from crocevia.cases.workflow import case_transition

    application = make_application(actors, household=person.household, applicant=person)
    case = case_open_from_benefit(
        actor=actors.social_worker, application=application, organisation=actors.sds
    )
    with pytest.raises(ValidationError) as error:
        case_transition(
            case=case,
            actor=actors.social_worker,
            to_stage=Stage.PREASSESSED,
            on=days_ago(80),
            need_class="social",
            area="other",
        )
    assert "preassessed_on" in error.value.message_dict


def test_only_an_accepted_application_opens_a_case(actors, person):
    application = make_application(
        actors, household=person.household, applicant=person, status="rejected"
    )
    with pytest.raises(ValidationError):
        case_open_from_benefit(
            actor=actors.social_worker, application=application, organisation=actors.sds
        )
    assert not Case.objects.exists()


def test_outsider_cannot_open_a_case_from_an_application(actors, person):
    application = make_application(actors, household=person.household, applicant=person)
    with pytest.raises(PermissionDenied):
        case_open_from_benefit(
            actor=actors.outsider, application=application, organisation=actors.sds
        )


# --- bulk -----------------------------------------------------------------------------------


def test_bulk_import_is_all_or_nothing_and_reports_every_bad_row(actors, person):
    rows = [
        work_row(external_id="C1"),
        work_row(external_id="C2", outcome=""),
        work_row(external_id="C3", plan_kind="social_project"),
    ]
    events = AuditEvent.objects.count()
    with pytest.raises(RowsRefused) as refused:
        import_cases(rows, actors.coordinator)
    assert {(index, key) for index, keys in refused.value.errors.items() for key in keys} == {
        (1, "outcome"),
        (2, "plan_kind"),
    }
    assert not Case.objects.exists()
    assert AuditEvent.objects.count() == events


def test_bulk_import_walks_a_persons_cases_in_referral_order(actors, person):
    later = work_row(
        external_id="C2",
        referred_on=days_ago(30),
        preassessed_on=days_ago(20),
        plan_signed_on=days_ago(10),
        plan_started_on=days_ago(5),
        closed_on="",
        outcome="",
    )
    rows = [later, work_row(external_id="C1")]
    result = import_cases(rows, actors.coordinator)
    assert result.created == 2
    assert Case.objects.get(external_id="C2").previous_case == Case.objects.get(external_id="C1")
    again = import_cases(rows, actors.coordinator)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


# --- imports by the system (the command line: no actor) -------------------------------------


def test_system_import_names_no_zone_coordinator_as_stand_in_case_manager(actors, person):
    case = import_case(None, complex_row(closed_on="", outcome=""))
    assert case.case_manager is None and case.case_manager_to_appoint
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_SET_MANAGER).exists()
    event = AuditEvent.objects.get(
        object_id=str(case.pk), action=AuditAction.CASE_TRANSITION, changes__stage__1="team_formed"
    )
    assert event.actor is None


def test_system_import_of_a_team_without_any_coordinator_loads_the_whole_pathway(actors, person):
    from crocevia.accounts.models import Membership

    Membership.objects.filter(profile="coordinator").update(active=False)
    case = import_case(None, complex_row())
    assert case.stage == Stage.CLOSED and case.case_manager is None
    for milestone, days in DAYS.items():
        assert getattr(case, milestone) == days_ago(days)


def test_a_historic_closure_is_imported_without_the_closure_checks(actors, person):
    # A register records the past (INTERCHANGE.md): its closure of a case whose plan was
    # signed goes through, with no final review and no reason asked (services.closure).
    case = import_case(actors.coordinator, complex_row())
    assert case.is_closed and case.plan_signed_on is not None
    assert not case.reviews.exists() and case.open_items_reason == ""
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_CLOSE_WITH_OPEN_ITEMS).exists()
