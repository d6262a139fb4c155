"""Meeting minutes per case (issue 15, item 1) and stale meeting edits (item 12).

What a meeting says about a person is case data: each case discussed has its own minutes
and decisions (MeetingItem), read only by who may see the case; the general notes are
read by everyone who opens the meeting and never name a person. Every role of the
application is swept in tests/test_authorisation_matrix.py
(test_meeting_minutes_reach_only_who_may_see_their_case); here the rules one by one.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases.services import case_set_manager, team_member_remove
from crocevia.cases.tests.test_followup_support import followed_case
from crocevia.meetings import selectors, services
from crocevia.meetings.models import Meeting, MeetingItem
from crocevia.plans.services import plan_draft_save, plan_get_or_create
from crocevia.testing import make_person, state_before_migration

from .support import add_member, days_ago

pytestmark = pytest.mark.django_db

AMINA = {"minutes": "Amina ha trovato casa a Cascina", "decisions": "Attivare il tirocinio"}
BRUNO = {"minutes": "Bruno ha ripreso le cure", "decisions": "Rinviare la verifica"}


def _two_cases(actors):
    """Case A (the CPI consultant on its team) and case B (not), of the same zone."""
    a = followed_case(
        actors,
        person=make_person(actors, family_name="Diallo", given_names="Amina"),
    )
    b = followed_case(
        actors,
        person=make_person(actors, family_name="Esposito", given_names="Bruno"),
    )
    add_member(a, actors.cpi_consultant, actors.cpi, by=actors.social_worker)
    return a, b


def _meeting(actors, cases, items, **kw):
    values = {
        "actor": actors.coordinator,
        "zone": actors.zone,
        "kind": Meeting.Kind.COORDINATION,
        "held_on": days_ago(2),
        "attendees": [actors.coordinator, actors.social_worker, actors.cpi_consultant],
        "cases": cases,
        "notes": "Verificata l'omogeneità dell'offerta",
        "items": items,
    }
    values.update(kw)
    return services.meeting_record(**values)


def _detail(client, meeting) -> str:
    response = client.get(reverse("cases:followup_meeting_detail", args=[meeting.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- Who reads what -------------------------------------------------------------------------


def test_cpi_tutor_outside_a_team_reads_only_the_minutes_of_the_case_they_are_on(actors, login):
    a, b = _two_cases(actors)
    meeting = _meeting(actors, [a, b], {a.pk: AMINA, b.pk: BRUNO})
    html = _detail(login(actors.cpi_consultant), meeting)
    assert "Diallo" in html and AMINA["minutes"] in html and AMINA["decisions"] in html
    assert "Esposito" not in html and "Bruno" not in html
    assert BRUNO["minutes"] not in html and BRUNO["decisions"] not in html
    assert "1 altra presa in carico che non puoi consultare." in html
    assert "Verificata l&#x27;omogeneità dell&#x27;offerta" in html  # general notes


def test_desk_operator_of_the_zone_reads_no_case_text_and_a_plural_count(actors, login):
    a, b = _two_cases(actors)
    meeting = _meeting(actors, [a, b], {a.pk: AMINA, b.pk: BRUNO})
    html = _detail(login(actors.desk_operator), meeting)
    for text in (*AMINA.values(), *BRUNO.values(), "Diallo", "Esposito"):
        assert text not in html
    assert "Altre 2 prese in carico che non puoi consultare." in html


def test_coordinator_reads_every_case_beside_its_name_and_the_case_page_only_its_own(actors, login):
    a, b = _two_cases(actors)
    meeting = _meeting(actors, [a, b], {a.pk: AMINA, b.pk: BRUNO})
    client = login(actors.coordinator)
    html = _detail(client, meeting)
    for text in (*AMINA.values(), *BRUNO.values(), "Diallo", "Esposito"):
        assert text in html
    assert "prese in carico che non puoi consultare" not in html
    # The case page shows what the meeting said of that case, never of the other.
    page = client.get(reverse("cases:detail", args=[a.pk])).content.decode()
    assert AMINA["minutes"] in page and AMINA["decisions"] in page
    assert BRUNO["minutes"] not in page and BRUNO["decisions"] not in page


def test_plan_action_starts_from_the_decisions_about_that_case_only(actors, login):

    a, b = _two_cases(actors)
    plan = plan_get_or_create(actor=actors.social_worker, case=a)
    plan_draft_save(
        actor=actors.social_worker,
        plan=plan,
        expected_revision=1,
        person_commitments="",
        service_commitments="",
        objectives=[],
        actions=[],
    )
    meeting = _meeting(actors, [a, b], {a.pk: AMINA, b.pk: BRUNO})
    response = login(actors.cpi_consultant).get(
        reverse("cases:followup_meeting_detail", args=[meeting.pk])
    )
    [row] = response.context["action_forms"]
    assert row["form"]["description"].value() == AMINA["decisions"]


# --- General notes and the audit ------------------------------------------------------------


def test_general_notes_naming_a_person_of_a_case_discussed_are_refused(actors):
    a, b = _two_cases(actors)
    events = AuditEvent.objects.count()  # the cases' walk along the pathway
    with pytest.raises(ValidationError) as error:
        _meeting(actors, [a, b], {}, notes="Discussa la situazione di Esposito")
    assert "Esposito" in error.value.message_dict["notes"][0]
    assert not Meeting.objects.exists() and AuditEvent.objects.count() == events


def test_notes_naming_a_person_come_back_beside_the_field_with_what_was_typed(actors, login):
    a, _b = _two_cases(actors)
    response = login(actors.coordinator).post(
        reverse("cases:followup_meeting_create"),
        {
            "kind": "team",
            "held_on": days_ago(1).isoformat(),
            "zone": actors.zone.pk,
            "attendees": [actors.coordinator.pk],
            "cases": [a.pk],
            "notes": "Amina Diallo ha bisogno di una casa",
            f"case_{a.pk}_minutes": "Testo del caso",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="notes-error"' in html and "Le note generali nominano Diallo" in html
    assert "Testo del caso" in html  # the case's minutes typed are kept
    assert not Meeting.objects.exists()


def test_audit_records_that_meeting_text_changed_never_what_it_says(actors):
    a, b = _two_cases(actors)
    meeting = _meeting(actors, [a, b], {a.pk: AMINA, b.pk: BRUNO})
    services.meeting_update(
        actor=actors.coordinator,
        meeting=meeting,
        zone=actors.zone,
        kind=meeting.kind,
        held_on=meeting.held_on,
        attendees=[actors.coordinator],
        cases=[a],
        notes="Nuove note",
        items={a.pk: {"minutes": "Amina ha firmato il contratto", "decisions": ""}},
        expected_version=1,
    )
    events = AuditEvent.objects.filter(object_type="meetings.meeting")
    dumped = str(list(events.values_list("changes", flat=True)))
    for text in (*AMINA.values(), *BRUNO.values(), "Amina ha firmato", "Nuove note"):
        assert text not in dumped
    # Each change is named (in the history of the person whose case it is), its words not.
    by_person = {(e.action, e.person_id): e.changes for e in events if e.person_id}
    assert {"minutes", "decisions"} <= set(
        by_person[(AuditAction.MEETING_UPDATE_CASE, a.person_id)]
    )
    assert by_person[(AuditAction.MEETING_REMOVE_CASE, b.person_id)]["case"] == [b.pk, None]
    assert "notes" in events.get(action=AuditAction.MEETING_UPDATE).changes


def _meeting_whose_author_no_longer_sees_case_b(actors):
    """Cases A and B discussed by the social worker's meeting; then B moves to the CPI."""
    a, b = _two_cases(actors)
    meeting = _meeting(actors, [a, b], {a.pk: AMINA, b.pk: BRUNO}, actor=actors.social_worker)
    # The coordinator takes B over and the social worker leaves its team.
    b = case_set_manager(actor=actors.coordinator, case=b, user=actors.coordinator)
    team_member_remove(
        actor=actors.coordinator,
        member=b.team.get(user=actors.social_worker, removed_on__isnull=True),
        on=days_ago(0),
    )
    b.created_by = actors.coordinator
    b.organisation = actors.cpi
    b.save()
    return a, b, meeting


