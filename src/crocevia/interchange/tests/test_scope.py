"""Scope: a coordinator imports and exports only within their zones; an administrator
(and the command line, with no scope) everything. Engine level, one section per kind."""

import pytest
from django.utils.translation import gettext

from crocevia.audit.models import AuditEvent
from crocevia.benefits.models import BenefitApplication
from crocevia.cases.models import Case
from crocevia.desk.models import Contact
from crocevia.interchange.access import may_interchange
from crocevia.interchange.engine import run_import
from crocevia.interchange.scope import Scope
from crocevia.network.models import Comune, Desk, Organisation, Zone
from crocevia.people.models import Household, Person
from crocevia.people.selectors import persons_visible_to

from .helpers import export_text, write

pytestmark = pytest.mark.django_db

PERSON_HEADER = (
    "external_id,family_name,given_names,sex,birth_date,citizenship,birth_country,"
    "codice_fiscale,comune_istat,household_id,languages,needs_mediator,permit_type,"
    "permit_expires_on"
)
CONTACT_HEADER = "external_id,person_external_id,desk_code,date,services,outcome,referred_to"
APPLICATION_HEADER = (
    "external_id,household_id,applicant_external_id,comune_istat,measure,submitted_on,"
    "status,outcome_on"
)
CASE_HEADER = (
    "external_id,person_external_id,organisation_code,referred_on,benefit_application_id,"
    "preassessed_on,need_class,team_formed_on,assessed_on,plan_kind,plan_signed_on,"
    "plan_started_on,closed_on,outcome"
)


def table(header, *lines):
    return "\n".join([header, *lines]) + "\n"


def _counts():
    return tuple(
        m.objects.count()
        for m in (
            Zone,
            Comune,
            Organisation,
            Desk,
            Person,
            Household,
            Contact,
            BenefitApplication,
            Case,
            AuditEvent,
        )
    )


def load(tmp_path, kind, text, scope=None, actor=None):
    return run_import(kind, write(tmp_path, text, f"{kind}.csv"), scope=scope, actor=actor)


def assert_out_of_scope(tmp_path, kind, text, scope, expected):
    """The file is refused with out_of_scope errors at (line, column), writing nothing."""
    before = _counts()
    report = load(tmp_path, kind, text, scope, scope.user)
    assert not report.ok
    found = {(e.line, e.column) for e in report.errors if e.code == "out_of_scope"}
    assert found == set(expected), report.errors
    assert all(e.reason for e in report.errors)
    assert _counts() == before
    return report


@pytest.fixture
def world(actors, tmp_path):
    """A person, contact, application and case in each zone, loaded with no scope."""
    for kind, text in (
        (
            "persons",
            table(
                PERSON_HEADER,
                "P-PI,Rossi,Mario,M,1980-03-15,IT,,,050026,H-PI,,,,",
                "P-LI,Neri,Luca,M,1985-04-01,IT,,,049009,H-LI,,,,",
            ),
        ),
        (
            "contacts",
            table(
                CONTACT_HEADER,
                "C-PI,P-PI,SPI-PISA,2024-05-02,information,,",
                "C-LI,P-LI,SPI-LIVORNO,2024-05-03,information,,",
            ),
        ),
        (
            "benefit_applications",
            table(
                APPLICATION_HEADER,
                "A-PI,H-PI,P-PI,050026,ADI,2024-01-10,accepted,2024-02-01",
                "A-LI,H-LI,P-LI,049009,ADI,2024-01-10,accepted,2024-02-01",
            ),
        ),
        (
            "cases",
            table(
                CASE_HEADER,
                "K-PI,P-PI,SDS-PI,2024-06-01,,,,,,,,,,",
                "K-LI,P-LI,COM-LI,2024-06-01,,,,,,,,,,",
            ),
        ),
    ):
        report = load(tmp_path, kind, text)
        assert report.ok, (kind, report.file_error, report.errors)
    return actors


