"""The benefit_applications and cases kinds: good files, bad rows, idempotency, round trip."""

import pytest

from crocevia.accounts.models import Membership, Profile
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.tests.helpers import wipe_trail
from crocevia.benefits.models import BenefitApplication
from crocevia.cases.models import Case, Stage
from crocevia.interchange.engine import run_import
from crocevia.network.models import Comune, Desk, Organisation, Zone
from crocevia.people.models import Household, Person
from crocevia.testing import UserFactory

from .helpers import CONTACTS, NETWORK, PERSONS, export_text, load, load_all, write

pytestmark = pytest.mark.django_db

APPLICATIONS = (
    "external_id,household_id,applicant_external_id,comune_istat,measure,submitted_on,status,"
    "outcome_on\n"
    "INPS-1,H1,P1,050026,ADI,2024-01-10,accepted,2024-02-01\n"
    "INPS-2,H1,P2,050026,rdc,2019-04-01,lapsed,20/06/2019\n"
    "INPS-3,H1,P1,050008,REI,2024-03-01,processing,\n"
)
CASE_HEADER = (
    "external_id,person_external_id,organisation_code,referred_on,benefit_application_id,"
    "preassessed_on,need_class,team_formed_on,assessed_on,plan_kind,plan_signed_on,"
    "plan_started_on,closed_on,outcome,area"
)
CASES = (
    CASE_HEADER + "\n"
    "K1,P1,SDS-PI,2024-01-20,INPS-1,2024-02-05,complex,2024-02-20,2024-03-01,"
    "inclusion_project,2024-03-15,2024-04-01,,,economic_hardship\n"
    "K2,P3,CPI-PI,2024-05-02,,2024-05-10,work,,,service_pact,2024-05-20,2024-06-01,"
    "2024-12-01,employed,\n"
    "K3,P2,SDS-PI,2024-06-01,,,,,,,,,,,\n"
)


def _counts():
    return tuple(
        m.objects.count()
        for m in (Zone, Comune, Organisation, Desk, Person, Household, BenefitApplication, Case)
    ) + (AuditEvent.objects.count(),)


def assert_rejected(tmp_path, kind, text, expected):
    before = _counts()
    report = run_import(kind, write(tmp_path, text, "bad.csv"))
    assert not report.ok
    assert report.file_error is None, report.file_error
    assert {(e.line, e.column, e.code) for e in report.errors} == set(expected), report.errors
    assert all(e.reason for e in report.errors)
    assert _counts() == before
    return report


@pytest.fixture
def people(tmp_path):
    load_all(tmp_path, upto="persons")


@pytest.fixture
def coordinator(people):
    """A coordinator of the zone (who is never made the case manager of imported cases)."""
    user = UserFactory(username="coord")
    Membership.objects.create(
        user=user, organisation=Organisation.objects.get(code="SDS-PI"), profile=Profile.COORDINATOR
    )
    return user


# --- benefit_applications -------------------------------------------------------------------


def test_applications_load_and_reload_unchanged(tmp_path, people):
    report = load(tmp_path, "benefit_applications", APPLICATIONS)
    assert (report.counts.created, report.counts.updated) == (3, 0)
    application = BenefitApplication.objects.get(external_id="INPS-2")
    assert application.measure == "RDC" and str(application.outcome_on) == "2019-06-20"
    events = AuditEvent.objects.count()
    again = load(tmp_path, "benefit_applications", APPLICATIONS)
    assert again.counts.unchanged == 3 and again.counts.created == again.counts.updated == 0
    assert AuditEvent.objects.count() == events


def test_changed_application_row_updates_with_an_audit_event(tmp_path, people):
    load(tmp_path, "benefit_applications", APPLICATIONS)
    changed = APPLICATIONS.replace(
        "INPS-3,H1,P1,050008,REI,2024-03-01,processing,",
        ("INPS-3,H1,P1,050008,REI,2024-03-01,rejected,2024-04-02"),
    )
    report = load(tmp_path, "benefit_applications", changed)
    assert (report.counts.updated, report.counts.unchanged) == (1, 2)
    application = BenefitApplication.objects.get(external_id="INPS-3")
    event = AuditEvent.objects.get(
        object_id=str(application.pk), action=AuditAction.BENEFIT_APPLICATION_UPDATE
    )
    assert event.changes["status"] == ["processing", "rejected"]
    assert event.person_id == application.applicant_id