def test_an_editor_who_no_longer_sees_a_case_leaves_its_item_as_it_is(actors):
    a, b, meeting = _meeting_whose_author_no_longer_sees_case_b(actors)
    services.meeting_update(
        actor=actors.social_worker,
        meeting=meeting,
        zone=actors.zone,
        kind=meeting.kind,
        held_on=meeting.held_on,
        attendees=[actors.social_worker],
        cases=[a],
        items={a.pk: AMINA},
    )
    item = meeting.items.get(case=b)
    assert (item.minutes, item.decisions) == (BRUNO["minutes"], BRUNO["decisions"])


def test_an_editor_who_does_not_see_every_case_cannot_move_the_meeting_to_another_zone(actors):
    a, b, meeting = _meeting_whose_author_no_longer_sees_case_b(actors)
    with pytest.raises(ValidationError) as refused:
        services.meeting_update(
            actor=actors.social_worker,
            meeting=meeting,
            zone=actors.other_zone,
            kind=meeting.kind,
            held_on=meeting.held_on,
            attendees=[actors.social_worker],
            cases=[a],
            items={a.pk: AMINA},
            expected_version=meeting.version,
        )
    assert "zone" in refused.value.message_dict
    meeting.refresh_from_db()
    assert meeting.zone == actors.zone
    assert set(meeting.items.values_list("case_id", flat=True)) == {a.pk, b.pk}


