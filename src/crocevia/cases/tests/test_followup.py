"""Reviews and meetings: services and HTTP (cases:followup_*)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from crocevia.audit.models import AuditEvent
from crocevia.cases import followup
from crocevia.cases.lists import case_followup_context
from crocevia.cases.models import Meeting, Review, Stage

from .test_followup_support import add_member, add_review, days_ago, days_ahead, followed_case

pytestmark = pytest.mark.django_db


# --- Reviews: services --------------------------------------------------------------


def test_case_manager_schedules_a_review_audited_with_the_person(actors):
    case = followed_case(actors)
    review = followup.review_schedule(
        actor=actors.social_worker, case=case, scheduled_on=days_ahead(10)
    )
    assert review.kind == Review.Kind.IN_ITINERE and review.held_on is None
    event = AuditEvent.objects.get(action="review_schedule", object_id=str(review.pk))
    assert event.person_id == case.person_id and event.actor == actors.social_worker


def test_recording_a_review_with_next_date_schedules_the_next_one(actors):
    case = followed_case(actors)
    review = add_review(case, days_ago(3))
    followup.review_record(
        actor=actors.social_worker,
        review=review,
        held_on=days_ago(1),
        notes="Frequenta il corso",
        next_on=days_ahead(30),
    )
    review.refresh_from_db()
    assert review.held_on == days_ago(1) and review.held_by == actors.social_worker
    assert review.next_on == days_ahead(30)
    assert case.reviews.filter(scheduled_on=days_ahead(30), held_on__isnull=True).exists()
    event = AuditEvent.objects.get(action="review_record", object_id=str(review.pk))
    assert event.person_id == case.person_id
    assert event.changes["held_on"] == [None, days_ago(1).isoformat()]


def test_review_cannot_be_recorded_in_the_future(actors):
    review = add_review(followed_case(actors), days_ago(3))
    with pytest.raises(ValidationError) as error:
        followup.review_record(
            actor=actors.social_worker, review=review, held_on=days_ahead(1), notes="x"
        )
    assert "held_on" in error.value.message_dict


def test_review_cannot_be_recorded_before_the_plan_was_signed(actors):
    case = followed_case(actors)  # plan signed 30 days ago
    review = add_review(case, days_ago(40))
    with pytest.raises(ValidationError) as error:
        followup.review_record(
            actor=actors.social_worker, review=review, held_on=days_ago(31), notes="x"
        )
    assert "held_on" in error.value.message_dict
    review.refresh_from_db()
    assert review.held_on is None


def test_review_needs_notes_and_a_later_next_date(actors):
    review = add_review(followed_case(actors), days_ago(3))
    with pytest.raises(ValidationError) as error:
        followup.review_record(
            actor=actors.social_worker,
            review=review,
            held_on=days_ago(1),
            notes="  ",
            next_on=days_ago(2),
        )
    assert {"notes", "next_on"} <= set(error.value.message_dict)


def test_a_review_is_recorded_only_once(actors):
    review = add_review(followed_case(actors), days_ago(3), held_on=days_ago(2))
    with pytest.raises(ValidationError):
        followup.review_record(
            actor=actors.social_worker, review=review, held_on=days_ago(1), notes="x"
        )


def test_closed_case_refuses_review_changes(actors, login):
    case = followed_case(actors, stage=Stage.CLOSED)
    review = add_review(case, days_ago(3))
    with pytest.raises(ValidationError):
        followup.review_schedule(actor=actors.social_worker, case=case, scheduled_on=days_ago(1))
    with pytest.raises(ValidationError):
        followup.review_record(
            actor=actors.social_worker, review=review, held_on=days_ago(1), notes="x"
        )
    client = login(actors.social_worker)
    response = client.post(
        reverse("cases:followup_review_schedule", args=[case.pk]),
        {"schedule-scheduled_on": days_ahead(5).isoformat(), "schedule-kind": "in_itinere"},
    )
    assert response.status_code == 403
    assert case.reviews.count() == 1


def test_outsider_cannot_record_a_review_on_our_case(actors, login):
    case = followed_case(actors)
    review = add_review(case, days_ago(3))
    with pytest.raises(PermissionDenied):
        followup.review_record(actor=actors.outsider, review=review, held_on=days_ago(1), notes="x")
    client = login(actors.outsider)
    response = client.post(
        reverse("cases:followup_review_record", args=[case.pk]),
        {
            "record-review": review.pk,
            "record-held_on": days_ago(1).isoformat(),
            "record-notes": "x",
        },
    )
    assert response.status_code == 404
    review.refresh_from_db()
    assert review.held_on is None


# --- Reviews: HTTP -------------------------------------------------------------------


def test_team_member_records_a_review_over_http_and_returns_to_the_case(actors, login):
    case = followed_case(actors)
    add_member(case, actors.cpi_consultant, actors.cpi, by=actors.social_worker)
    review = add_review(case, days_ago(3))
    client = login(actors.cpi_consultant)
    response = client.post(
        reverse("cases:followup_review_record", args=[case.pk]),
        {
            "record-review": review.pk,
            "record-held_on": days_ago(1).isoformat(),
            "record-notes": "Tirocinio avviato",
            "record-next_on": days_ahead(20).isoformat(),
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[case.pk])
    review.refresh_from_db()
    assert review.held_by == actors.cpi_consultant
    assert case.reviews.count() == 2


def test_review_schedule_over_http_redirects_and_bad_input_is_reshown(actors, login):
    case = followed_case(actors)
    client = login(actors.social_worker)
    url = reverse("cases:followup_review_schedule", args=[case.pk])
    response = client.post(
        url, {"schedule-scheduled_on": days_ahead(7).isoformat(), "schedule-kind": "in_itinere"}
    )
    assert response.status_code == 302
    assert case.reviews.get().scheduled_on == days_ahead(7)

    too_early = case.referred_on - datetime.timedelta(days=1)
    response = client.post(
        url, {"schedule-scheduled_on": too_early.isoformat(), "schedule-kind": "exit"}
    )
    assert response.status_code == 200
    assert response.context["schedule_form"].errors["scheduled_on"]
    assert too_early.isoformat() in response.content.decode()
    assert case.reviews.count() == 1


def test_case_followup_context_flags_overdue_reviews_in_constant_queries(
    actors, django_assert_max_num_queries
):
    case = followed_case(actors)
    late = add_review(case, days_ago(2))
    add_review(case, days_ago(10), held_on=days_ago(9))
    future = add_review(case, days_ahead(5))
    for n in range(5):
        add_review(case, days_ahead(10 + n))
    user = actors.social_worker
    with django_assert_max_num_queries(4):
        ctx = case_followup_context(user, case)
    flags = {r.pk: r.is_overdue for r in ctx["followup_reviews"]}
    assert flags[late.pk] is True and flags[future.pk] is False
    assert sum(flags.values()) == 1
    assert ctx["followup_can_edit"] and ctx["followup_overdue"]


def test_case_followup_section_renders(actors, rf):
    from django.template.loader import render_to_string

    case = followed_case(actors)
    review = add_review(case, days_ago(2))
    request = rf.get("/")
    request.user = actors.social_worker
    ctx = case_followup_context(actors.social_worker, case)
    html = render_to_string(
        "cases/_followup_section.html",
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
    return followup.meeting_record(**values)


def test_coordinator_records_a_meeting_with_cases_audited_per_person(actors):
    case = followed_case(actors)
    meeting = _meeting(actors, cases=[case], items={case.pk: {"decisions": "Attivare tirocinio"}})
    assert set(meeting.attendees.all()) == {actors.coordinator, actors.social_worker}
    assert list(meeting.cases.all()) == [case]
    assert AuditEvent.objects.filter(action="meeting_record", object_id=str(meeting.pk)).exists()
    assert AuditEvent.objects.filter(
        action="meeting_case_discussed", person=case.person, object_id=str(meeting.pk)
    ).exists()


def test_meeting_refuses_another_zone_future_date_and_no_attendees(actors):
    with pytest.raises(ValidationError) as error:
        _meeting(actors, zone=actors.other_zone, held_on=days_ahead(1), attendees=[])
    assert {"zone", "held_on", "attendees"} <= set(error.value.message_dict)


def test_meeting_lists_only_cases_the_actor_can_see(actors):
    # The desk operator belongs to the zone but does not see this case.
    case = followed_case(actors)
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
    case = followed_case(actors)
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
    case = followed_case(actors)
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
    assert AuditEvent.objects.filter(action="meeting_update", object_id=str(meeting.pk)).exists()


def test_meetings_with_minutes_counted_by_kind(actors):
    start, end = days_ago(30), days_ago(1)
    _meeting(actors, kind="team", held_on=days_ago(5))
    _meeting(actors, kind="team", held_on=days_ago(30))
    _meeting(actors, kind="team", held_on=days_ago(3), notes="   ")  # no minutes
    _meeting(actors, kind="coordination", held_on=days_ago(10))
    _meeting(actors, kind="steering", held_on=days_ago(31))  # before the period
    _meeting(actors, kind="team", held_on=days_ago(0))  # after the period
    assert followup.meetings_with_minutes(actors.zone, start, end) == {
        "team": 2,
        "coordination": 1,
        "steering": 0,
    }
    assert followup.meetings_with_minutes(actors.other_zone, start, end) == {
        "team": 0,
        "coordination": 0,
        "steering": 0,
    }


def test_meeting_form_from_the_case_page_preselects_the_case(actors, login):
    case = followed_case(actors)
    response = login(actors.coordinator).get(
        reverse("cases:followup_meeting_create"), {"case": case.pk}
    )
    assert response.status_code == 200
    assert response.context["form"]["cases"].value() == [case.pk]
    ctx = case_followup_context(actors.coordinator, case)
    assert ctx["followup_can_record_meeting"]
    assert not case_followup_context(actors.outsider, case)["followup_can_record_meeting"]
