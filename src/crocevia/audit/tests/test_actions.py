"""One audit vocabulary (issue 17): events are written with members of AuditAction only;
the events written before it keep their old actions (sealed) and read as their members."""

import json
import re

import pytest
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from crocevia.audit.actions import (
    LEGACY_ACTIONS,
    LEGACY_VERBS,
    AuditAction,
    action_filter,
    action_for,
    action_label,
    check_action,
    resolve,
)
from crocevia.audit.bulk import change_event_rows, insert_change_events
from crocevia.audit.chain import seal_pending, verify_chain
from crocevia.audit.models import AuditEvent
from crocevia.audit.recording import record_access
from crocevia.audit.services import audit_access, audit_change
from crocevia.cases.models import Stage
from crocevia.people import access_report as report
from crocevia.people import services as people_services
from crocevia.people.tests.helpers import AWA_CF, register
from crocevia.testing import make_case

from .helpers import sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def awa(actors):
    return register(actors.desk_operator, codice_fiscale=AWA_CF)


def old_event(action, *, object_type, object_id, person, kind="change", changes=None):
    """An event as the trail held them before the vocabulary, written past the
    application (which refuses an old action now), then sealed as any other."""
    sql(
        "INSERT INTO audit_auditevent (at, kind, action, actor_organisations, object_type, "
        "object_id, person_id, changes, note) "
        "VALUES (CURRENT_TIMESTAMP, %s, %s, '', %s, %s, %s, %s, '')",
        [kind, action, object_type, str(object_id), person.pk, json.dumps(changes or {})],
    )
    seal_pending()
    return AuditEvent.objects.filter(action=action, object_id=str(object_id)).latest("id")


# --- the vocabulary -------------------------------------------------------------------------


def test_every_action_is_object_dot_verb_in_lower_case_and_fits_the_column():
    width = AuditEvent._meta.get_field("action").max_length
    for member in AuditAction:
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", member.value), member
        assert len(member.value) <= width
        assert str(member.label)


def test_no_old_action_is_a_new_one_and_each_names_a_member():
    assert not set(LEGACY_ACTIONS) & set(AuditAction.values)
    assert not LEGACY_VERBS & set(AuditAction.values)
    assert all(isinstance(member, AuditAction) for member in LEGACY_ACTIONS.values())


def test_the_views_of_every_object_an_access_function_records_are_actions():
    for label in [
        "people.person",
        "cases.case",
        "cases.meeting",
        "meetings.meeting",  # the same action wherever the model lives
        "desk.contact",
        "desk.referral",
        "plans.plan",
        "plans.planversion",
        "interventions.intervention",
        "programmes.programme",
        "network.agreement",
        "interchange.importjob",
    ]:
        assert action_for(label, "view").verb == "view"


# --- writers refuse anything else -------------------------------------------------------------


@pytest.mark.parametrize("action", ["update", "team_add", "transition:closed", "made.up", ""])
def test_writing_an_action_that_is_not_a_member_is_refused_and_writes_nothing(actors, awa, action):
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError, match="Not an audit action"):
        audit_change(actor=actors.admin, action=action, instance=awa, changes={}, person=awa)
    with pytest.raises(ValueError, match="Not an audit action"):
        AuditEvent.objects.create(kind="change", action=action, object_type="x.y", object_id="1")
    with pytest.raises(ValueError, match="Not an audit action"):
        AuditEvent.objects.bulk_create(
            [AuditEvent(kind="change", action=action, object_type="x.y", object_id="1")]
        )
    with pytest.raises(ValueError, match="Not an audit action"):
        change_event_rows("people.person", actors.admin, [(action, awa.pk, {}, awa.pk)])
    with pytest.raises(ValueError, match="Not an audit action"):
        insert_change_events("people.person", actors.admin, [(action, awa.pk, {}, awa.pk)])
    assert AuditEvent.objects.count() == before


def test_a_member_or_its_value_is_written_as_the_value(actors, awa):
    event = audit_change(
        actor=actors.admin, action="person.update", instance=awa, changes={}, person=awa
    )
    event.refresh_from_db()
    assert event.action == AuditAction.PERSON_UPDATE
    assert type(check_action("person.update")) is AuditAction


def test_access_events_name_the_view_of_their_object(actors, awa):
    case = make_case(actors)
    record_access(actor=actors.social_worker, instance=case, person_id=case.person_id)
    event = audit_access(actor=actors.social_worker, instance=awa, person=awa)
    assert event.action == AuditAction.PERSON_VIEW
    assert AuditEvent.objects.filter(object_type="cases.case", kind="access").get().action == (
        AuditAction.CASE_VIEW
    )


# --- readers read the old actions as their members --------------------------------------------