# --- Earlier minutes (before the items): editors who see every case only -------------------


def test_earlier_minutes_reach_only_an_editor_who_sees_every_case(actors, login):
    a, b = _two_cases(actors)
    meeting = _meeting(actors, [a], {}, actor=actors.cpi_consultant)
    MeetingItem.objects.create(meeting=meeting, case=b)
    # As the migration to items leaves a meeting of several cases: its old text, restricted.
    Meeting.objects.filter(pk=meeting.pk).update(
        restricted_minutes="Caso A: Amina; caso B: Bruno in cura", restricted_decisions="X"
    )
    shown = {}
    for role in ("coordinator", "cpi_consultant", "social_worker", "desk_operator"):
        html = _detail(login(getattr(actors, role)), meeting)
        shown[role] = "Bruno in cura" in html
    # The coordinator may change it and sees both cases; the CPI consultant wrote it but
    # does not see case B; the social worker sees both but may not change it.
    assert shown == {
        "coordinator": True,
        "cpi_consultant": False,
        "social_worker": False,
        "desk_operator": False,
    }
    form = login(actors.cpi_consultant).get(
        reverse("cases:followup_meeting_edit", args=[meeting.pk])
    )
    assert "Bruno in cura" not in form.content.decode()


def test_meetings_with_minutes_count_a_meeting_whose_only_text_is_a_cases(actors):
    a, b = _two_cases(actors)
    _meeting(actors, [a, b], {a.pk: {"decisions": "Solo una decisione"}}, notes="")
    _meeting(actors, [a], {a.pk: {"minutes": "   "}}, notes="  ", kind=Meeting.Kind.TEAM)
    counts = selectors.meetings_with_minutes(actors.zone, days_ago(10), days_ago(0))
    assert counts == {"team": 0, "coordination": 1, "steering": 0}


# --- The form: each case's minutes beside it --------------------------------------------------