@pytest.fixture
def coordinator_scope(actors):
    scope = Scope.for_user(actors.coordinator)
    assert scope.zone_ids == frozenset({actors.zone.pk})
    return scope


# --- who has a scope ------------------------------------------------------------------------


def test_only_administrators_coordinators_and_monitoring_officers_have_a_scope(actors):
    assert Scope.for_user(actors.admin).zone_ids is None
    assert Scope.for_user(actors.coordinator).organisation == actors.sds
    assert not Scope.for_user(actors.coordinator).pseudonymised_only
    monitoring = Scope.for_user(actors.monitoring_officer)
    assert monitoring.pseudonymised_only and not monitoring.may_import
    assert monitoring.zone_ids == {actors.zone.pk}
    for user in (
        actors.desk_operator,
        actors.social_worker,
        actors.cpi_consultant,
        actors.outsider,
    ):
        assert Scope.for_user(user) is None
        assert not may_interchange(user)


# --- territory ------------------------------------------------------------------------------

TERRITORY_HEADER = "zone_code,zone_name,comune_istat,comune_name,province,population"


def test_coordinator_imports_comuni_of_their_zone_only(tmp_path, actors, coordinator_scope):
    assert_out_of_scope(
        tmp_path,
        "territory",
        table(
            TERRITORY_HEADER,
            "ZPI,Zona Pisana,050008,Cascina,PI,45212",
            "ZLI,Zona Livornese,049002,Bibbona,LI,3200",
            # Livorno belongs to the other zone: it may not be moved into this one.
            "ZPI,Zona Pisana,049009,Livorno,LI,157000",
        ),
        coordinator_scope,
        [(3, "zone_code"), (4, "comune_istat")],
    )
    report = load(
        tmp_path,
        "territory",
        table(TERRITORY_HEADER, "ZPI,Zona Pisana,050008,Cascina,PI,45212"),
        coordinator_scope,
        actors.coordinator,
    )
    assert report.ok and report.counts.created == 1
    assert Comune.objects.get(istat_code="050008").zone == actors.zone


def test_territory_export_of_a_coordinator_holds_their_zone_only(actors, coordinator_scope):
    text = export_text("territory", scope=coordinator_scope)
    assert "050026" in text and "049009" not in text
    assert "049009" in export_text("territory", scope=Scope.for_user(actors.admin))
    assert "049009" in export_text("territory")


# --- organisations --------------------------------------------------------------------------

ORG_HEADER = "code,name,kind,zone_code,comune_istat"


def test_coordinator_imports_organisations_of_their_zone_only(tmp_path, actors, coordinator_scope):
    assert_out_of_scope(
        tmp_path,
        "organisations",
        table(
            ORG_HEADER,
            "CONS-PI,Consultorio Pisa,asl_service,ZPI,050026",
            "CONS-LI,Consultorio Livorno,asl_service,ZLI,049009",
            "COM-LI,Comune di Livorno,comune,ZPI,",
            "RT,Regione Toscana,region,,",
        ),
        coordinator_scope,
        [(3, "zone_code"), (4, "code"), (5, "zone_code")],
    )
    report = load(
        tmp_path,
        "organisations",
        table(ORG_HEADER, "CONS-PI,Consultorio Pisa,asl_service,ZPI,050026"),
        coordinator_scope,
        actors.coordinator,
    )
    assert report.ok and report.counts.created == 1


def test_unknown_zone_is_not_also_out_of_scope(tmp_path, actors, coordinator_scope):
    report = load(
        tmp_path,
        "organisations",
        table(ORG_HEADER, "X,X,sds,NOPE,"),
        coordinator_scope,
        actors.coordinator,
    )
    assert [(e.column, e.code) for e in report.errors] == [("zone_code", "unknown_code")]


def test_organisation_export_of_a_coordinator(actors, coordinator_scope):
    text = export_text("organisations", scope=coordinator_scope)
    assert "SDS-PI" in text and "CPI-PI" in text and "COM-LI" not in text


# --- desks ----------------------------------------------------------------------------------

