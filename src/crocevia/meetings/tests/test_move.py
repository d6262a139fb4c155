"""The models moved from `cases` to `meetings` (issue 17) on the same tables: a meeting
recorded before the move is the same meeting after it, and the events written under the
old label still name it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.sensitive import model_for, sensitive_fields
from crocevia.meetings.models import Meeting, MeetingItem
from crocevia.people.access_report import changed_fields, what
from crocevia.plans.models import Action, Plan, PlanVersion

from .support import days_ago, make_case

# Before the move: cases with its meetings, plans with Action.from_meeting -> cases.Meeting.
BEFORE_THE_MOVE = [("cases", "0004_meeting_items_per_case"), ("plans", "0002_action_from_meeting")]


def test_the_moved_models_keep_their_tables():
    assert Meeting._meta.db_table == "cases_meeting"
    assert MeetingItem._meta.db_table == "cases_meetingitem"
    assert Meeting.attendees.through._meta.db_table == "cases_meeting_attendees"
    assert Action._meta.get_field("from_meeting").related_model is Meeting


@pytest.mark.django_db(transaction=True)
def test_a_meeting_recorded_before_the_move_survives_it(actors):
    case = make_case(actors)
    plan = Plan.objects.create(case=case, kind="social_project")
    version = PlanVersion.objects.create(plan=plan, number=1, updated_by=actors.social_worker)
    executor = MigrationExecutor(connection)
    executor.migrate([("meetings", None)])  # unapplies the move, and only it
    old = executor.loader.project_state(BEFORE_THE_MOVE).apps
    assert not executor.loader.project_state(BEFORE_THE_MOVE).models.get(("meetings", "meeting"))
    meeting = old.get_model("cases", "Meeting").objects.create(
        kind="coordination",
        held_on=days_ago(3),
        zone_id=actors.zone.pk,
        notes="Verificata l'offerta",
        restricted_minutes="Prima delle voci per caso",
        created_by_id=actors.coordinator.pk,
    )
    meeting.attendees.set([actors.coordinator.pk, actors.social_worker.pk])
    old.get_model("cases", "MeetingItem").objects.create(
        meeting_id=meeting.pk, case_id=case.pk, minutes="Casa trovata", decisions="Tirocinio"
    )
    action = old.get_model("plans", "Action").objects.create(
        version_id=version.pk, description="Tirocinio", from_meeting_id=meeting.pk
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = Meeting.objects.get(pk=meeting.pk)
    assert (moved.kind, moved.held_on, moved.zone, moved.notes, moved.version) == (
        "coordination",
        days_ago(3),
        actors.zone,
        "Verificata l'offerta",
        1,
    )
    assert moved.has_restricted_text
    assert set(moved.attendees.all()) == {actors.coordinator, actors.social_worker}
    assert list(moved.cases.all()) == [case]
    item = moved.items.get()
    assert (item.case, item.minutes, item.decisions) == (case, "Casa trovata", "Tirocinio")
    assert list(case.meetings.all()) == [moved]
    assert Action.objects.get(pk=action.pk).from_meeting == moved


@pytest.mark.django_db
def test_events_written_under_the_old_label_still_name_the_meeting_and_hide_its_minutes(actors):
    assert model_for("cases.meeting") is Meeting
    assert model_for("cases.meetingitem") is MeetingItem
    assert {"notes", "restricted_minutes"} <= sensitive_fields("cases.meeting")
    # An event sealed before sensitive fields were left out of the trail holds the text.
    event = AuditEvent(
        kind=AuditEvent.Kind.CHANGE,
        action=AuditAction.MEETING_UPDATE,
        actor=actors.coordinator,
        object_type="cases.meeting",
        object_id="1",
        changes={"notes": ["Amina ha trovato casa", "Amina"], "kind": ["team", "steering"]},
    )
    shown = {label: (old, new) for label, old, new in changed_fields(event)}
    assert "Amina" not in str(shown)
    assert ("team", "steering") in shown.values()
    assert "1" in what(event) and "cases.meeting" not in what(event)