def test_bad_application_rows_are_named_and_nothing_is_written(tmp_path, people):
    header = APPLICATIONS.splitlines()[0]
    text = "\n".join(
        [
            header,
            "INPS-1,H1,P1,050026,ADI,2024-01-10,accepted,2024-02-01",
            "INPS-2,H9,P9,999999,ADI,2024-01-10,processing,",
            "INPS-3,H1,P1,050026,ADI,2024-01-10,accepted,",
            "INPS-4,H1,P1,050026,ADI,2024-01-10,rejected,2023-12-31",
            "INPS-5,H1,P3,050026,ADI,2999-01-10,processing,",
            "INPS-6,H1,P3,050026,ADI,2024-01-10,processing,",
            "INPS-1,H1,P1,050026,ADI,2024-01-10,accepted,2024-02-01",
            "INPS-9,H1,P1,050026,XYZ,2024-01-10,won,",
        ]
    )
    assert_rejected(
        tmp_path,
        "benefit_applications",
        text + "\n",
        {
            (3, "household_id", "unknown_household"),
            (3, "applicant_external_id", "unknown_person"),
            (3, "comune_istat", "unknown_code"),
            (4, "outcome_on", "rule"),
            (5, "outcome_on", "rule"),
            (6, "submitted_on", "future_date"),
            (7, "applicant_external_id", "rule"),  # P3 is not in household H1
            (8, "external_id", "duplicate_key"),
            (9, "measure", "bad_choice"),
            (9, "status", "bad_choice"),
        },
    )


def test_an_impossible_date_or_an_empty_status_is_named_on_its_column(tmp_path, people):
    header = APPLICATIONS.splitlines()[0]
    text = f"{header}\nINPS-1,H1,P1,050026,ADI,31/02/2018,,\n"
    assert_rejected(
        tmp_path,
        "benefit_applications",
        text,
        {(2, "submitted_on", "impossible_date"), (2, "status", "required")},
    )


def test_italian_headers_load_applications(tmp_path, people):
    text = (
        "id;nucleo;richiedente;codice istat;misura;data domanda;stato;data esito INPS\n"
        "INPS-7;H1;P1;050026;ADI;10/01/2024;accettata;\n"
    )
    report = run_import("benefit_applications", write(tmp_path, text, "it.csv"))
    assert [(e.column, e.code) for e in report.errors] == [("status", "bad_choice")]
    report = run_import(
        "benefit_applications", write(tmp_path, text.replace("accettata", "processing"), "it.csv")
    )
    assert report.ok and report.counts.created == 1


# --- cases ----------------------------------------------------------------------------------


def test_cases_load_through_the_workflow_and_reload_unchanged(tmp_path, coordinator):
    load(tmp_path, "benefit_applications", APPLICATIONS)
    report = load(tmp_path, "cases", CASES)
    assert report.counts.created == 3
    k1 = Case.objects.get(external_id="K1")
    assert k1.stage == Stage.IN_PROGRESS and k1.origin == "benefit"
    assert str(k1.benefit_outcome_on) == "2024-02-01"
    # The register names no case manager: to be appointed, not the zone's coordinator.
    assert k1.case_manager is None and k1.case_manager_to_appoint
    assert report.counts.notices == {"managers_to_appoint": 1}
    assert Case.objects.get(external_id="K2").stage == Stage.CLOSED
    assert Case.objects.get(external_id="K3").stage == Stage.REFERRED
    events = AuditEvent.objects.count()
    again = load(tmp_path, "cases", CASES)
    assert again.counts.unchanged == 3
    assert AuditEvent.objects.count() == events