def test_old_actions_resolve_to_their_members():
    assert resolve("team_add", "cases.teammember") == AuditAction.TEAM_ADD
    assert resolve("transition:closed", "cases.case") == AuditAction.CASE_TRANSITION
    assert resolve("create", "people.person") == AuditAction.PERSON_CREATE
    assert resolve("create", "cases.case") == AuditAction.CASE_CREATE
    assert resolve("update", "assessments.intake") == AuditAction.INTAKE_UPDATE
    assert resolve("view", "plans.planversion") == AuditAction.PLAN_VERSION_VIEW
    assert resolve("export", "interchange.persons") == AuditAction.DATA_EXPORT
    assert resolve("programme.update", "programmes.programme") == AuditAction.PROGRAMME_UPDATE
    assert resolve("something else", "x.y") is None


def test_an_old_event_shows_its_members_label_in_the_access_report(actors, login):
    case = make_case(actors)
    awa = case.person
    old_event("team_add", object_type="cases.teammember", object_id=1, person=awa)
    old_event(
        "transition:closed",
        object_type="cases.case",
        object_id=case.pk,
        person=awa,
        changes={"stage": ["in_progress", "closed"]},
    )
    created = old_event("create", object_type="people.person", object_id=awa.pk, person=awa)
    old_event("view", object_type="people.person", object_id=awa.pk, person=awa, kind="access")
    assert verify_chain().ok
    with translation.override("en"):
        response = login(actors.admin).get(reverse("people:audit", args=[awa.pk]))
        content = response.content.decode()
    labels = {row.event.action: row.action for row in response.context["rows"]}
    # The page speaks the request's language (LocaleMiddleware), whatever the test's.
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        assert labels["team_add"] == str(AuditAction.TEAM_ADD.label)
        assert labels["transition:closed"] == str(AuditAction.CASE_TRANSITION.label)
        assert labels["create"] == str(AuditAction.PERSON_CREATE.label)
        assert labels["view"] == str(AuditAction.PERSON_VIEW.label)
    with translation.override("en"):
        assert str(AuditAction.TEAM_ADD.label) == "Team member added"
        assert str(AuditAction.CASE_TRANSITION.label) == "Case moved to another stage"
    for label in labels.values():
        assert escape(label) in content
    assert ">team_add<" not in content and "transition:closed" not in content
    # "Created" as for a new creation.
    with translation.override("en"):
        [row] = report.rows([created])
    assert row.what == f"Created: person {awa.pk}"


def test_old_and_new_events_read_alike(actors):
    case = make_case(actors, stage=Stage.PREASSESSED)  # the team's first members
    old = old_event("team_add", object_type="cases.teammember", object_id=1, person=case.person)
    new = AuditEvent.objects.filter(action=AuditAction.TEAM_ADD).first()
    with translation.override("en"):
        assert action_label(old) == action_label(new) == "Team member added"
        assert report.what(old).split(":")[0] == report.what(new).split(":")[0] == "Changed"


def test_the_filter_of_a_member_finds_its_old_and_new_events(actors):
    case = make_case(actors)  # a new case.create
    awa = case.person
    old_create = old_event("create", object_type="cases.case", object_id=case.pk, person=awa)
    old_event("create", object_type="people.person", object_id=awa.pk, person=awa)
    old_team = old_event("team_add", object_type="cases.teammember", object_id=1, person=awa)
    new_create = AuditEvent.objects.get(action=AuditAction.CASE_CREATE)
    found = set(AuditEvent.objects.filter(action_filter(AuditAction.CASE_CREATE)))
    assert found == {old_create, new_create}
    both = AuditEvent.objects.filter(action_filter(AuditAction.CASE_CREATE, AuditAction.TEAM_ADD))
    assert set(both) == {old_create, new_create, old_team}


def test_the_admin_filters_by_member_old_events_included(actors, awa, login):
    people_services.person_update(actor=actors.social_worker, person=awa, data={"phone": "055"})
    old = old_event("update", object_type="people.person", object_id=awa.pk, person=awa)
    new = AuditEvent.objects.get(action=AuditAction.PERSON_UPDATE)
    response = login(actors.admin).get(
        reverse("admin:audit_auditevent_changelist"), {"action_is": "person.update"}
    )
    assert response.status_code == 200
    listed = set(response.context["cl"].result_list)
    assert listed == {old, new}


def test_a_member_is_a_plain_string_for_the_database():
    field = models.CharField(max_length=40)
    assert field.get_prep_value(AuditAction.CASE_CREATE) == "case.create"


def test_every_model_whose_key_an_import_claims_has_its_update_action():
    """claim_exchange_keys writes action_for(model, "update") for each model with a
    fallback key (INTERCHANGE.md): a household or a case of the application's own."""
    from crocevia.interchange.kinds import get_kind, kind_names

    models = {
        model._meta.label_lower
        for name in kind_names()
        for model, _prefix, _person in get_kind(name).fallback_keys.values()
    }
    assert {"people.household", "cases.case"} <= models
    for label in models:
        assert action_for(label, "update").verb == "update"
