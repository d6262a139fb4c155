"""INPS's outcome recorded on the application's page, the follow-up of a negative one, an
application recorded by hand: the rules, the permissions, the optimistic lock, the audit."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.sensitive import SENSITIVE_CHANGE
from crocevia.benefits.models import BenefitApplication, FollowUp, OutcomeReason, Status
from crocevia.benefits.opening import case_open_from_benefit
from crocevia.benefits.selectors import applications_to_follow_up
from crocevia.benefits.services import (
    ConflictError,
    benefit_application_add,
    benefit_application_follow_up,
    benefit_application_import,
    benefit_application_record_outcome,
)
from crocevia.testing import days_ago, make_member, other_zone_cast

from .factories import make_application, make_household

pytestmark = pytest.mark.django_db

NOTE = "ISEE 2025 con il reddito del figlio, che non vive più nel nucleo."


def _events(application, action=None):
    events = AuditEvent.objects.filter(
        object_type="benefits.benefitapplication", object_id=str(application.pk)
    )
    return events.filter(action=action) if action else events


def _outcome(actors, application, **fields):
    kwargs = {
        "actor": actors.social_worker,
        "application": application,
        "status": Status.REJECTED,
        "outcome_on": days_ago(60),
        "reason": OutcomeReason.INCOME,
        "note": "",
    }
    kwargs.update(fields)
    return benefit_application_record_outcome(**kwargs)


def _errors(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


@pytest.fixture
def processing(actors):
    return make_application(actors, status=Status.PROCESSING, outcome_on=None)


# --- the outcome ------------------------------------------------------------------------------


def test_a_rejection_is_recorded_with_its_reason_and_audited_without_the_note(actors, processing):
    rejected = _outcome(actors, processing, note=NOTE, expected_version=1)
    assert (rejected.status, rejected.outcome_reason, rejected.outcome_note) == (
        "rejected",
        "income_above_threshold",
        NOTE,
    )
    assert rejected.version == 2
    event = _events(processing, AuditAction.BENEFIT_APPLICATION_RECORD_OUTCOME).get()
    assert event.person_id == processing.applicant_id
    assert event.actor == actors.social_worker
    assert event.changes["status"] == ["processing", "rejected"]
    assert event.changes["outcome_reason"] == ["", "income_above_threshold"]
    assert event.changes["outcome_note"] == SENSITIVE_CHANGE
    assert NOTE not in str(event.changes)


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"status": Status.ACCEPTED, "outcome_on": None, "reason": ""}, "outcome_on"),
        ({"status": Status.LAPSED, "outcome_on": None}, "outcome_on"),
        ({"status": Status.SUSPENDED, "reason": ""}, "outcome_reason"),
        ({"status": Status.REJECTED, "reason": OutcomeReason.OTHER}, "outcome_note"),
        ({"status": Status.ACCEPTED, "reason": OutcomeReason.INCOME}, "outcome_reason"),
        ({"status": Status.PROCESSING, "reason": ""}, "outcome_on"),
        ({"status": Status.PROCESSING, "outcome_on": None}, "outcome_reason"),
        ({"outcome_on": days_ago(200)}, "outcome_on"),
        ({"outcome_on": days_ago(-1)}, "outcome_on"),
        ({"reason": "bad_luck"}, "outcome_reason"),
    ],
    ids=[
        "accepted-without-date",
        "lapsed-without-date",
        "suspended-without-reason",
        "other-without-note",
        "accepted-with-a-reason",
        "processing-with-a-date",
        "processing-with-a-reason",
        "before-the-submission",
        "in-the-future",
        "unknown-reason",
    ],
)
def test_an_incomplete_or_inconsistent_outcome_is_refused_on_its_field(
    actors, processing, fields, key
):
    errors = _errors(lambda: _outcome(actors, processing, **fields))
    assert key in errors
    processing.refresh_from_db()
    assert (processing.status, processing.version) == ("processing", 1)
    assert not _events(processing, AuditAction.BENEFIT_APPLICATION_RECORD_OUTCOME).exists()


def test_other_reason_with_its_note_is_accepted(actors, processing):
    lapsed = _outcome(
        actors,
        processing,
        status=Status.LAPSED,
        reason=OutcomeReason.OTHER,
        note="Trasferimento all'estero per più di due mesi",
    )
    assert lapsed.get_outcome_reason_display() == OutcomeReason.OTHER.label


def test_back_to_processing_clears_the_date_and_the_reason(actors, processing):
    _outcome(actors, processing, status=Status.SUSPENDED, reason=OutcomeReason.DSU)
    again = _outcome(actors, processing, status=Status.PROCESSING, outcome_on=None, reason="")
    assert (again.status, again.outcome_on, again.outcome_reason) == ("processing", None, "")


def test_the_same_outcome_again_writes_nothing(actors, processing):
    _outcome(actors, processing)
    events = AuditEvent.objects.count()
    again = _outcome(actors, processing, expected_version=2)
    assert again.version == 2
    assert AuditEvent.objects.count() == events


def test_an_outcome_on_a_stale_version_is_refused(actors, processing):
    _outcome(actors, processing, expected_version=1)
    with pytest.raises(ConflictError) as conflict:
        _outcome(actors, processing, status=Status.ACCEPTED, reason="", expected_version=1)
    assert conflict.value.current.status == "rejected"


def test_who_may_not_record_applications_of_the_comune_may_not_record_its_outcome(
    actors, processing
):
    for outsider in (actors.outsider, actors.desk_operator, actors.monitoring_officer):
        with pytest.raises(PermissionDenied):
            _outcome(actors, processing, actor=outsider)
    administrative = make_member("amministrativa", actors.sds, "administrative")
    assert _outcome(actors, processing, actor=administrative).status == "rejected"


def test_the_database_refuses_a_reason_on_an_accepted_application(actors):
    from django.db import IntegrityError, transaction

    application = make_application(actors)
    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitApplication.objects.filter(pk=application.pk).update(outcome_reason="dsu")


# --- the import keeps its columns, and clears a stale reason ---------------------------------


def _row(application, **fields):
    row = {
        "external_id": application.external_id,
        "household": application.household,
        "applicant": application.applicant,
        "comune": application.comune,
        "measure": application.measure,
        "submitted_on": application.submitted_on,
        "status": application.status,
        "outcome_on": application.outcome_on,
    }
    row.update(fields)
    return row


def test_an_import_that_changes_the_status_clears_the_reason_and_its_note(actors, processing):
    rejected = _outcome(actors, processing, note=NOTE)
    application, action = benefit_application_import(
        actor=actors.coordinator, row=_row(rejected, status=Status.ACCEPTED)
    )
    assert action == "updated"
    assert (application.status, application.outcome_reason, application.outcome_note) == (
        "accepted",
        "",
        "",
    )
    event = _events(processing, AuditAction.BENEFIT_APPLICATION_UPDATE).get()
    assert event.changes["outcome_reason"] == ["income_above_threshold", ""]
    assert event.changes["outcome_note"] == SENSITIVE_CHANGE


def test_an_import_that_keeps_the_status_keeps_the_reason(actors, processing):
    rejected = _outcome(actors, processing, note=NOTE)
    application, action = benefit_application_import(actor=actors.coordinator, row=_row(rejected))
    assert action == "unchanged"
    application, action = benefit_application_import(
        actor=actors.coordinator, row=_row(rejected, outcome_on=days_ago(59))
    )
    assert action == "updated"
    assert (application.outcome_reason, application.outcome_note) == (
        "income_above_threshold",
        NOTE,
    )


def test_an_imported_negative_outcome_without_a_reason_is_still_accepted(actors):
    application = make_application(actors, status=Status.LAPSED, outcome_on=None)
    assert application.outcome_reason == ""


# --- the follow-up ----------------------------------------------------------------------------


def test_a_follow_up_answers_the_outcome_and_leaves_the_queue(actors, processing):
    rejected = _outcome(actors, processing)
    assert list(applications_to_follow_up(actors.social_worker)) == [rejected]
    follow_up = benefit_application_follow_up(
        actor=actors.social_worker,
        application=rejected,
        on=days_ago(10),
        note="Colloquio: presenterà una nuova DSU.",
        expected_version=2,
    )
    assert (follow_up.status, follow_up.outcome_on, follow_up.recorded_by) == (
        "rejected",
        days_ago(60),
        actors.social_worker,
    )
    assert list(applications_to_follow_up(actors.social_worker)) == []
    event = _events(processing, AuditAction.BENEFIT_APPLICATION_FOLLOW_UP).get()
    assert event.person_id == processing.applicant_id
    assert event.changes == {
        "followed_up_on": [None, days_ago(10).isoformat()],
        "follow_up_note": SENSITIVE_CHANGE,
    }


def test_a_new_negative_outcome_waits_for_its_own_follow_up(actors, processing):
    suspended = _outcome(actors, processing, status=Status.SUSPENDED, reason=OutcomeReason.DSU)
    benefit_application_follow_up(
        actor=actors.coordinator, application=suspended, on=days_ago(50), note="Telefonata."
    )
    assert not applications_to_follow_up(actors.coordinator).exists()
    lapsed = _outcome(
        actors, processing, status=Status.LAPSED, outcome_on=days_ago(20), reason="activation"
    )
    assert list(applications_to_follow_up(actors.coordinator)) == [lapsed]
    # An accepted one is no one's to follow up.
    _outcome(actors, processing, status=Status.ACCEPTED, reason="")
    assert not applications_to_follow_up(actors.coordinator).exists()


def test_the_queue_is_the_zones_of_social_workers_and_coordinators(actors, processing):
    _outcome(actors, processing)
    other = other_zone_cast(actors)
    household, person = make_household(other, person_id="PL", household_id="HL")
    make_application(
        other,
        household=household,
        applicant=person,
        external_id="INPS-LI",
        comune=actors.livorno,
        status=Status.LAPSED,
    )
    administrative = make_member("amministrativa", actors.sds, "administrative")
    assert applications_to_follow_up(actors.social_worker).count() == 1
    assert applications_to_follow_up(other.coordinator).count() == 1
    assert applications_to_follow_up(actors.admin).count() == 2
    for nobody in (administrative, actors.desk_operator, actors.monitoring_officer):
        assert not applications_to_follow_up(nobody).exists()


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"on": days_ago(61)}, "on"),
        ({"on": days_ago(-1)}, "on"),
        ({"note": "   "}, "note"),
    ],
    ids=["before-the-outcome", "in-the-future", "without-a-note"],
)
def test_a_follow_up_is_dated_and_says_what_was_done(actors, processing, fields, key):
    rejected = _outcome(actors, processing)
    kwargs = {"on": days_ago(5), "note": "Colloquio."} | fields
    errors = _errors(
        lambda: benefit_application_follow_up(
            actor=actors.social_worker, application=rejected, **kwargs
        )
    )
    assert key in errors
    assert not FollowUp.objects.exists()


def test_only_a_negative_outcome_is_followed_up_and_only_by_the_social_services(actors, processing):
    with pytest.raises(ValidationError):
        benefit_application_follow_up(
            actor=actors.social_worker, application=processing, on=days_ago(1), note="x"
        )
    rejected = _outcome(actors, processing)
    administrative = make_member("amministrativa", actors.sds, "administrative")
    for nobody in (administrative, actors.outsider, actors.cpi_consultant):
        with pytest.raises(PermissionDenied):
            benefit_application_follow_up(
                actor=nobody, application=rejected, on=days_ago(1), note="x"
            )
    with pytest.raises(ConflictError):
        benefit_application_follow_up(
            actor=actors.social_worker,
            application=rejected,
            on=days_ago(1),
            note="x",
            expected_version=1,
        )
    assert not FollowUp.objects.exists()


# --- an application recorded by hand ---------------------------------------------------------


_numbers = itertools.count(100)


def _add(actors, **fields):
    n = next(_numbers)
    household, person = make_household(actors, person_id=f"P{n}", household_id=f"H{n}")
    kwargs = {
        "actor": actors.social_worker,
        "household": household,
        "applicant": person,
        "comune": actors.pisa,
        "measure": "ADI",
        "submitted_on": days_ago(3),
    }
    kwargs.update(fields)
    return benefit_application_add(**kwargs)


def test_an_application_recorded_by_hand_is_being_processed_with_the_inps_id(actors):
    application = _add(actors, external_id=" INPS-ADI-2026-0042 ")
    assert (application.external_id, application.status, application.outcome_on) == (
        "INPS-ADI-2026-0042",
        "processing",
        None,
    )
    event = _events(application, AuditAction.BENEFIT_APPLICATION_CREATE).get()
    assert event.changes["external_id"] == [None, "INPS-ADI-2026-0042"]
    assert "outcome_reason" not in event.changes


def test_without_the_inps_id_the_application_gets_one_of_ours(actors):
    application = _add(actors)
    assert application.external_id == f"crocevia-application-{application.pk}"
    assert application.has_generated_id
    event = _events(application, AuditAction.BENEFIT_APPLICATION_CREATE).get()
    assert event.changes["external_id"] == [None, application.external_id]


def test_our_prefix_cannot_be_typed_and_an_id_is_unique(actors):
    household, person = make_household(actors, person_id="P2", household_id="H2")
    existing = make_application(actors, household=household, applicant=person)
    assert "external_id" in _errors(lambda: _add(actors, external_id="Crocevia-Application-9"))
    assert "external_id" in _errors(lambda: _add(actors, external_id=existing.external_id))
    assert BenefitApplication.objects.get() == existing


def test_an_application_by_hand_is_refused_outside_the_zone_or_in_the_future(actors):
    with pytest.raises(PermissionDenied):
        _add(actors, comune=actors.livorno)
    assert "submitted_on" in _errors(lambda: _add(actors, submitted_on=days_ago(-2)))
    assert not BenefitApplication.objects.exists()


def test_who_may_not_follow_up_is_refused_before_a_version_conflict(actors, processing):
    rejected = _outcome(actors, processing)
    administrative = make_member("amministrativa", actors.sds, "administrative")
    with pytest.raises(PermissionDenied):
        benefit_application_follow_up(
            actor=administrative, application=rejected, on=days_ago(1), note="x", expected_version=1
        )
    household, person = make_household(actors, person_id="PACC", household_id="HACC")
    accepted = make_application(
        actors, household=household, applicant=person, external_id="INPS-ACC"
    )
    with pytest.raises(PermissionDenied):
        benefit_application_follow_up(
            actor=administrative, application=accepted, on=days_ago(1), note="x"
        )
    assert not FollowUp.objects.exists()


# --- an application that opened a case --------------------------------------------------------


def test_an_application_that_opened_a_case_keeps_its_acceptance_and_its_date(actors):
    """The case carries the outcome date as its benefit_outcome_on milestone: neither the
    page nor an import changes the status away from accepted or the date then."""
    application = make_application(actors)
    case = case_open_from_benefit(
        actor=actors.social_worker, application=application, organisation=actors.sds
    )
    errors = _errors(lambda: _outcome(actors, application))
    assert list(errors) == ["status"] and f"n. {case.pk}" in errors["status"][0]
    errors = _errors(
        lambda: _outcome(
            actors, application, status=Status.ACCEPTED, outcome_on=days_ago(60), reason=""
        )
    )
    assert list(errors) == ["outcome_on"]
    row = {
        "external_id": application.external_id,
        "household": application.household,
        "applicant": application.applicant,
        "comune": actors.pisa,
        "measure": application.measure,
        "submitted_on": application.submitted_on,
        "status": Status.PROCESSING,
        "outcome_on": None,
    }
    assert "status" in _errors(
        lambda: benefit_application_import(actor=actors.coordinator, row=row)
    )
    # The same outcome again, or another field, still goes through.
    unchanged = {**row, "status": Status.ACCEPTED, "outcome_on": application.outcome_on}
    assert benefit_application_import(actor=actors.coordinator, row=unchanged)[1] == "unchanged"
    application.refresh_from_db()
    assert (application.status, application.outcome_on, application.version) == (
        Status.ACCEPTED,
        days_ago(70),
        1,
    )