def test_a_later_milestone_in_a_changed_row_moves_the_case_on(tmp_path, coordinator):
    load(tmp_path, "benefit_applications", APPLICATIONS)
    load(tmp_path, "cases", CASES)
    changed = CASES.replace(
        "K3,P2,SDS-PI,2024-06-01,,,,,,,,,,",
        ("K3,P2,SDS-PI,2024-06-01,,2024-06-10,social,,,social_project,2024-06-20,,,"),
    )
    report = load(tmp_path, "cases", changed)
    assert (report.counts.updated, report.counts.unchanged) == (1, 2)
    assert Case.objects.get(external_id="K3").stage == Stage.PLAN_SIGNED


def test_bad_case_rows_are_named_by_column_and_nothing_is_written(tmp_path, coordinator):
    load(tmp_path, "benefit_applications", APPLICATIONS)
    text = "\n".join(
        [
            CASE_HEADER,
            # pre-assessment before the referral
            "K1,P1,SDS-PI,2024-01-20,,2024-01-10,social,,,,,,,",
            # complex needs, plan signed without an assessment
            "K2,P2,SDS-PI,2024-01-20,,2024-02-01,complex,2024-02-10,,inclusion_project,"
            "2024-03-01,,,",
            # a future closure and an unknown outcome
            "K3,P3,SDS-PI,2024-01-20,,,,,,,,,2999-01-01,happy",
            # outcome without a closing date; plan kind without a signature
            "K4,P3,SDS-PI,2024-01-20,,2024-02-01,work,,,service_pact,,,,employed",
            # an application not accepted by INPS
            "K5,P1,SDS-PI,2024-03-05,INPS-3,,,,,,,,,",
            # an unknown organisation
            "K6,P2,NOWHERE,2024-01-20,,,,,,,,,,",
        ]
    )
    assert_rejected(
        tmp_path,
        "cases",
        text + "\n",
        {
            (2, "preassessed_on", "rule"),
            (3, "assessed_on", "rule"),
            (4, "closed_on", "future_date"),
            (4, "outcome", "bad_choice"),
            (5, "closed_on", "rule"),
            (5, "plan_signed_on", "rule"),
            (6, "benefit_application_id", "rule"),
            (7, "organisation_code", "unknown_code"),
        },
    )


GOOD_CASE = (
    "K2,P3,CPI-PI,2024-05-02,,2024-05-10,work,,,service_pact,2024-05-20,2024-06-01,"
    "2024-12-01,employed,"
)


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("need_class", "both", "bad_choice"),
        ("plan_kind", "pact", "bad_choice"),
        ("outcome", "happy", "bad_choice"),
        ("preassessed_on", "31/02/2018", "impossible_date"),
        ("external_id", "", "required"),
        ("person_external_id", "NOBODY", "unknown_person"),
        ("organisation_code", "NOWHERE", "unknown_code"),
        ("benefit_application_id", "INPS-404", "unknown_application"),
    ],
)
def test_a_bad_cell_of_a_case_row_is_named_on_its_column(
    tmp_path, coordinator, column, value, code
):
    cells = GOOD_CASE.split(",")
    cells[CASE_HEADER.split(",").index(column)] = value
    text = f"{CASE_HEADER}\n{','.join(cells)}\n"
    assert_rejected(tmp_path, "cases", text, {(2, column, code)})


def test_a_case_id_repeated_in_the_file_is_refused_on_its_later_line(tmp_path, coordinator):
    text = f"{CASE_HEADER}\n{GOOD_CASE}\n{GOOD_CASE}\n"
    assert_rejected(tmp_path, "cases", text, {(3, "external_id", "duplicate_key")})


def test_the_service_area_is_optional_imported_and_never_erased_by_an_old_register(
    tmp_path, coordinator
):
    load(tmp_path, "benefit_applications", APPLICATIONS)
    load(tmp_path, "cases", CASES)
    assert Case.objects.get(external_id="K1").area == "economic_hardship"
    assert Case.objects.get(external_id="K2").area == ""
    # The same register without the column (as old registers are) changes nothing.
    old = "\n".join(line.rsplit(",", 1)[0] for line in CASES.splitlines()) + "\n"
    load(tmp_path, "cases", old)
    assert Case.objects.get(external_id="K1").area == "economic_hardship"
    assert_rejected(
        tmp_path,
        "cases",
        CASES.replace("economic_hardship", "poverty"),
        {(2, "area", "bad_choice")},
    )


