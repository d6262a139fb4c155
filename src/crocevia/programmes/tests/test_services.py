import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext, override

from crocevia.accounts.models import Profile
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases.models import Stage
from crocevia.programmes.models import Expenditure, Participation, Target
from crocevia.testing import OrganisationFactory, make_case, make_member, other_zone_cast

from .. import selectors, services
from .helpers import END, IN_PERIOD, START, make_action, make_programme, spend

pytestmark = pytest.mark.django_db


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


# Budget arithmetic ------------------------------------------------------------------------


def test_spent_and_remaining_are_exact_to_the_cent(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme, amount="1.00")
    for _ in range(10):
        spend(actors.coordinator, action, "0.10")
    [row] = selectors.actions_with_spending(programme)
    assert row.line.spent == Decimal("1.00")
    assert row.line.remaining == Decimal("0.00")
    assert row.line.pct == Decimal("100.0")


def test_point_one_plus_point_two_is_point_three(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme, amount="0.30")
    spend(actors.coordinator, action, "0.10")
    spend(actors.coordinator, action, "0.20")
    # Exactly the budget: allowed without a justification; one cent more is not.
    assert selectors.spent_of(action) == Decimal("0.30")
    with pytest.raises(ValidationError):
        spend(actors.coordinator, action, "0.01")


def test_totals_per_action_organisation_and_programme(actors):
    programme = make_programme(actors)
    a1 = make_action(actors, programme, code="a1", amount="91774.80")
    a3 = make_action(actors, programme, code="a3", amount="59860.08")
    li = make_action(actors, programme, code="li", amount="30000.00", organisation=actors.other_org)
    spend(actors.coordinator, a1, "22943.70")
    spend(actors.coordinator, a1, "0.05")
    spend(actors.coordinator, a3, "14965.02")
    spend(actors.coordinator, li, "7500.33")

    rows = {a.code: a.line for a in selectors.actions_with_spending(programme)}
    assert rows["a1"].spent == Decimal("22943.75")
    assert rows["a1"].remaining == Decimal("68831.05")
    assert rows["a1"].pct == Decimal("25.0")
    assert rows["a3"].remaining == Decimal("44895.06")

    by_org = {r.organisation.code: r for r in selectors.organisation_totals(programme)}
    assert by_org["SDS-PI"].line.budget == Decimal("151634.88")
    assert by_org["SDS-PI"].line.spent == Decimal("37908.77")
    assert by_org["SDS-PI"].role == Participation.Role.LEAD.label
    assert by_org["COM-LI"].line.remaining == Decimal("22499.67")

    total = selectors.programme_total(programme)
    assert total.budget == Decimal("181634.88")
    assert total.spent == Decimal("45409.10")
    assert total.remaining == Decimal("136225.78")


# Over budget -------------------------------------------------------------------------------


def test_expenditure_over_budget_is_refused_without_justification(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme, amount="100.00")
    spend(actors.coordinator, action, "60.00")
    with pytest.raises(ValidationError) as excinfo:
        spend(actors.coordinator, action, "40.01")
    with override("it"):
        assert _errors(excinfo)["over_budget_justification"] == [
            gettext(
                "This expenditure would take the action over its budget by %(excess)s "
                "(%(remaining)s remaining): explain why to record it."
            )
            % {"excess": "€ 0,01", "remaining": "€ 40,00"}
        ]
    assert Expenditure.objects.count() == 1


def test_coordinator_records_over_budget_with_a_justification_audited(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme, amount="100.00")
    expenditure = spend(
        actors.coordinator,
        action,
        "120.00",
        over_budget_justification="Rimodulazione approvata dalla Regione",
    )
    assert expenditure.over_budget_justification == "Rimodulazione approvata dalla Regione"
    event = AuditEvent.objects.get(action=AuditAction.EXPENDITURE_RECORD_OVER_BUDGET)
    assert event.object_id == str(expenditure.pk)
    assert event.note == "Rimodulazione approvata dalla Regione"
    [row] = selectors.actions_with_spending(programme)
    assert row.line.remaining == Decimal("-20.00")
    assert row.line.over_budget


