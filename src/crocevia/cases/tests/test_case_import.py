"""Importing cases from interchange rows: the same workflow, errors named by column."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crocevia.audit.models import AuditEvent
from crocevia.benefits.tests.factories import make_application, make_household
from crocevia.cases.models import Case, Origin, Stage
from crocevia.cases.services import case_import, case_open_from_benefit, cases_import_bulk
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
    row = {
        "external_id": "C1",
        "person_external_id": "P1",
        "organisation_code": "SDS-PI",
        "referred_on": days_ago(DAYS["referred_on"]).isoformat(),
        "benefit_application_id": "",
        "preassessed_on": days_ago(DAYS["preassessed_on"]),
        "need_class": "complex",
        "team_formed_on": days_ago(DAYS["team_formed_on"]),
        "assessed_on": days_ago(DAYS["assessed_on"]),
        "plan_kind": "inclusion_project",
        "plan_signed_on": days_ago(DAYS["plan_signed_on"]),
        "plan_started_on": days_ago(DAYS["plan_started_on"]),
        "closed_on": days_ago(DAYS["closed_on"]),
        "outcome": "employed",
    }
    row.update(overrides)
    return row


def work_row(**overrides) -> dict:
    values = {
        "need_class": "work",
        "team_formed_on": "",
        "assessed_on": "",
        "plan_kind": "service_pact",
    }
    values.update(overrides)
    return complex_row(**values)


@pytest.fixture
def person(actors):
    _household, person = make_household(actors)
    return person


COORDINATOR = object()


def import_errors(actors, row, actor=COORDINATOR) -> dict:
    cases, events = Case.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        case_import(actor=actors.coordinator if actor is COORDINATOR else actor, row=row)
    # All or nothing: a refused row leaves no case and no audit event behind.
    assert (Case.objects.count(), AuditEvent.objects.count()) == (cases, events)
    return error.value.message_dict


# --- a good row -----------------------------------------------------------------------------


def test_complex_row_walks_the_whole_pathway(actors, person):
    case = case_import(actor=actors.coordinator, row=complex_row())
    assert case.external_id == "C1"
    assert case.origin == Origin.IMPORT
    assert case.stage == Stage.CLOSED
    assert case.outcome == "employed"
    for milestone, days in DAYS.items():
        assert getattr(case, milestone) == days_ago(days)
    actions = list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "create",
        "transition:preassessed",
        "transition:team_formed",
        "transition:assessed",
        "transition:plan_signed",
        "transition:in_progress",
        "transition:closed",
    ]


def test_team_formation_leaves_the_case_manager_to_be_appointed_even_by_a_coordinator(
    actors, person
):
    # The register does not say who managed the case: no stand-in, not even the importer.
    case = case_import(actor=actors.coordinator, row=complex_row(closed_on="", outcome=""))
    assert case.stage == Stage.IN_PROGRESS and case.team_formed_on == days_ago(80)
    assert case.case_manager is None and case.case_manager_to_appoint
    assert not AuditEvent.objects.filter(object_id=str(case.pk), action="set_manager").exists()


def test_the_bulk_import_counts_the_open_cases_whose_case_manager_is_to_be_appointed(
    actors, person
):
    rows = [
        complex_row(external_id="C1", closed_on="", outcome=""),
        # The person's earlier case, closed: nobody appoints a manager to a closed case.
        complex_row(
            external_id="C2",
            referred_on=days_ago(200).isoformat(),
            preassessed_on=days_ago(199),
            team_formed_on=days_ago(198),
            assessed_on=days_ago(197),
            plan_signed_on=days_ago(196),
            plan_started_on=days_ago(195),
            closed_on=days_ago(194),
        ),
    ]
    checked = cases_import_bulk(rows, None, dry_run=True)
    assert checked.ok and checked.managers_to_appoint == 1  # C1; C2 is closed
    assert not Case.objects.exists()
    result = cases_import_bulk(rows, None)
    assert (result.created, result.managers_to_appoint) == (2, 1)
    closed = Case.objects.get(external_id="C2")
    assert closed.case_manager_not_named and not closed.case_manager_to_appoint
    again = cases_import_bulk(rows, None)
    assert (again.unchanged, again.managers_to_appoint) == (2, 1)  # still waiting


def test_work_row_reaches_its_service_pact_without_a_case_manager(actors, person):
    case = case_import(actor=actors.coordinator, row=work_row(closed_on="", outcome=""))
    assert case.stage == Stage.IN_PROGRESS
    assert case.plan_kind == "service_pact"
    assert case.case_manager is None and not case.case_manager_to_appoint


def test_row_with_only_a_referral_opens_a_referred_case(actors, person):
    row = {k: v for k, v in complex_row().items() if k in ORDER[:1] or not k.endswith("_on")}
    row.update(need_class="", plan_kind="", outcome="")
    case = case_import(actor=actors.coordinator, row=row)
    assert case.stage == Stage.REFERRED


# --- idempotency and updates ----------------------------------------------------------------


def test_the_same_row_twice_changes_nothing(actors, person):
    first = case_import(actor=actors.coordinator, row=complex_row())
    events = AuditEvent.objects.count()
    again = case_import(actor=actors.coordinator, row=complex_row())
    assert again.pk == first.pk
    assert again.version == first.version
    assert AuditEvent.objects.count() == events


def test_a_row_with_later_milestones_moves_the_case_forward(actors, person):
    case_import(
        actor=actors.coordinator,
        row=work_row(plan_signed_on="", plan_kind="", plan_started_on="", closed_on="", outcome=""),
    )
    case = case_import(actor=actors.coordinator, row=work_row())
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
        ("person_external_id", "P2"),
        ("organisation_code", "CPI-PI"),
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
    case_import(actor=actors.coordinator, row=work_row(closed_on="", outcome=""))
    overrides = {column: value}
    if column == "need_class":
        overrides["plan_kind"] = "social_project"
    row = work_row(closed_on="", outcome="", **overrides)
    if column == "preassessed_on" and value == "":
        row.update(need_class="", plan_kind="", plan_signed_on="", plan_started_on="")
    if column == "person_external_id":
        make_household(actors, person_id="P2", household_id="H2")
    errors = import_errors(actors, row)
    assert column in errors


def test_a_closed_case_takes_no_new_milestone(actors, person):
    case_import(
        actor=actors.coordinator,
        row=work_row(plan_signed_on="", plan_kind="", plan_started_on=""),
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


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("need_class", "both"),
        ("plan_kind", "pact"),
        ("outcome", "happy"),
        ("preassessed_on", "31/02/2018"),
        ("external_id", ""),
        ("person_external_id", "NOBODY"),
        ("organisation_code", "NOWHERE"),
        ("benefit_application_id", "INPS-404"),
    ],
)
def test_bad_values_are_refused_on_their_column(actors, person, column, value):
    errors = import_errors(actors, work_row(**{column: value}))
    assert column in errors


def test_coordinator_of_another_zone_cannot_import_into_this_one(actors, person):
    other = make_member("coord-li", actors.other_org, "coordinator")
    errors = import_errors(actors, work_row(), actor=other)
    assert list(errors) == ["organisation_code"]


def test_person_with_an_open_case_is_named_on_person_external_id(actors, person):
    case_import(actor=actors.coordinator, row=work_row(closed_on="", outcome=""))
    errors = import_errors(actors, work_row(external_id="C2"))
    assert "person_external_id" in errors


# --- cases from income-support applications -------------------------------------------------


def test_row_with_an_accepted_application_carries_its_outcome_as_milestone(actors, person):
    application = make_application(
        actors,
        household=person.household,
        applicant=person,
        submitted_on=days_ago(110),
        outcome_on=days_ago(95),
    )
    case = case_import(
        actor=actors.coordinator, row=work_row(benefit_application_id=application.external_id)
    )
    assert case.origin == Origin.BENEFIT
    assert case.benefit_application == application
    assert case.benefit_outcome_on == days_ago(95)
    assert case.household == person.household
    assert AuditEvent.objects.filter(object_id=str(case.pk), action="benefit_link").exists()


def test_preassessment_before_the_inps_outcome_names_preassessed_on(actors, person):
    make_application(
        actors,
        household=person.household,
        applicant=person,
        submitted_on=days_ago(110),
        outcome_on=days_ago(85),
    )
    errors = import_errors(actors, work_row(benefit_application_id="INPS-1"))
    assert list(errors) == ["preassessed_on"]


def test_referral_outside_the_application_dates_names_referred_on(actors, person):
    make_application(
        actors,
        household=person.household,
        applicant=person,
        submitted_on=days_ago(99),
        outcome_on=days_ago(95),
    )
    errors = import_errors(actors, work_row(benefit_application_id="INPS-1"))
    assert list(errors) == ["referred_on"]


def test_application_not_accepted_cannot_open_a_case(actors, person):
    make_application(
        actors,
        household=person.household,
        applicant=person,
        status="processing",
        outcome_on=None,
    )
    errors = import_errors(actors, work_row(benefit_application_id="INPS-1"))
    assert list(errors) == ["benefit_application_id"]


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
        work_row(external_id="C1"),
    ]
    result = cases_import_bulk(rows, actors.coordinator)
    assert {(e.index, e.column) for e in result.errors} == {
        (1, "outcome"),
        (2, "plan_kind"),
        (3, "external_id"),
    }
    assert not Case.objects.exists()


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
    result = cases_import_bulk(rows, actors.coordinator)
    assert result.ok and result.created == 2
    assert Case.objects.get(external_id="C2").previous_case == Case.objects.get(external_id="C1")
    again = cases_import_bulk(rows, actors.coordinator)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_bulk_dry_run_writes_nothing(actors, person):
    result = cases_import_bulk([work_row()], actors.coordinator, dry_run=True)
    assert result.ok and result.created == 1
    assert not Case.objects.exists()


# --- imports by the system (the command line: no actor) -------------------------------------


def test_system_import_names_no_zone_coordinator_as_stand_in_case_manager(actors, person):
    case = case_import(actor=None, row=complex_row(closed_on="", outcome=""))
    assert case.case_manager is None and case.case_manager_to_appoint
    assert not AuditEvent.objects.filter(action="set_manager").exists()
    event = AuditEvent.objects.get(object_id=str(case.pk), action="transition:team_formed")
    assert event.actor is None


def test_system_import_of_a_team_without_any_coordinator_loads_the_whole_pathway(actors, person):
    from crocevia.accounts.models import Membership

    Membership.objects.filter(profile="coordinator").update(active=False)
    case = case_import(actor=None, row=complex_row())
    assert case.stage == Stage.CLOSED and case.case_manager is None
    for milestone, days in DAYS.items():
        assert getattr(case, milestone) == days_ago(days)
