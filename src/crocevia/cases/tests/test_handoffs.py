"""Hand-offs that are referrals and tell people (issue 18): a team member of another
organisation activated by a referral to their service, the CPI's send-back of a person
whose pact was not kept, overdue answers and reviews told once."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from crocevia.cases.models import Review
from crocevia.cases.services import case_send_back, review_schedule, team_member_add
from crocevia.cases.services.reviews import notify_overdue_reviews
from crocevia.desk.models import Referral
from crocevia.desk.referrals import (
    answer_due_before,
    notify_overdue_referrals,
    referral_answer,
    referral_send,
)
from crocevia.notifications.models import Notification, NotificationKind
from crocevia.testing import days_ago, make_case, make_physician

pytestmark = pytest.mark.django_db


def test_a_member_of_another_organisation_is_activated_by_a_referral(actors):
    physician, asl = make_physician(actors)
    case = make_case(actors, stage="preassessed")
    team_member_add(
        actor=actors.social_worker,
        case=case,
        user=physician,
        organisation=asl,
        role="physician",
        on=days_ago(1),
    )
    referral = Referral.objects.get(origin=Referral.Origin.TEAM)
    assert (referral.case, referral.from_organisation, referral.to_organisation) == (
        case,
        actors.sds,
        asl,
    )
    assert referral.state == "sent" and referral.sharing_basis == "consent"
    assert reverse("cases:detail", args=[case.pk]) in referral.reason
    # The member is told once, as a member of the team, not again of the referral.
    assert list(
        Notification.objects.filter(recipient=physician).values_list("kind", flat=True)
    ) == [NotificationKind.TEAM_ADDED]


def test_a_member_of_the_case_organisation_needs_no_referral(actors):
    case = make_case(actors, stage="preassessed")
    team_member_add(
        actor=actors.social_worker,
        case=case,
        user=actors.desk_operator,
        organisation=actors.sds,
        role="desk_operator",
        on=days_ago(1),
    )
    assert not Referral.objects.filter(origin=Referral.Origin.TEAM).exists()


def test_the_cpi_sends_the_person_back_and_the_case_manager_is_told(actors, login):
    case = make_case(actors, stage="plan_signed")
    assert case.case_manager == actors.social_worker
    client = login(actors.cpi_consultant)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("cases:send_back", args=[case.pk]) in page
    response = client.post(
        reverse("cases:send_back", args=[case.pk]),
        {"back-on": days_ago(0).isoformat(), "back-reason": "Tre colloqui saltati"},
    )
    assert response.status_code == 302
    referral = Referral.objects.get(origin=Referral.Origin.SENT_BACK)
    assert (referral.from_organisation, referral.to_organisation, referral.case) == (
        actors.cpi,
        actors.sds,
        case,
    )
    told = Notification.objects.get(recipient=actors.social_worker, kind=NotificationKind.SENT_BACK)
    assert told.url == reverse("desk:referral_detail", args=[referral.pk])
    assert "Tre colloqui" not in told.reference


def test_only_the_cpi_on_the_team_sends_back(actors, login):
    case = make_case(actors, stage="plan_signed")
    with pytest.raises(PermissionDenied):
        case_send_back(actor=actors.social_worker, case=case, on=days_ago(0), reason="x")
    response = login(actors.social_worker).post(
        reverse("cases:send_back", args=[case.pk]), {"back-reason": "x"}
    )
    assert response.status_code == 403
    assert not Referral.objects.filter(origin=Referral.Origin.SENT_BACK).exists()


def test_a_referral_received_and_answered_tells_each_side(actors):
    case = make_case(actors, stage="preassessed")  # the person consented
    referral = referral_send(
        actor=actors.desk_operator,
        person=case.person,
        from_organisation=actors.sds,
        to_organisation=actors.cpi,
        sent_on=days_ago(0),
        reason="Orientamento",
    )
    received = Notification.objects.get(kind=NotificationKind.REFERRAL_RECEIVED)
    assert received.recipient == actors.cpi_consultant
    assert received.reference == f"invio n. {referral.pk}"
    referral_answer(actor=actors.cpi_consultant, referral=referral, accept=True, on=days_ago(0))
    answered = Notification.objects.get(kind=NotificationKind.REFERRAL_ANSWERED)
    assert answered.recipient == actors.desk_operator


def test_overdue_answers_and_reviews_are_told_once(actors):
    case = make_case(actors, stage="plan_signed")
    referral = referral_send(
        actor=actors.desk_operator,
        person=case.person,
        from_organisation=actors.sds,
        to_organisation=actors.cpi,
        sent_on=answer_due_before() - datetime.timedelta(days=1),
    )
    review_schedule(
        actor=actors.social_worker, case=case, scheduled_on=days_ago(0), kind=Review.Kind.IN_ITINERE
    )
    Review.objects.filter(case=case, held_on__isnull=True).update(scheduled_on=days_ago(3))
    call_command("notify_overdue")
    late = Notification.objects.filter(kind=NotificationKind.REFERRAL_OVERDUE)
    assert set(late.values_list("recipient", flat=True)) == {
        actors.cpi_consultant.pk,
        actors.desk_operator.pk,
    }
    assert Notification.objects.filter(
        kind=NotificationKind.REVIEW_OVERDUE, recipient=actors.social_worker
    ).exists()
    # Once: the next day's run tells nothing new.
    assert notify_overdue_referrals() == 0 and notify_overdue_reviews() == 0
    referral.refresh_from_db()
    assert referral.overdue_told_on is not None