def test_showing_the_cases_selected_adds_their_fields_and_saves_nothing(actors, login):
    a, b = _two_cases(actors)
    response = login(actors.coordinator).post(
        reverse("cases:followup_meeting_create"),
        {"refresh": "1", "kind": "team", "cases": [a.pk, b.pk], "notes": "Da completare"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="case_{a.pk}_minutes"' in html and f'name="case_{b.pk}_decisions"' in html
    assert "Da completare" in html and "alert-danger" not in html
    assert not Meeting.objects.exists()


# --- Stale edits (item 12) --------------------------------------------------------------------


def _edit_post(actors, meeting, case, *, minutes, version):
    return {
        "kind": meeting.kind,
        "held_on": meeting.held_on.isoformat(),
        "zone": actors.zone.pk,
        "attendees": [actors.coordinator.pk],
        "cases": [case.pk],
        "notes": "",
        f"case_{case.pk}_minutes": minutes,
        f"case_{case.pk}_decisions": "",
        "version": version,
    }


def test_a_stale_meeting_edit_is_refused_and_keeps_what_was_typed(actors, login):
    a, _b = _two_cases(actors)
    meeting = _meeting(actors, [a], {a.pk: AMINA})
    url = reverse("cases:followup_meeting_edit", args=[meeting.pk])
    first, second = login(actors.coordinator), None
    page = first.get(url).content.decode()
    assert 'name="version" value="1"' in page
    response = first.post(url, _edit_post(actors, meeting, a, minutes="Prima modifica", version=1))
    assert response.status_code == 302
    events = AuditEvent.objects.filter(kind="change").count()
    # A second operator, who opened the form before the first save, saves later.
    second = login(actors.admin)
    response = second.post(
        url, _edit_post(actors, meeting, a, minutes="Seconda modifica", version=1)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Qualcun altro ha modificato questa riunione" in html
    assert "Seconda modifica" in html  # what was typed stays on the form
    assert 'name="version" value="2"' in html  # saving again, after checking, is possible
    assert meeting.items.get().minutes == "Prima modifica"
    assert AuditEvent.objects.filter(kind="change").count() == events  # nothing written
    meeting.refresh_from_db()
    assert meeting.version == 2


def test_saving_again_after_the_refusal_replaces_the_other_change(actors, login):
    a, _b = _two_cases(actors)
    meeting = _meeting(actors, [a], {a.pk: AMINA})
    url = reverse("cases:followup_meeting_edit", args=[meeting.pk])
    client = login(actors.coordinator)
    client.post(url, _edit_post(actors, meeting, a, minutes="Prima", version=1))
    response = client.post(url, _edit_post(actors, meeting, a, minutes="Seconda", version=2))
    assert response.status_code == 302
    assert meeting.items.get().minutes == "Seconda"


# --- The data migration -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_moves_the_text_of_one_case_into_its_item_and_restricts_the_rest(actors):
    a, b = _two_cases(actors)
    executor = MigrationExecutor(connection)
    before = state_before_migration(executor, "cases", "_meeting_items_per_case")
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("cases", "Meeting")

    def legacy(cases, minutes, decisions):
        meeting = old.objects.create(
            kind="team",
            held_on=days_ago(3),
            zone_id=actors.zone.pk,
            minutes=minutes,
            decisions=decisions,
            created_by_id=actors.coordinator.pk,
        )
        meeting.cases.set([c.pk for c in cases])
        return meeting.pk

    one = legacy([a], "Amina: casa trovata", "Tirocinio")
    several = legacy([a, b], "Amina e Bruno", "Per Bruno: cure")
    none = legacy([], "Riunione su Amina", "")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # the items and whatever follows

    one, several, none = (Meeting.objects.get(pk=pk) for pk in (one, several, none))
    item = one.items.get()
    assert (item.case_id, item.minutes, item.decisions) == (
        a.pk,
        "Amina: casa trovata",
        "Tirocinio",
    )
    assert not one.has_restricted_text and one.notes == ""
    assert set(several.items.values_list("case_id", "minutes", "decisions")) == {
        (a.pk, "", ""),
        (b.pk, "", ""),
    }
    assert (several.restricted_minutes, several.restricted_decisions) == (
        "Amina e Bruno",
        "Per Bruno: cure",
    )
    assert none.restricted_minutes == "Riunione su Amina" and none.notes == ""
    assert all(m.version == 1 for m in (one, several, none))


def test_meeting_page_queries_do_not_grow_with_the_cases_discussed(actors, login):
    client = login(actors.cpi_consultant)
    counts = []
    for n in (1, 4):
        cases = [followed_case(actors) for _ in range(n)]
        for case in cases[::2]:
            add_member(case, actors.cpi_consultant, actors.cpi, by=actors.social_worker)
        meeting = _meeting(actors, cases, {c.pk: AMINA for c in cases})
        with CaptureQueriesContext(connection) as queries:
            _detail(client, meeting)
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db(transaction=True)
def test_migrating_back_puts_each_cases_text_into_the_meetings_text(actors):
    a, b = _two_cases(actors)
    meeting = _meeting(actors, [a, b], {a.pk: AMINA, b.pk: {"minutes": "Bruno", "decisions": ""}})
    executor = MigrationExecutor(connection)
    before = state_before_migration(executor, "cases", "_meeting_items_per_case")
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("cases", "Meeting")
        restored = old.objects.get(pk=meeting.pk)
        assert restored.minutes.splitlines() == [
            "Verificata l'omogeneità dell'offerta",
            f"Caso n. {a.pk}: {AMINA['minutes']}",
            f"Caso n. {b.pk}: Bruno",
        ]
        assert restored.decisions == f"Caso n. {a.pk}: {AMINA['decisions']}"
        assert sorted(restored.cases.values_list("pk", flat=True)) == sorted([a.pk, b.pk])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_coordinator_moves_the_earlier_minutes_beside_each_case_and_empties_them(actors, login):
    a, b = _two_cases(actors)
    meeting = _meeting(actors, [a, b], {})
    Meeting.objects.filter(pk=meeting.pk).update(
        restricted_minutes="Amina: casa; Bruno: cure", restricted_decisions="Tirocinio per Amina"
    )
    client = login(actors.coordinator)
    url = reverse("cases:followup_meeting_edit", args=[meeting.pk])
    form = client.get(url).content.decode()
    assert 'name="restricted_minutes"' in form and "Amina: casa; Bruno: cure" in form
    response = client.post(
        url,
        {
            "kind": meeting.kind,
            "held_on": meeting.held_on.isoformat(),
            "zone": actors.zone.pk,
            "attendees": [actors.coordinator.pk],
            "cases": [a.pk, b.pk],
            f"case_{a.pk}_minutes": "Casa",
            f"case_{a.pk}_decisions": "Tirocinio",
            f"case_{b.pk}_minutes": "Cure",
            "restricted_minutes": "",
            "restricted_decisions": "",
            "version": 1,
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert not meeting.has_restricted_text and meeting.version == 2
    assert set(meeting.items.values_list("case_id", "minutes", "decisions")) == {
        (a.pk, "Casa", "Tirocinio"),
        (b.pk, "Cure", ""),
    }
    assert 'id="meeting-restricted"' not in _detail(client, meeting)
