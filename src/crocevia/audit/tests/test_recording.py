"""Access events recorded by the access functions (crocevia.audit.recording), through HTTP.

The table of every URL and its events is tests/test_access_events.py; these prove what
the table cannot show with one world: what a person finds in their access report, the
cost of a list, a refusal after the object was obtained, a meeting whose case the viewer
may not see.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crocevia.audit.chain import verify_chain
from crocevia.audit.models import AuditEvent
from crocevia.cases.models import NeedClass, Stage
from crocevia.cases.workflow import case_transition
from crocevia.jobs.testing import run_jobs
from crocevia.meetings.models import Meeting
from crocevia.meetings.services import meeting_record
from crocevia.people.access import get_person_for
from crocevia.testing import build_actors, make_case, make_person

pytestmark = pytest.mark.django_db


def access_events(actor):
    return list(
        AuditEvent.objects.filter(actor=actor, kind=AuditEvent.Kind.ACCESS)
        .order_by("id")
        .values_list("object_type", "object_id", "person_id", "note")
    )


def test_a_person_shown_in_search_results_finds_the_search_in_their_access_report(actors, login):
    awa = make_person(actors, family_name="Diop", given_names="Awa")
    make_person(actors, family_name="Diop", given_names="Moussa")
    response = login(actors.social_worker).get(reverse("people:search"), {"q": "Diop"})
    assert response.status_code == 200
    report = login(actors.admin).get(reverse("people:audit", args=[awa.pk]))
    rows = [r for r in report.context["rows"] if r.event.actor_id == actors.social_worker.pk]
    assert [(r.event.kind, r.event.note) for r in rows] == [("access", "search results")]
    # Named as a list in the report (and its PDF), in Italian.
    assert rows[0].what == f"In elenco (risultati di una ricerca): persona {awa.pk}"


def test_the_search_page_writes_one_event_per_person_shown_in_one_insert(actors, login):
    client = login(actors.social_worker)
    for n in range(2):
        make_person(actors, family_name="Sow", given_names=f"Aminata {n}")
    for n in range(12):
        make_person(actors, family_name="Sylla", given_names=f"Ibrahima {n}")
    client.get(reverse("people:search"), {"q": "Sow"})  # the session and the user warmed
    counts = {}
    for name, shown in (("Sow", 2), ("Sylla", 12)):
        before = AuditEvent.objects.count()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("people:search"), {"q": name})
        assert len(response.context["persons"]) == shown
        assert AuditEvent.objects.count() - before == shown
        inserts = [q for q in captured.captured_queries if "INSERT" in q["sql"].upper()]
        assert len([q for q in inserts if "audit_auditevent" in q["sql"]]) == 1
        counts[name] = len(captured.captured_queries)
    assert counts["Sylla"] == counts["Sow"]  # O(1): 12 persons cost what 2 cost


def test_a_request_refused_after_the_case_was_obtained_writes_no_event(actors, login):
    """get_case_for obtains the case (the social worker may see it), then the view refuses:
    only a coordinator names the case manager. The refusal shows nothing: no event."""
    case = make_case(actors, stage=Stage.PREASSESSED)
    client = login(actors.social_worker)
    response = client.post(reverse("cases:set_manager", args=[case.pk]), {})
    assert response.status_code == 403
    assert access_events(actors.social_worker) == []
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert access_events(actors.social_worker) == [("cases.case", str(case.pk), case.person_id, "")]


def test_a_redirect_after_a_change_writes_the_change_and_no_access_event(actors, login):
    person = make_person(actors)
    response = login(actors.social_worker).post(
        reverse("people:household_create", args=[person.pk])
    )
    assert response.status_code == 302
    assert access_events(actors.social_worker) == []
    assert AuditEvent.objects.filter(actor=actors.social_worker, kind="change").exists()


def test_a_meeting_viewer_who_may_not_see_its_case_is_recorded_without_the_person(actors, login):
    case = make_case(actors, stage=Stage.TEAM_FORMED, need_class=NeedClass.COMPLEX)
    meeting = meeting_record(
        actor=actors.coordinator,
        zone=actors.zone,
        kind=Meeting.Kind.TEAM,
        held_on=datetime.date.today() - datetime.timedelta(days=2),
        attendees=[actors.social_worker],
        cases=[case],
    )
    url = reverse("cases:followup_meeting_detail", args=[meeting.pk])
    assert login(actors.social_worker).get(url).status_code == 200
    assert login(actors.desk_operator).get(url).status_code == 200
    # The case's team member saw the person's part; the desk operator, who may not see
    # the case, saw the meeting and no one's data.
    assert access_events(actors.social_worker) == [
        ("meetings.meeting", str(meeting.pk), case.person_id, "")
    ]
    assert access_events(actors.desk_operator) == [("meetings.meeting", str(meeting.pk), None, "")]


def test_the_coordination_list_records_the_persons_it_shows(actors, login):
    waiting = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.COMPLEX)
    response = login(actors.coordinator).get(reverse("cases:coordination"))
    assert response.status_code == 200
    assert access_events(actors.coordinator) == [
        ("people.person", str(waiting.person_id), waiting.person_id, "case list")
    ]


def test_the_coordination_list_records_the_cases_whose_manager_is_to_be_appointed(actors, login):
    imported = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.COMPLEX)
    # Imported history: a team formed under a case manager the register does not name.
    imported = case_transition(
        case=imported,
        actor=None,
        to_stage=Stage.TEAM_FORMED,
        on=timezone.localdate(),
        from_register=True,
    )
    response = login(actors.coordinator).get(reverse("cases:coordination"))
    assert [c.pk for c in response.context["to_appoint"]] == [imported.pk]
    assert access_events(actors.coordinator) == [
        ("people.person", str(imported.person_id), imported.person_id, "case list")
    ]


def test_outside_a_request_obtaining_a_person_writes_its_event_at_once(actors):
    person = make_person(actors)
    get_person_for(actors.social_worker, person.pk)
    assert access_events(actors.social_worker) == [("people.person", str(person.pk), person.pk, "")]


@pytest.mark.django_db(transaction=True)
def test_the_events_of_a_page_are_sealed_into_the_chain_after_it_answers(client):
    """Off the request on PostgreSQL (a job of the queue), by the writer on SQLite: either
    way every event of the page ends up sealed and the chain verifies."""
    actors = build_actors()
    persons = [make_person(actors, family_name="Ba", given_names=f"Awa {n}") for n in range(3)]
    client.force_login(actors.social_worker)
    assert client.get(reverse("people:search"), {"q": "Ba Awa"}).status_code == 200
    run_jobs()  # the worker
    shown = AuditEvent.objects.filter(actor=actors.social_worker, note="search results")
    assert sorted(shown.values_list("person_id", flat=True)) == sorted(p.pk for p in persons)
    assert not AuditEvent.objects.unsealed().exists()
    assert verify_chain(seal=False).ok
