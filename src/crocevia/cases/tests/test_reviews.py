"""Reviews of a case's plan: services and HTTP (cases:followup_review_*)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases import services
from crocevia.cases.models import Review, Stage

from .test_followup_support import add_member, add_review, days_ago, days_ahead
from .test_followup_support import followed_case as make_case

pytestmark = pytest.mark.django_db


# --- Reviews: services --------------------------------------------------------------


def test_case_manager_schedules_a_review_audited_with_the_person(actors):
    case = make_case(actors)
    review = services.review_schedule(
        actor=actors.social_worker, case=case, scheduled_on=days_ahead(10)
    )
    assert review.kind == Review.Kind.IN_ITINERE and review.held_on is None
    event = AuditEvent.objects.get(action=AuditAction.REVIEW_SCHEDULE, object_id=str(review.pk))
    assert event.person_id == case.person_id and event.actor == actors.social_worker


def test_recording_a_review_with_next_date_schedules_the_next_one(actors):
    case = make_case(actors)
    review = add_review(case, days_ago(3))
    services.review_record(
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
    event = AuditEvent.objects.get(action=AuditAction.REVIEW_RECORD, object_id=str(review.pk))
    assert event.person_id == case.person_id
    assert event.changes["held_on"] == [None, days_ago(1).isoformat()]


def test_review_cannot_be_recorded_in_the_future(actors):
    review = add_review(make_case(actors), days_ago(3))
    with pytest.raises(ValidationError) as error:
        services.review_record(
            actor=actors.social_worker, review=review, held_on=days_ahead(1), notes="x"
        )
    assert "held_on" in error.value.message_dict


def test_review_cannot_be_recorded_before_the_plan_was_signed(actors):
    case = make_case(actors)  # plan signed 30 days ago
    review = add_review(case, days_ago(40))
    with pytest.raises(ValidationError) as error:
        services.review_record(
            actor=actors.social_worker, review=review, held_on=days_ago(31), notes="x"
        )
    assert "held_on" in error.value.message_dict
    review.refresh_from_db()
    assert review.held_on is None


def test_review_needs_notes_and_a_later_next_date(actors):
    review = add_review(make_case(actors), days_ago(3))
    with pytest.raises(ValidationError) as error:
        services.review_record(
            actor=actors.social_worker,
            review=review,
            held_on=days_ago(1),
            notes="  ",
            next_on=days_ago(2),
        )
    assert {"notes", "next_on"} <= set(error.value.message_dict)


def test_a_review_is_recorded_only_once(actors):
    review = add_review(make_case(actors), days_ago(3), held_on=days_ago(2))
    with pytest.raises(ValidationError):
        services.review_record(
            actor=actors.social_worker, review=review, held_on=days_ago(1), notes="x"
        )


def test_closed_case_refuses_review_changes(actors, login):
    case = make_case(actors, stage=Stage.CLOSED)
    review = add_review(case, days_ago(3))
    reviews = case.reviews.count()  # this one and the final review held at closure
    with pytest.raises(ValidationError):
        services.review_schedule(actor=actors.social_worker, case=case, scheduled_on=days_ago(1))
    with pytest.raises(ValidationError):
        services.review_record(
            actor=actors.social_worker, review=review, held_on=days_ago(1), notes="x"
        )
    client = login(actors.social_worker)
    response = client.post(
        reverse("cases:followup_review_schedule", args=[case.pk]),
        {"schedule-scheduled_on": days_ahead(5).isoformat(), "schedule-kind": "in_itinere"},
    )
    assert response.status_code == 403
    assert case.reviews.count() == reviews


def test_outsider_cannot_record_a_review_on_our_case(actors, login):
    case = make_case(actors)
    review = add_review(case, days_ago(3))
    with pytest.raises(PermissionDenied):
        services.review_record(actor=actors.outsider, review=review, held_on=days_ago(1), notes="x")
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
    case = make_case(actors)
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
    case = make_case(actors)
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