def test_a_row_cannot_rewrite_an_earlier_milestone(tmp_path, coordinator):
    load(tmp_path, "benefit_applications", APPLICATIONS)
    load(tmp_path, "cases", CASES)
    rewritten = CASES.replace("2024-05-10,work", "2024-05-11,work")
    assert_rejected(tmp_path, "cases", rewritten, {(3, "preassessed_on", "rule")})


# --- round trip -----------------------------------------------------------------------------


def test_round_trip_is_byte_identical(tmp_path, coordinator):
    load(tmp_path, "contacts", CONTACTS)
    load(tmp_path, "benefit_applications", APPLICATIONS)
    load(tmp_path, "cases", CASES)
    kinds = ("territory", "organisations", "desks", "persons", "benefit_applications", "cases")
    first = {kind: export_text(kind) for kind in kinds}
    assert first["cases"].splitlines()[0] == CASE_HEADER
    wipe_trail()  # append-only for the application
    for model in (Case, BenefitApplication):
        model.objects.all().delete()
    from crocevia.desk.models import Contact, Referral

    Referral.objects.all().delete()
    Contact.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    for kind in kinds:
        report = run_import(kind, write(tmp_path, first[kind], f"{kind}.csv"))
        assert report.ok, (kind, report.errors, report.file_error)
    for kind in kinds:
        assert export_text(kind) == first[kind], kind


def test_pseudonymised_export_hides_the_ids(tmp_path, coordinator, monkeypatch):
    monkeypatch.setenv("CROCEVIA_PSEUDONYM_KEY", "a secret for the tests")
    load(tmp_path, "benefit_applications", APPLICATIONS)
    load(tmp_path, "cases", CASES)
    cases = export_text("cases", pseudonymise=True)
    applications = export_text("benefit_applications", pseudonymise=True)
    for secret in ("K1", "P1", "INPS-1"):
        assert secret not in cases and secret not in applications
    # One person per organisation (or zone) and month, fewer than k: the case and the
    # application still count, but link to no person (test_k_anonymity.py).
    case = cases.splitlines()[1].split(",")
    assert case[0].startswith("CA-") and case[1] == case[4] == ""
    assert all(line.split(",")[:3] == ["", "", ""] for line in applications.splitlines()[1:])


assert NETWORK and PERSONS  # the shared files these tests build on


# --- random rows (hypothesis) ---------------------------------------------------------------

CASE_SAMPLES = [
    "",
    "K1",
    "K9",
    "P1",
    "P2",
    "P3",
    "H1",
    "SDS-PI",
    "CPI-PI",
    "050026",
    "INPS-1",
    "INPS-3",
    "2019-04-01",
    "2024-01-20",
    "2024-02-01",
    "2024-03-01",
    "01/06/2024",
    "31/02/2018",
    "2999-01-01",
    "ADI",
    "rei",
    "accepted",
    "processing",
    "work",
    "social",
    "complex",
    "service_pact",
    "social_project",
    "inclusion_project",
    "employed",
    "dropped_out",
    "x" * 100,
]


@pytest.mark.parametrize("kind_name", ["benefit_applications", "cases"])
def test_random_rows_load_or_yield_row_errors(kind_name, tmp_path, coordinator):
    import csv
    import io

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from crocevia.interchange.kinds import get_kind

    load(tmp_path, "benefit_applications", APPLICATIONS)
    header = get_kind(kind_name).codes
    cell = st.one_of(st.sampled_from(CASE_SAMPLES), st.text(max_size=8))

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(rows=st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=4))
    def check(rows):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        path = tmp_path / "random.csv"
        path.write_bytes(out.getvalue().encode("utf-8", "surrogatepass"))
        report = run_import(kind_name, path)
        if not report.ok:
            assert report.file_error is not None or report.errors
            for error in report.errors:
                assert error.reason and error.line >= 2

    check()