def test_justification_is_not_kept_on_an_expenditure_within_budget(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme, amount="100.00")
    expenditure = spend(actors.coordinator, action, "10.00", over_budget_justification="x")
    assert expenditure.over_budget_justification == ""
    assert AuditEvent.objects.filter(action=AuditAction.EXPENDITURE_RECORD).count() == 1


def test_program_manager_cannot_override_the_budget(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme, amount="100.00")
    manager = make_member("pm", actors.sds, Profile.PROGRAM_MANAGER)
    spend(manager, action, "100.00")
    with pytest.raises(ValidationError) as excinfo:
        spend(manager, action, "5.00", over_budget_justification="Serve")
    assert "amount" in _errors(excinfo)
    assert selectors.spent_of(action) == Decimal("100.00")


def test_administrative_staff_record_only_on_their_organisations_actions(actors):
    programme = make_programme(actors)
    ours = make_action(actors, programme, code="a1")
    theirs = make_action(actors, programme, code="li", organisation=actors.other_org)
    clerk = make_member("amministrativa", actors.other_org, Profile.ADMINISTRATIVE)
    spend(clerk, theirs, "10.00")
    with pytest.raises(PermissionDenied):
        spend(clerk, ours, "10.00")


def test_social_worker_cannot_record_expenditure(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme)
    with pytest.raises(PermissionDenied):
        spend(actors.social_worker, action, "10.00")


# Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00"])
def test_zero_or_negative_expenditure_is_refused(actors, amount):
    programme = make_programme(actors)
    action = make_action(actors, programme)
    with pytest.raises(ValidationError) as excinfo:
        spend(actors.coordinator, action, amount)
    with override("it"):
        assert _errors(excinfo)["amount"] == [gettext("The amount must be greater than zero.")]


@pytest.mark.parametrize("amount", ["0", "-91774.80"])
def test_zero_or_negative_action_budget_is_refused(actors, amount):
    programme = make_programme(actors)
    with pytest.raises(ValidationError) as excinfo:
        make_action(actors, programme, amount=amount)
    assert _errors(excinfo)["amount"] == [gettext("The amount must be greater than zero.")]


def test_amount_with_fractions_of_a_cent_is_refused_not_rounded(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme)
    with pytest.raises(ValidationError) as excinfo:
        spend(actors.coordinator, action, "10.005")
    assert "amount" in _errors(excinfo)


@pytest.mark.parametrize("day", [START - datetime.timedelta(days=1), END + datetime.timedelta(1)])
def test_expenditure_outside_the_programme_period_is_refused(actors, day):
    programme = make_programme(actors)
    action = make_action(actors, programme)
    with pytest.raises(ValidationError) as excinfo:
        spend(actors.coordinator, action, "10.00", on=day)
    with override("it"):
        assert _errors(excinfo)["spent_on"] == [
            gettext("The date is outside the programme's period (%(start)s – %(end)s).")
            % {"start": "01/01/2019", "end": "31/12/2020"}
        ]


def test_expenditure_dated_in_the_future_is_refused(actors):
    today = timezone.localdate()
    programme = make_programme(
        actors, start=today - datetime.timedelta(days=30), end=today + datetime.timedelta(365)
    )
    action = make_action(actors, programme)
    with pytest.raises(ValidationError) as excinfo:
        spend(actors.coordinator, action, "10.00", on=today + datetime.timedelta(days=1))
    assert _errors(excinfo)["spent_on"] == [
        gettext("An expenditure cannot be dated in the future.")
    ]
    spend(actors.coordinator, action, "10.00", on=today)
    assert selectors.spent_of(action) == Decimal("10.00")


def test_expenditure_on_the_first_and_last_day_is_accepted(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme)
    spend(actors.coordinator, action, "1.00", on=START)
    spend(actors.coordinator, action, "1.00", on=END)
    assert selectors.spent_of(action) == Decimal("2.00")