DESK_HEADER = "code,organisation_code,name,level,comune_istat,opening_hours"


def test_coordinator_imports_desks_of_their_zone_only(tmp_path, actors, coordinator_scope):
    assert_out_of_scope(
        tmp_path,
        "desks",
        table(
            DESK_HEADER,
            "SPI-CPI,CPI-PI,Sportello CPI,1,050026,",
            "SPI-LI2,COM-LI,Sportello Livorno 2,1,049009,",
            "SPI-LIVORNO,SDS-PI,Sportello Livorno,1,049009,",
        ),
        coordinator_scope,
        [(3, "organisation_code"), (4, "code")],
    )
    report = load(
        tmp_path,
        "desks",
        table(DESK_HEADER, "SPI-CPI,CPI-PI,Sportello CPI,1,050026,"),
        coordinator_scope,
        actors.coordinator,
    )
    assert report.ok and report.counts.created == 1


def test_desk_export_of_a_coordinator(actors, coordinator_scope):
    text = export_text("desks", scope=coordinator_scope)
    assert "SPI-PISA" in text and "SPI-LIVORNO" not in text


# --- persons --------------------------------------------------------------------------------


def test_coordinator_cannot_change_a_person_outside_their_zone(tmp_path, world, coordinator_scope):
    report = assert_out_of_scope(
        tmp_path,
        "persons",
        table(
            PERSON_HEADER,
            "P-PI,Rossi,Mario Luigi,M,1980-03-15,IT,,,050026,H-PI,,,,",
            "P-LI,Neri,Luca Maria,M,1985-04-01,IT,,,049009,H-LI,,,,",
            # A new person may not join a household of persons outside the zone.
            "P-NEW,Verdi,Anna,F,1990-01-01,IT,,,050026,H-LI,,,,",
        ),
        coordinator_scope,
        [(3, "external_id"), (3, "household_id"), (4, "household_id")],
    )
    assert Person.objects.get(external_id="P-LI").given_names == "Luca"
    assert not Person.objects.filter(external_id="P-NEW").exists()
    reason = next(e.reason for e in report.errors if e.line == 3)
    assert reason == gettext("This external id belongs to a record outside your zone.")


def test_persons_imported_by_a_coordinator_are_theirs_to_see(tmp_path, world, coordinator_scope):
    coordinator = world.coordinator
    report = load(
        tmp_path,
        "persons",
        table(
            PERSON_HEADER,
            "P-PI,Rossi,Mario Luigi,M,1980-03-15,IT,,,050026,H-PI,,,,",
            "P-NEW,Verdi,Anna,F,1990-01-01,IT,,,050026,H-NEW,,,,",
        ),
        coordinator_scope,
        coordinator,
    )
    assert report.ok, report.errors
    assert (report.counts.created, report.counts.updated) == (1, 1)
    new = Person.objects.get(external_id="P-NEW")
    assert new.created_by == coordinator
    assert new.created_by_organisation == world.sds
    assert persons_visible_to(coordinator).filter(pk=new.pk).exists()
    assert persons_visible_to(world.social_worker).filter(pk=new.pk).exists()


def test_administrator_import_keeps_persons_without_an_organisation(tmp_path, world):
    scope = Scope.for_user(world.admin)
    report = load(
        tmp_path,
        "persons",
        table(PERSON_HEADER, "P-ADM,Bruni,Ada,F,1970-01-01,IT,,,,,,,,"),
        scope,
        world.admin,
    )
    assert report.ok
    assert Person.objects.get(external_id="P-ADM").created_by_organisation is None


def test_person_export_of_a_coordinator_holds_those_they_see(world, coordinator_scope):
    text = export_text("persons", scope=coordinator_scope)
    assert "P-PI" in text and "P-LI" not in text
    assert "P-LI" in export_text("persons", scope=Scope.for_user(world.admin))


# --- contacts -------------------------------------------------------------------------------


