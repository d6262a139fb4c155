"""Validation of the plan by the coordination group (issue 18, part 4; seed 004): the
case manager submits the draft, a coordinator of the case's zone validates it or returns
it with comments; an inclusion project is signed only once validated, and a change to a
submitted or validated draft sends it back to be submitted again."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.sensitive import SENSITIVE_CHANGE
from crocevia.cases.models import NeedClass, Priority, Stage
from crocevia.cases.services import case_set_priority
from crocevia.meetings.models import Meeting
from crocevia.meetings.services import meeting_record, plan_action_add_from_meeting
from crocevia.notifications.models import Notification, NotificationKind
from crocevia.plans.models import PlanVersion, ValidationEvent, ValidationStatus
from crocevia.plans.selectors import plans_to_validate
from crocevia.plans.services import (
    plan_draft_save,
    plan_get_or_create,
    plan_return,
    plan_sign,
    plan_submit,
    plan_validate,
)
from crocevia.testing import (
    days_ago,
    make_case,
    make_person,
    other_zone_cast,
    state_before_migration,
    validate_plan,
)

pytestmark = pytest.mark.django_db

OBJECTIVE = {"dimension": "work", "text": "Trovare un tirocinio nella ristorazione"}


def _draft(actors, *, need_class=NeedClass.COMPLEX, stage=Stage.ASSESSED, family="Diallo"):
    """A case (complex: assessed, the social worker its case manager) with a plan whose
    draft has one objective."""
    person = make_person(actors, family_name=family, given_names="Aminata")
    case = make_case(actors, stage=stage, need_class=need_class, person=person)
    plan = plan_get_or_create(actor=actors.social_worker, case=case)
    _save(actors, plan)
    return case, plan


def _save(actors, plan, text=OBJECTIVE["text"], user=None):
    current = plan.versions.order_by("-number").first()
    return plan_draft_save(
        actor=user or actors.social_worker,
        plan=plan,
        expected_revision=current.revision,
        person_commitments="Frequentare il corso",
        service_commitments="Attivare il tirocinio",
        objectives=[{"dimension": "work", "text": text}],
        actions=[],
    )


def _status(plan) -> str:
    return plan.versions.order_by("-number").first().validation_status


def _sign(actors, plan, on):
    return plan_sign(
        actor=actors.social_worker,
        version=plan.versions.order_by("-number").first(),
        signed_on=on,
        operators=[actors.social_worker],
    )


# --- the services ---------------------------------------------------------------------------


def test_case_manager_submits_the_coordinator_validates_then_the_plan_is_signed(actors):
    case, plan = _draft(actors)
    assert case.case_manager == actors.social_worker
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(12), note="Pronto")
    assert _status(plan) == ValidationStatus.SUBMITTED
    version = plan_validate(actor=actors.coordinator, plan=plan, on=days_ago(10))
    assert version.validation_status == ValidationStatus.VALIDATED
    assert (version.validated_on, version.validated_by) == (days_ago(10), actors.coordinator)

    _sign(actors, plan, days_ago(9))
    case.refresh_from_db()
    assert case.stage == Stage.PLAN_SIGNED and case.plan_signed_on == days_ago(9)
    steps = list(ValidationEvent.objects.filter(version=version).values_list("kind", "on", "by"))
    assert steps == [
        (ValidationEvent.Kind.SUBMITTED, days_ago(12), actors.social_worker.pk),
        (ValidationEvent.Kind.VALIDATED, days_ago(10), actors.coordinator.pk),
    ]
    submitted = AuditEvent.objects.get(action=AuditAction.PLAN_SUBMIT, object_id=str(plan.pk))
    assert submitted.changes["validation_status"] == ["draft", "submitted"]
    assert submitted.changes["validation_comments"] == SENSITIVE_CHANGE  # the note, redacted
    assert submitted.person_id == case.person_id
    assert AuditEvent.objects.filter(
        action=AuditAction.PLAN_VALIDATE, object_id=str(plan.pk), actor=actors.coordinator
    ).exists()


def test_an_inclusion_project_is_not_signed_before_its_validation(actors):
    case, plan = _draft(actors)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        _sign(actors, plan, days_ago(5))
    assert "coordination group" in " ".join(error.value.messages)
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(6))
    with pytest.raises(ValidationError):  # submitted is not validated
        _sign(actors, plan, days_ago(5))
    plan_validate(actor=actors.coordinator, plan=plan, on=days_ago(4))
    with pytest.raises(ValidationError) as error:  # signed before it was validated
        _sign(actors, plan, days_ago(5))
    assert "signed_on" in error.value.message_dict
    case.refresh_from_db()
    assert case.stage == Stage.ASSESSED and case.plan_signed_on is None
    assert not plan.versions.get().is_frozen


def test_a_service_pact_and_a_social_project_are_signed_without_validation(actors):
    for need, family in ((NeedClass.WORK, "Ba"), (NeedClass.SOCIAL, "Sow")):
        case, plan = _draft(actors, need_class=need, stage=Stage.PREASSESSED, family=family)
        assert not plan.requires_validation
        with pytest.raises(ValidationError):
            plan_submit(actor=actors.admin, plan=plan, on=days_ago(5))
        _sign(actors, plan, days_ago(5))
        case.refresh_from_db()
        assert case.stage == Stage.PLAN_SIGNED


def test_only_the_case_manager_submits_and_only_the_zone_coordinator_decides(actors):
    case, plan = _draft(actors)
    for someone in (actors.cpi_consultant, actors.coordinator, actors.desk_operator):
        with pytest.raises(PermissionDenied):
            plan_submit(actor=someone, plan=plan, on=days_ago(5))
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(5))
    other = other_zone_cast(actors)
    for someone in (actors.social_worker, actors.cpi_consultant, other.coordinator):
        with pytest.raises(PermissionDenied):
            plan_validate(actor=someone, plan=plan, on=days_ago(4))
        with pytest.raises(PermissionDenied):
            plan_return(actor=someone, plan=plan, on=days_ago(4), comments="No")
    assert _status(plan) == ValidationStatus.SUBMITTED
    assert not AuditEvent.objects.filter(
        action__in=[AuditAction.PLAN_VALIDATE, AuditAction.PLAN_RETURN]
    ).exists()
    assert ValidationEvent.objects.count() == 1


def test_a_return_needs_comments_and_the_history_keeps_every_submission(actors):
    _case, plan = _draft(actors)
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(20))
    with pytest.raises(ValidationError) as error:
        plan_return(actor=actors.coordinator, plan=plan, on=days_ago(18), comments="  ")
    assert "comments" in error.value.message_dict
    assert _status(plan) == ValidationStatus.SUBMITTED

    plan_return(
        actor=actors.coordinator,
        plan=plan,
        on=days_ago(18),
        comments="Manca l'obiettivo sull'italiano",
    )
    assert _status(plan) == ValidationStatus.RETURNED
    with pytest.raises(ValidationError):  # returned, not waiting any more
        plan_validate(actor=actors.coordinator, plan=plan, on=days_ago(17))
    _save(actors, plan, text="Trovare un tirocinio e seguire il corso A2")
    assert _status(plan) == ValidationStatus.RETURNED  # until it is submitted again
    with pytest.raises(ValidationError) as error:  # not before the return
        plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(19))
    assert "on" in error.value.message_dict
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(16))
    plan_validate(actor=actors.coordinator, plan=plan, on=days_ago(15))

    steps = list(ValidationEvent.objects.order_by("pk").values_list("kind", "on", "comments"))
    assert steps == [
        ("submitted", days_ago(20), ""),
        ("returned", days_ago(18), "Manca l'obiettivo sull'italiano"),
        ("submitted", days_ago(16), ""),
        ("validated", days_ago(15), ""),
    ]
    returned = AuditEvent.objects.get(action=AuditAction.PLAN_RETURN)
    assert returned.changes["validation_comments"] == SENSITIVE_CHANGE
    assert "italiano" not in str(returned.changes)


def test_changing_a_submitted_or_validated_draft_sends_it_back_to_be_submitted(actors):
    _case, plan = _draft(actors)
    validate_plan(actors, plan)
    version = _save(actors, plan)  # the same content: still validated
    assert version.validation_status == ValidationStatus.VALIDATED

    version = _save(actors, plan, text="Un altro obiettivo", user=actors.cpi_consultant)
    assert version.validation_status == ValidationStatus.DRAFT
    assert version.validated_on is None and version.validated_by is None
    reopened = ValidationEvent.objects.filter(version=version).last()
    assert (reopened.kind, reopened.by) == (ValidationEvent.Kind.REOPENED, actors.cpi_consultant)
    saved = AuditEvent.objects.filter(action=AuditAction.PLAN_VERSION_SAVE).order_by("pk").last()
    assert saved.changes["validation_status"] == ["validated", "draft"]
    with pytest.raises(ValidationError):
        _sign(actors, plan, days_ago(1))

    # A meeting's decision added to a submitted draft withdraws it too.
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(2))
    meeting = meeting_record(
        actor=actors.coordinator,
        zone=actors.zone,
        kind=Meeting.Kind.TEAM,
        held_on=days_ago(1),
        attendees=[actors.social_worker],
        cases=[plan.case],
        notes="Riunione",
        items={plan.case.pk: {"minutes": "", "decisions": "Corso di italiano"}},
    )
    plan_action_add_from_meeting(
        actor=actors.social_worker,
        meeting=meeting,
        case=plan.case,
        description="Iscrizione al corso di italiano",
        responsible_organisation=actors.cpi,
    )
    assert _status(plan) == ValidationStatus.DRAFT


def test_a_new_version_after_the_signature_is_validated_again(actors):
    case, plan = _draft(actors)
    validate_plan(actors, plan, on=days_ago(25))
    _sign(actors, plan, days_ago(20))
    v2 = _save(actors, plan, text="Obiettivo rivisto alla verifica")
    assert v2.number == 2 and v2.validation_status == ValidationStatus.DRAFT
    assert plan.versions.get(number=1).is_validated  # the signed one stays as it was
    with pytest.raises(ValidationError):
        _sign(actors, plan, days_ago(1))
    validate_plan(actors, plan, on=days_ago(2))
    _sign(actors, plan, days_ago(1))
    assert plan.versions.get(number=2).is_frozen


def test_a_decision_on_a_plan_changed_since_it_was_read_is_refused(actors):
    _case, plan = _draft(actors)
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(3))
    read = plan.versions.get().revision
    _save(actors, plan, text="Cambiato")  # withdrawn...
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(2))  # ...and sent again
    with translation.override("en"), pytest.raises(ValidationError) as error:
        plan_validate(actor=actors.coordinator, plan=plan, on=days_ago(1), expected_revision=read)
    assert "changed" in " ".join(error.value.messages)
    assert _status(plan) == ValidationStatus.SUBMITTED


def test_plans_to_validate_are_the_zones_submitted_drafts_by_priority_then_age(actors):
    older, older_plan = _draft(actors, family="Primo")
    urgent, urgent_plan = _draft(actors, family="Secondo")
    draft, _draft_plan = _draft(actors, family="Terzo")  # never submitted
    plan_submit(actor=actors.social_worker, plan=older_plan, on=days_ago(10))
    plan_submit(actor=actors.social_worker, plan=urgent_plan, on=days_ago(3))
    assert [v.plan.case for v in plans_to_validate(actors.coordinator)] == [older, urgent]
    case_set_priority(actor=actors.coordinator, case=urgent, priority=Priority.HIGH)
    rows = list(plans_to_validate(actors.coordinator))
    assert [v.plan.case for v in rows] == [urgent, older]
    assert rows[0].submitted_on == days_ago(3)
    assert not plans_to_validate(other_zone_cast(actors).coordinator).exists()
    assert not plans_to_validate(actors.social_worker).exists()
    assert plans_to_validate(actors.admin).count() == 2


# --- the pages --------------------------------------------------------------------------------


def test_the_case_page_shows_the_state_and_the_buttons_of_whoever_may_act(actors, login):
    case, plan = _draft(actors)
    url = reverse("cases:detail", args=[case.pk])
    submit = reverse("plans:submit", args=[plan.pk])
    validate = reverse("plans:validate", args=[plan.pk])
    sign = reverse("plans:sign", args=[plan.pk, 1])

    manager = login(actors.social_worker).get(url).content.decode()
    assert submit in manager and validate not in manager and sign not in manager
    with translation.override("it"):
        assert escape(str(ValidationStatus.DRAFT.label)).lower() in manager.lower()
    coordinator = login(actors.coordinator).get(url).content.decode()
    assert submit not in coordinator and validate not in coordinator

    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(3))
    coordinator = login(actors.coordinator).get(url).content.decode()
    assert validate in coordinator and sign not in coordinator
    assert submit not in login(actors.social_worker).get(url).content.decode()

    plan_return(actor=actors.coordinator, plan=plan, on=days_ago(2), comments="Più dettagli")
    manager = login(actors.social_worker).get(url).content.decode()
    assert submit in manager and "Più dettagli" in manager

    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(1))
    plan_validate(actor=actors.coordinator, plan=plan, on=days_ago(1))
    manager = login(actors.social_worker).get(url).content.decode()
    assert sign in manager and submit not in manager
    assert actors.coordinator.get_full_name() in manager


def test_submitting_over_http_shows_errors_beside_the_fields_and_keeps_the_note(actors, login):
    case, plan = _draft(actors)
    url = reverse("plans:submit", args=[plan.pk])
    assert login(actors.cpi_consultant).get(url).status_code == 403
    client = login(actors.social_worker)
    assert client.get(url).status_code == 200
    future = days_ago(-3).isoformat()
    response = client.post(url, {"on": future, "note": "Da vedere con urgenza"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="on-error"' in html and "Da vedere con urgenza" in html
    assert _status(plan) == ValidationStatus.DRAFT and not ValidationEvent.objects.exists()

    response = client.post(url, {"on": days_ago(1).isoformat(), "note": "Pronto"})
    assert response.status_code == 302
    assert _status(plan) == ValidationStatus.SUBMITTED


def test_the_coordinator_returns_with_comments_or_validates_from_its_page(actors, login):
    case, plan = _draft(actors)
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(3))
    url = reverse("plans:validate", args=[plan.pk])
    assert login(actors.social_worker).get(url).status_code == 403
    assert login(other_zone_cast(actors).coordinator).get(url).status_code == 404
    client = login(actors.coordinator)
    page = client.get(url)
    assert page.status_code == 200 and OBJECTIVE["text"] in page.content.decode()
    revision = plan.versions.get().revision

    data = {"on": days_ago(1).isoformat(), "revision": revision, "decision": "return"}
    response = client.post(url, {**data, "comments": ""})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="comments-error"' in html
    assert _status(plan) == ValidationStatus.SUBMITTED

    response = client.post(url, {**data, "comments": "Aggiungere il corso di italiano"})
    assert response.status_code == 302
    assert _status(plan) == ValidationStatus.RETURNED

    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(1))
    response = client.post(url, {**data, "decision": "validate", "comments": ""})
    assert response.status_code == 302
    assert _status(plan) == ValidationStatus.VALIDATED


def test_the_coordination_page_lists_the_plans_to_validate(actors, login):
    case, plan = _draft(actors, family="Kone")
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(2))
    html = login(actors.coordinator).get(reverse("cases:coordination")).content.decode()
    section = html.split('id="plans-to-validate"', 1)[1].split("</section>", 1)[0]
    assert "Kone" in section and reverse("plans:validate", args=[plan.pk]) in section
    plan_validate(actor=actors.coordinator, plan=plan, on=days_ago(1))
    html = login(actors.coordinator).get(reverse("cases:coordination")).content.decode()
    # (The case stays on the page among the open LEP obligations: no intervention yet.)
    assert "Kone" not in html.split('id="plans-to-validate"', 1)[1].split("</section>", 1)[0]


# --- the migration ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_counts_signed_versions_as_validated_and_keeps_the_old_validation(actors):
    case = make_case(actors, stage=Stage.ASSESSED)
    draft_case = make_case(actors, stage=Stage.ASSESSED)
    executor = MigrationExecutor(connection)
    before = state_before_migration(executor, "plans", "_plan_validation")
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Plan, Version = apps.get_model("plans", "Plan"), apps.get_model("plans", "PlanVersion")
    plan = Plan.objects.create(
        case_id=case.pk,
        kind="inclusion_project",
        validated_on=days_ago(5),
        validated_by_id=actors.coordinator.pk,
    )
    for number, signed in ((1, days_ago(20)), (2, days_ago(8)), (3, None)):
        Version.objects.create(
            plan=plan, number=number, signed_on=signed, updated_by_id=actors.social_worker.pk
        )
    draft = Plan.objects.create(case_id=draft_case.pk, kind="inclusion_project")
    Version.objects.create(plan=draft, number=1, updated_by_id=actors.social_worker.pk)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    versions = {v.number: v for v in PlanVersion.objects.filter(plan_id=plan.pk)}
    assert versions[1].validation_status == versions[2].validation_status == "validated"
    assert (versions[1].validated_on, versions[1].validated_by_id) == (None, None)
    # The old validation (after the signature) belongs to the version signed last before it.
    assert (versions[2].validated_on, versions[2].validated_by_id) == (
        days_ago(5),
        actors.coordinator.pk,
    )
    assert versions[3].validation_status == "draft"
    step = ValidationEvent.objects.get()
    assert (step.version_id, step.kind, step.on) == (versions[2].pk, "validated", days_ago(5))
    assert PlanVersion.objects.get(plan_id=draft.pk).validation_status == "draft"


def test_the_coordinators_learn_of_a_plan_to_validate_and_the_manager_of_its_return(actors):
    case, plan = _draft(actors)
    Notification.objects.all().delete()
    plan_submit(actor=actors.social_worker, plan=plan, on=days_ago(20))
    [to_validate] = Notification.objects.filter(kind=NotificationKind.PLAN_TO_VALIDATE)
    assert to_validate.recipient == actors.coordinator
    assert to_validate.url == reverse("plans:validate", args=[plan.pk])
    plan_return(actor=actors.coordinator, plan=plan, on=days_ago(18), comments="Manca l'obiettivo")
    [returned] = Notification.objects.filter(kind=NotificationKind.PLAN_RETURNED)
    assert returned.recipient == case.case_manager == actors.social_worker
    # The comments stay in the application.
    assert "obiettivo" not in returned.title + returned.reference