def test_action_code_repeated_in_one_programme_is_refused(actors):
    programme = make_programme(actors)
    make_action(actors, programme, code="a1")
    with pytest.raises(ValidationError) as excinfo:
        make_action(actors, programme, code="A1")
    with override("it"):
        assert _errors(excinfo)["code"] == [
            gettext("The programme already has an action with code %(code)s.") % {"code": "A1"}
        ]


def test_same_action_code_in_another_programme_is_fine(actors):
    make_action(actors, make_programme(actors, code="P1"), code="a1")
    make_action(actors, make_programme(actors, code="P2"), code="a1")


def test_action_of_an_organisation_not_in_the_programme_is_refused(actors):
    programme = make_programme(actors, partners=[])
    with pytest.raises(ValidationError) as excinfo:
        make_action(actors, programme, organisation=actors.other_org)
    assert "responsible_organisation" in _errors(excinfo)


def test_planned_quarters_must_be_inside_the_period(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme, planned_quarters=["2019-Q3", "2019-Q1"])
    assert action.planned_quarters == ["2019-Q1", "2019-Q3"]
    with pytest.raises(ValidationError) as excinfo:
        make_action(actors, programme, code="a2", planned_quarters=["2018-Q4", "2019-Q1"])
    assert "2018-Q4" in _errors(excinfo)["planned_quarters"][0]


def test_programme_end_before_start_is_refused(actors):
    with pytest.raises(ValidationError) as excinfo:
        make_programme(actors, start=END, end=START)
    assert _errors(excinfo)["end_date"] == [gettext("The end date cannot precede the start date.")]


def test_target_on_an_organisation_not_in_the_programme_is_refused(actors):
    programme = make_programme(actors, partners=[])
    with pytest.raises(ValidationError) as excinfo:
        services.target_set(
            actor=actors.coordinator,
            programme=programme,
            organisation=actors.other_org,
            target_number=60,
        )
    with override("it"):
        assert _errors(excinfo)["organisation"] == [
            gettext("%(organisation)s does not take part in the programme: add it first.")
            % {"organisation": actors.other_org}
        ]


@pytest.mark.parametrize("number", [0, -3])
def test_target_must_be_positive(actors, number):
    programme = make_programme(actors)
    with pytest.raises(ValidationError) as excinfo:
        services.target_set(
            actor=actors.coordinator,
            programme=programme,
            organisation=actors.sds,
            target_number=number,
        )
    assert "target_number" in _errors(excinfo)


def test_setting_a_target_twice_changes_its_number(actors):
    programme = make_programme(actors)
    for number in (200, 205):
        services.target_set(
            actor=actors.coordinator,
            programme=programme,
            organisation=actors.sds,
            target_number=number,
        )
    assert Target.objects.get().target_number == 205
    assert AuditEvent.objects.filter(action=AuditAction.TARGET_UPDATE).count() == 1


def test_budget_cannot_drop_below_what_was_spent(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme, amount="100.00")
    spend(actors.coordinator, action, "80.00")
    with pytest.raises(ValidationError) as excinfo:
        services.action_update(
            actor=actors.coordinator,
            action=action,
            code="a1",
            title="Azione a1",
            responsible_organisation=actors.sds,
            amount=Decimal("79.99"),
        )
    assert "amount" in _errors(excinfo)


# Targets progress ---------------------------------------------------------------------------


def _target(actors, programme, organisation, number):
    return services.target_set(
        actor=actors.coordinator,
        programme=programme,
        organisation=organisation,
        target_number=number,
    )


def test_target_progress_counts_only_enrolled_cases(actors):
    programme = make_programme(actors)
    _target(actors, programme, actors.sds, 205)
    enrolled = [
        make_case(actors, stage=Stage.PREASSESSED, preassessed_on=IN_PERIOD) for _ in range(3)
    ]
    # Not enrolled: never counts.
    make_case(actors, stage=Stage.PREASSESSED, preassessed_on=IN_PERIOD)
    for case in enrolled:
        services.case_enrol(actor=actors.coordinator, programme=programme, case=case)
    [target] = selectors.target_progress(programme)
    assert target.achieved == 3
    assert target.pct == Decimal("1.5")


