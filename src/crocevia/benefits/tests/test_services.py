"""Recording, updating and importing applications: validated, audited, all or nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.benefits.models import BenefitApplication, Status
from crocevia.benefits.services import (
    ConflictError,
    benefit_application_import,
    benefit_application_update,
    benefit_applications_import_bulk,
)
from crocevia.core.errors import RowsRefused
from crocevia.network.models import Comune
from crocevia.people.models import Household
from crocevia.people.selectors import persons_by_external_id
from crocevia.testing import PersonFactory, days_ago

from .factories import make_application, make_household

pytestmark = pytest.mark.django_db


def _events(application):
    return AuditEvent.objects.filter(
        object_type="benefits.benefitapplication", object_id=str(application.pk)
    )


def _error_keys(call):
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


# --- record and update ----------------------------------------------------------------------


def test_recording_an_application_is_audited_with_the_applicant_as_person(actors):
    application = make_application(actors)
    event = _events(application).get()
    assert event.action == AuditAction.BENEFIT_APPLICATION_CREATE
    assert event.person_id == application.applicant_id
    assert event.changes["status"] == [None, "accepted"]


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        (
            {"submitted_on": days_ago(-1), "outcome_on": None, "status": "processing"},
            "submitted_on",
        ),
        ({"outcome_on": days_ago(-1)}, "outcome_on"),
        ({"outcome_on": days_ago(200)}, "outcome_on"),
        ({"outcome_on": None}, "outcome_on"),
        ({"measure": "XYZ"}, "measure"),
        ({"status": "won"}, "status"),
    ],
    ids=[
        "future-submission",
        "future-outcome",
        "outcome-before-submission",
        "accepted-without-outcome",
        "unknown-measure",
        "unknown-status",
    ],
)
def test_invalid_application_is_refused_with_the_field_named(actors, fields, key):
    errors = _error_keys(lambda: make_application(actors, **fields))
    assert key in errors
    assert not BenefitApplication.objects.exists()


def test_applicant_must_belong_to_the_household(actors):
    household, _person = make_household(actors)
    stranger = PersonFactory(external_id="P9")
    errors = _error_keys(lambda: make_application(actors, household=household, applicant=stranger))
    assert "applicant" in errors


def test_outsider_may_not_record_an_application_in_another_zone(actors):
    household, person = make_household(actors)
    from crocevia.benefits.services import benefit_application_record

    with pytest.raises(PermissionDenied):
        benefit_application_record(
            actor=actors.outsider,
            data={
                "external_id": "X",
                "household": household,
                "applicant": person,
                "comune": actors.pisa,
                "measure": "ADI",
                "submitted_on": days_ago(5),
                "status": "processing",
                "outcome_on": None,
            },
        )


def test_update_records_the_change_and_bumps_the_version(actors):
    application = make_application(actors, status=Status.PROCESSING, outcome_on=None)
    updated = benefit_application_update(
        actor=actors.social_worker,
        application=application,
        data={"status": Status.ACCEPTED, "outcome_on": days_ago(3)},
        expected_version=1,
    )
    assert updated.version == 2
    event = _events(application).get(action=AuditAction.BENEFIT_APPLICATION_UPDATE)
    assert event.changes == {
        "status": ["processing", "accepted"],
        "outcome_on": [None, days_ago(3).isoformat()],
    }
    assert event.person_id == application.applicant_id


def test_update_with_the_same_values_writes_nothing(actors):
    application = make_application(actors)
    benefit_application_update(
        actor=actors.social_worker, application=application, data={"status": Status.ACCEPTED}
    )
    application.refresh_from_db()
    assert application.version == 1
    assert _events(application).count() == 1


def test_update_from_a_stale_version_is_refused(actors):
    application = make_application(actors)
    benefit_application_update(
        actor=actors.social_worker, application=application, data={"status": "suspended"}
    )
    with pytest.raises(ConflictError):
        benefit_application_update(
            actor=actors.social_worker,
            application=application,
            data={"status": "lapsed"},
            expected_version=1,
        )


def test_update_is_validated_like_a_new_record(actors):
    application = make_application(actors)
    errors = _error_keys(
        lambda: benefit_application_update(
            actor=actors.social_worker, application=application, data={"outcome_on": None}
        )
    )
    assert "outcome_on" in errors


# --- import (rows parsed by the interchange: its tests name the file's errors) -------------


def _row(**overrides):
    """A row; household, applicant and comune by their codes (_parsed)."""
    row = {
        "external_id": "INPS-7",
        "household": "H1",
        "applicant": "P1",
        "comune": "050026",
        "measure": "REI",
        "submitted_on": days_ago(400),
        "status": "accepted",
        "outcome_on": days_ago(380),
    }
    row.update(overrides)
    return row


def _parsed(row):
    """The row as the interchange hands it over: the records its codes name."""
    return {
        **row,
        "household": Household.objects.get(external_id=row["household"]),
        "applicant": persons_by_external_id([row["applicant"]])[row["applicant"]],
        "comune": Comune.objects.get(istat_code=row["comune"]),
    }


def _import_bulk(rows, actor):
    return benefit_applications_import_bulk(actor=actor, rows=[_parsed(row) for row in rows])


def test_import_row_model_errors_come_back_keyed_by_the_rows_keys(actors):
    make_household(actors)
    errors = _error_keys(
        lambda: benefit_application_import(
            actor=actors.coordinator, row=_parsed(_row(outcome_on=days_ago(500)))
        )
    )
    assert list(errors) == ["outcome_on"]


def test_import_creates_then_reimport_changes_nothing(actors):
    make_household(actors)
    application, action = benefit_application_import(actor=actors.coordinator, row=_parsed(_row()))
    assert action == "created"
    assert application.measure == "REI"
    events = AuditEvent.objects.count()
    again, action = benefit_application_import(actor=actors.coordinator, row=_parsed(_row()))
    assert (again.pk, action) == (application.pk, "unchanged")
    assert AuditEvent.objects.count() == events


def test_bulk_import_is_idempotent_and_updates_changed_rows(actors):
    make_household(actors)
    rows = [_row(), _row(external_id="INPS-8", status="processing", outcome_on=None)]
    assert _import_bulk(rows, actors.coordinator) == (2, 0, 0)
    assert _import_bulk(rows, actors.coordinator) == (0, 0, 2)
    rows[1].update(status="rejected", outcome_on=days_ago(1))
    assert _import_bulk(rows, actors.coordinator) == (0, 1, 1)
    changed = BenefitApplication.objects.get(external_id="INPS-8")
    assert changed.status == "rejected"
    assert _events(changed).filter(action=AuditAction.BENEFIT_APPLICATION_UPDATE).count() == 1


def test_bulk_import_with_a_bad_row_writes_nothing_and_lists_every_bad_row(actors):
    make_household(actors)
    make_household(actors, person_id="P2", household_id="H2")
    rows = [
        _row(),
        _row(external_id="INPS-8", applicant="P2"),  # not a member of H1
        _row(external_id="INPS-9", submitted_on=days_ago(-1), status="processing", outcome_on=None),
        _row(external_id="INPS-10", outcome_on=None),
    ]
    with pytest.raises(RowsRefused) as refused:
        _import_bulk(rows, actors.coordinator)
    assert {(i, key) for i, keys in refused.value.errors.items() for key in keys} == {
        (1, "applicant"),
        (2, "submitted_on"),
        (3, "outcome_on"),
    }
    assert not BenefitApplication.objects.exists()
    assert not AuditEvent.objects.filter(object_type="benefits.benefitapplication").exists()


def test_bulk_import_by_a_coordinator_of_another_zone_is_refused_per_row(actors):
    make_household(actors)
    from crocevia.testing import make_member

    other = make_member("coord-li", actors.other_org, "coordinator")
    with pytest.raises(RowsRefused) as refused:
        _import_bulk([_row()], other)
    assert list(refused.value.errors) == [0]
    assert list(refused.value.errors[0]) == ["comune"]


def test_admin_lists_applications_but_offers_no_change(
    actors, login, django_assert_max_num_queries
):
    make_application(actors)
    make_application(
        actors,
        household=BenefitApplication.objects.get().household,
        applicant=BenefitApplication.objects.get().applicant,
        external_id="INPS-2",
        status=Status.PROCESSING,
        outcome_on=None,
    )
    client = login(actors.admin)
    with django_assert_max_num_queries(12):
        response = client.get("/admin/benefits/benefitapplication/")
    assert response.status_code == 200
    assert b"INPS-2" in response.content
    assert client.get("/admin/benefits/benefitapplication/add/").status_code == 403
