"""Meetings: services and HTTP (cases:followup_meeting*), and the case page's section of
reviews and meetings."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.meetings import services
from crocevia.meetings.models import Meeting
from crocevia.meetings.selectors import case_section_context, meetings_with_minutes

from .support import add_review, days_ago, days_ahead, make_case

pytestmark = pytest.mark.django_db


# --- The case page's section ---------------------------------------------------------


def test_case_section_context_flags_overdue_reviews_in_constant_queries(
    actors, django_assert_max_num_queries
):
    case = make_case(actors)
    late = add_review(case, days_ago(2))
    add_review(case, days_ago(10), held_on=days_ago(9))
    future = add_review(case, days_ahead(5))
    for n in range(5):
        add_review(case, days_ahead(10 + n))
    user = actors.social_worker
    with django_assert_max_num_queries(4):
        ctx = case_section_context(user, case)
    flags = {r.pk: r.is_overdue for r in ctx["followup_reviews"]}
    assert flags[late.pk] is True and flags[future.pk] is False
    assert sum(flags.values()) == 1
    assert ctx["followup_can_edit"] and ctx["followup_overdue"]


def test_case_section_renders(actors, rf):
    from django.template.loader import render_to_string

    case = make_case(actors)
    review = add_review(case, days_ago(2))
    request = rf.get("/")
    request.user = actors.social_worker
    ctx = case_section_context(actors.social_worker, case)
    html = render_to_string(
        "meetings/_case_section.html",
        {"case": case, "user": actors.social_worker, **ctx},
        request=request,
    )
    assert "review-overdue" in html and "review-record-form" in html
    assert f'<option value="{review.pk}"' in html


# --- Meetings ------------------------------------------------------------------------


def _meeting(actors, **kw):
    values = {
        "actor": actors.coordinator,
        "zone": actors.zone,
        "kind": Meeting.Kind.TEAM,
        "held_on": days_ago(2),
        "attendees": [actors.coordinator, actors.social_worker],
        "cases": [],
        "notes": "Discussi i casi",
    }
    values.update(kw)
    return services.meeting_record(**values)


def test_coordinator_records_a_meeting_with_cases_audited_per_person(actors):
    case = make_case(actors)
    meeting = _meeting(actors, cases=[case], items={case.pk: {"decisions": "Attivare tirocinio"}})
    assert set(meeting.attendees.all()) == {actors.coordinator, actors.social_worker}
    assert list(meeting.cases.all()) == [case]
    assert AuditEvent.objects.filter(
        action=AuditAction.MEETING_RECORD, object_id=str(meeting.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.MEETING_ADD_CASE, person=case.person, object_id=str(meeting.pk)
    ).exists()


def test_meeting_refuses_another_zone_future_date_and_no_attendees(actors):
    with pytest.raises(ValidationError) as error:
        _meeting(actors, zone=actors.other_zone, held_on=days_ahead(1), attendees=[])
    assert {"zone", "held_on", "attendees"} <= set(error.value.message_dict)


def test_meeting_lists_only_cases_the_actor_can_see(actors):
    # The desk operator belongs to the zone but does not see this case.
    case = make_case(actors)
    with pytest.raises(ValidationError) as error:
        _meeting(actors, actor=actors.desk_operator, cases=[case])
    assert "cases" in error.value.message_dict
    assert not Meeting.objects.exists()


def test_outsider_from_another_zone_gets_404_on_meeting_pages(actors, login):
    meeting = _meeting(actors)
    client = login(actors.outsider)
    assert (
        client.get(reverse("cases:followup_meeting_detail", args=[meeting.pk])).status_code == 404
    )
    assert client.get(reverse("cases:followup_meeting_edit", args=[meeting.pk])).status_code == 404
    response = client.get(reverse("cases:followup_meetings"))
    assert response.status_code == 200
    assert list(response.context["meetings"]) == []


def test_meeting_pages_for_the_zone(actors, login):
    case = make_case(actors)
    meeting = _meeting(actors, cases=[case])
    client = login(actors.social_worker)
    response = client.get(reverse("cases:followup_meetings"))
    assert response.status_code == 200 and list(response.context["meetings"]) == [meeting]
    assert response.context["meetings"][0].n_attendees == 2
    response = client.get(reverse("cases:followup_meeting_detail", args=[meeting.pk]))
    assert response.status_code == 200
    assert response.context["cases"] == [case]
    assert not response.context["can_edit"]
    # The desk operator of the zone sees the meeting but not the case discussed.
    response = login(actors.desk_operator).get(
        reverse("cases:followup_meeting_detail", args=[meeting.pk])
    )
    assert response.context["cases"] == [] and response.context["hidden_cases"] == 1
    assert case.person.family_name not in response.content.decode()


def test_meeting_created_over_http(actors, login):
    case = make_case(actors)
    client = login(actors.coordinator)
    response = client.post(
        reverse("cases:followup_meeting_create"),
        {
            "kind": "coordination",
            "held_on": days_ago(1).isoformat(),
            "zone": actors.zone.pk,
            "attendees": [actors.coordinator.pk, actors.cpi_consultant.pk],
            "cases": [case.pk],
            "notes": "Verbale",
            f"case_{case.pk}_minutes": "Pre-valutato",
            f"case_{case.pk}_decisions": "Nominato il case manager",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("cases:followup_meeting_detail", args=[meeting.pk])
    assert meeting.kind == "coordination" and list(meeting.cases.all()) == [case]
    assert meeting.notes == "Verbale"
    item = meeting.items.get()
    assert (item.case, item.minutes, item.decisions) == (
        case,
        "Pre-valutato",
        "Nominato il case manager",
    )


def test_meeting_changed_by_its_author_not_by_another_member(actors, login):
    meeting = _meeting(actors, actor=actors.social_worker, notes="")
    url = reverse("cases:followup_meeting_edit", args=[meeting.pk])
    data = {
        "kind": "team",
        "held_on": days_ago(2).isoformat(),
        "zone": actors.zone.pk,
        "attendees": [actors.social_worker.pk],
        "notes": "Verbale scritto dopo",
    }
    assert login(actors.desk_operator).post(url, data).status_code == 403
    response = login(actors.social_worker).post(url, data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.notes == "Verbale scritto dopo"
    assert AuditEvent.objects.filter(
        action=AuditAction.MEETING_UPDATE, object_id=str(meeting.pk)
    ).exists()


def test_meetings_with_minutes_counted_by_kind(actors):
    start, end = days_ago(30), days_ago(1)
    _meeting(actors, kind="team", held_on=days_ago(5))
    _meeting(actors, kind="team", held_on=days_ago(30))
    _meeting(actors, kind="team", held_on=days_ago(3), notes="   ")  # no minutes
    _meeting(actors, kind="coordination", held_on=days_ago(10))
    _meeting(actors, kind="steering", held_on=days_ago(31))  # before the period
    _meeting(actors, kind="team", held_on=days_ago(0))  # after the period
    assert meetings_with_minutes(actors.zone, start, end) == {
        "team": 2,
        "coordination": 1,
        "steering": 0,
    }
    assert meetings_with_minutes(actors.other_zone, start, end) == {
        "team": 0,
        "coordination": 0,
        "steering": 0,
    }


def test_meeting_form_from_the_case_page_preselects_the_case(actors, login):
    case = make_case(actors)
    response = login(actors.coordinator).get(
        reverse("cases:followup_meeting_create"), {"case": case.pk}
    )
    assert response.status_code == 200
    assert response.context["form"]["cases"].value() == [case.pk]
    ctx = case_section_context(actors.coordinator, case)
    assert ctx["followup_can_record_meeting"]
    assert not case_section_context(actors.outsider, case)["followup_can_record_meeting"]