def test_target_progress_counts_persons_per_organisation_within_the_period(actors):
    programme = make_programme(actors)
    _target(actors, programme, actors.sds, 205)
    _target(actors, programme, actors.other_org, 60)
    # A person has one open case at a time: the first closes before the second opens.
    first = make_case(
        actors, stage=Stage.CLOSED, preassessed_on=IN_PERIOD, closed_on=datetime.date(2019, 12, 1)
    )
    # A second case of the same person counts once.
    second = make_case(
        actors,
        stage=Stage.PREASSESSED,
        person=first.person,
        preassessed_on=datetime.date(2020, 2, 1),
    )
    before = make_case(actors, stage=Stage.PREASSESSED, preassessed_on=datetime.date(2018, 12, 31))
    after = make_case(actors, stage=Stage.PREASSESSED, preassessed_on=datetime.date(2021, 1, 1))
    not_yet = make_case(actors)  # referred, not yet pre-assessed
    livorno_cast = other_zone_cast(actors)
    livorno = [
        make_case(livorno_cast, stage=Stage.PREASSESSED, preassessed_on=IN_PERIOD) for _ in range(2)
    ]
    for case in [first, second, before, after, not_yet, *livorno]:
        services.case_enrol(actor=actors.coordinator, programme=programme, case=case)
    progress = {t.organisation.code: t.achieved for t in selectors.target_progress(programme)}
    assert progress == {"SDS-PI": 1, "COM-LI": 2}


def test_a_case_enrolled_in_another_programme_does_not_count(actors):
    teams = make_programme(actors, code="TEAMS")
    other = make_programme(actors, code="INSERTO")
    _target(actors, teams, actors.sds, 10)
    services.case_enrol(
        actor=actors.coordinator,
        programme=other,
        case=make_case(actors, stage=Stage.PREASSESSED, preassessed_on=IN_PERIOD),
    )
    assert selectors.target_progress(teams)[0].achieved == 0
    assert selectors.target_progress(other) == []


def test_unenrolled_case_stops_counting(actors):
    programme = make_programme(actors)
    _target(actors, programme, actors.sds, 10)
    case = make_case(actors, stage=Stage.PREASSESSED, preassessed_on=IN_PERIOD)
    services.case_enrol(actor=actors.coordinator, programme=programme, case=case)
    services.case_unenrol(actor=actors.coordinator, programme=programme, case=case)
    assert selectors.target_progress(programme)[0].achieved == 0
    assert AuditEvent.objects.filter(action=AuditAction.PROGRAMME_UNENROL_CASE).count() == 1


def test_case_of_an_organisation_outside_the_programme_cannot_be_enrolled(actors):
    programme = make_programme(actors, partners=[])
    case = make_case(other_zone_cast(actors), stage=Stage.PREASSESSED, preassessed_on=IN_PERIOD)
    with pytest.raises(ValidationError):
        services.case_enrol(actor=actors.coordinator, programme=programme, case=case)


# Timeline ---------------------------------------------------------------------------------


def test_timeline_shows_planned_and_done_per_quarter(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme, planned_quarters=["2019-Q2", "2019-Q3"])
    spend(actors.coordinator, action, "5.00", on=datetime.date(2019, 8, 1))
    spend(actors.coordinator, action, "5.00", on=datetime.date(2020, 1, 15))
    actions = selectors.actions_with_spending(programme)
    quarters, [row] = selectors.timeline(programme, actions)
    assert quarters == [f"{y}-Q{q}" for y in (2019, 2020) for q in (1, 2, 3, 4)]
    cells = {c["quarter"]: (c["planned"], c["done"]) for c in row.cells}
    assert cells["2019-Q1"] == (False, False)
    assert cells["2019-Q2"] == (True, False)
    assert cells["2019-Q3"] == (True, True)
    assert cells["2020-Q1"] == (False, True)


# Who may create ---------------------------------------------------------------------------