def test_coordinator_records_contacts_at_their_desks_for_their_persons(
    tmp_path, world, coordinator_scope
):
    assert_out_of_scope(
        tmp_path,
        "contacts",
        table(
            CONTACT_HEADER,
            "C-NEW,P-PI,SPI-PISA,2024-07-01,information,,",
            "C-X1,P-PI,SPI-LIVORNO,2024-07-01,information,,",
            "C-X2,P-LI,SPI-PISA,2024-07-01,information,,",
            "C-LI,P-PI,SPI-PISA,2024-05-03,information,,",
        ),
        coordinator_scope,
        [(3, "desk_code"), (4, "person_external_id"), (5, "external_id")],
    )
    report = load(
        tmp_path,
        "contacts",
        table(CONTACT_HEADER, "C-NEW,P-PI,SPI-PISA,2024-07-01,information,,"),
        coordinator_scope,
        world.coordinator,
    )
    assert report.ok and report.counts.created == 1


def test_contact_export_of_a_coordinator(world, coordinator_scope):
    text = export_text("contacts", scope=coordinator_scope)
    assert "C-PI" in text and "C-LI" not in text


# --- benefit applications -------------------------------------------------------------------


def test_coordinator_records_applications_of_their_zone_only(tmp_path, world, coordinator_scope):
    assert_out_of_scope(
        tmp_path,
        "benefit_applications",
        table(
            APPLICATION_HEADER,
            "A-NEW,H-PI,P-PI,050026,RDC,2024-02-01,processing,",
            "A-X1,H-PI,P-PI,049009,RDC,2024-02-01,processing,",
            "A-X2,H-LI,P-LI,050026,RDC,2024-02-01,processing,",
            "A-LI,H-LI,P-LI,049009,ADI,2024-01-10,accepted,2024-02-01",
        ),
        coordinator_scope,
        [
            (3, "comune_istat"),
            (4, "applicant_external_id"),
            (5, "applicant_external_id"),
            (5, "comune_istat"),
            (5, "external_id"),
        ],
    )
    report = load(
        tmp_path,
        "benefit_applications",
        table(APPLICATION_HEADER, "A-NEW,H-PI,P-PI,050026,RDC,2024-02-01,processing,"),
        coordinator_scope,
        world.coordinator,
    )
    assert report.ok, report.errors


def test_application_export_of_a_coordinator(world, coordinator_scope):
    text = export_text("benefit_applications", scope=coordinator_scope)
    assert "A-PI" in text and "A-LI" not in text


# --- cases ----------------------------------------------------------------------------------


def test_coordinator_records_cases_of_their_zone_only(tmp_path, world, coordinator_scope):
    assert_out_of_scope(
        tmp_path,
        "cases",
        table(
            CASE_HEADER,
            "K-NEW,P-PI,CPI-PI,2024-02-01,A-PI,,,,,,,,,",
            "K-X1,P-PI,COM-LI,2024-07-01,,,,,,,,,,",
            "K-X2,P-LI,SDS-PI,2024-07-01,,,,,,,,,,",
            "K-X3,P-PI,SDS-PI,2024-07-01,A-LI,,,,,,,,,",
            "K-LI,P-LI,COM-LI,2024-06-01,,2024-06-10,work,,,,,,,",
        ),
        coordinator_scope,
        [
            (3, "organisation_code"),
            (4, "person_external_id"),
            (5, "benefit_application_id"),
            (6, "organisation_code"),
            (6, "person_external_id"),
            (6, "external_id"),
        ],
    )
    report = load(
        tmp_path,
        "cases",
        table(CASE_HEADER, "K-PI,P-PI,SDS-PI,2024-06-01,,2024-06-10,work,,,,,,,"),
        coordinator_scope,
        world.coordinator,
    )
    assert report.ok, report.errors
    assert report.counts.updated == 1


def test_case_export_of_a_coordinator(world, coordinator_scope):
    text = export_text("cases", scope=coordinator_scope)
    assert "K-PI" in text and "K-LI" not in text