def test_only_coordinators_create_programmes(actors):
    with pytest.raises(PermissionDenied):
        services.programme_create(
            actor=actors.social_worker,
            code="X",
            name="X",
            fund="other",
            start_date=START,
            end_date=END,
            lead_organisation=actors.sds,
        )


def test_coordinator_cannot_create_a_programme_entirely_outside_their_zones(actors):
    far = OrganisationFactory(code="SDS-FAR", zone=actors.other_zone)
    with pytest.raises(ValidationError) as excinfo:
        services.programme_create(
            actor=actors.coordinator,
            code="X",
            name="X",
            fund="other",
            start_date=START,
            end_date=END,
            lead_organisation=far,
        )
    assert "lead_organisation" in _errors(excinfo)


def test_coordinator_of_another_zone_cannot_change_the_programme(actors):
    programme = make_programme(actors, partners=[])
    other_coordinator = make_member("coord.li", actors.other_org, Profile.COORDINATOR)
    with pytest.raises(PermissionDenied):
        make_action(actors, programme)  # fine for the zone's coordinator
        services.action_create(
            actor=other_coordinator,
            programme=programme,
            code="z",
            title="z",
            responsible_organisation=actors.sds,
            amount=Decimal("1"),
        )


def test_large_amounts_keep_their_cents(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme, amount="999999999.99")
    spend(actors.coordinator, action, "999999999.98")
    spend(actors.coordinator, action, "0.01")
    [row] = selectors.actions_with_spending(programme)
    assert row.line.spent == Decimal("999999999.99")
    assert row.line.remaining == Decimal("0.00")
    assert selectors.programme_total(programme).spent == Decimal("999999999.99")


def _update(actors, programme, **changes):
    fields = {
        "code": programme.code,
        "name": programme.name,
        "fund": programme.fund,
        "start_date": programme.start_date,
        "end_date": programme.end_date,
        "lead_organisation": programme.lead_organisation,
        "partners": list(programme.organisations.exclude(pk=programme.lead_organisation_id)),
        **changes,
    }
    return services.programme_update(actor=actors.coordinator, programme=programme, **fields)


def test_a_coordinator_cannot_hand_a_programme_over_to_other_zones(actors):
    programme = make_programme(actors)  # SdS Pisana (their zone) leads, Livorno partners
    with pytest.raises(ValidationError) as excinfo:
        _update(actors, programme, lead_organisation=actors.other_org, partners=[])
    assert _errors(excinfo)["lead_organisation"] == [
        gettext("A participating organisation must be in a zone you coordinate.")
    ]
    programme.refresh_from_db()
    assert programme.lead_organisation == actors.sds


def test_programme_period_cannot_leave_out_recorded_expenditure(actors):
    programme = make_programme(actors)
    action = make_action(actors, programme)
    spend(actors.coordinator, action, "5.00", on=datetime.date(2019, 2, 1))
    with pytest.raises(ValidationError) as excinfo:
        _update(actors, programme, start_date=datetime.date(2019, 3, 1))
    assert "start_date" in _errors(excinfo)
    _update(actors, programme, end_date=datetime.date(2021, 6, 30), name="TEAMS prorogato")
    programme.refresh_from_db()
    assert programme.end_date == datetime.date(2021, 6, 30)
    event = AuditEvent.objects.get(action=AuditAction.PROGRAMME_UPDATE)
    assert event.changes["end_date"] == ["2020-12-31", "2021-06-30"]


def test_partner_responsible_for_an_action_cannot_leave_the_programme(actors):
    programme = make_programme(actors)
    make_action(actors, programme, code="li", organisation=actors.other_org)
    with pytest.raises(ValidationError) as excinfo:
        _update(actors, programme, partners=[])
    assert "partners" in _errors(excinfo)
    _update(actors, programme, partners=[actors.other_org, actors.cpi])
    roles = dict(programme.participations.values_list("organisation__code", "role"))
    assert roles == {"SDS-PI": "lead", "COM-LI": "partner", "CPI-PI": "partner"}
