"""The two notifications the case team gives today: appointment as case manager and
addition to a team, each linking to the case page with the case's number."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crocevia.cases.services import case_set_manager, team_member_add
from crocevia.notifications.models import Notification, NotificationKind
from crocevia.testing import days_ago, make_case, make_physician

pytestmark = pytest.mark.django_db


def test_the_appointed_case_manager_is_told_once_with_a_link_to_the_case(actors):
    case = make_case(actors, stage="preassessed", case_manager=None)
    Notification.objects.all().delete()
    case_set_manager(actor=actors.coordinator, case=case, user=actors.desk_operator)
    [notification] = Notification.objects.filter(recipient=actors.desk_operator)
    # Joining the team with the appointment: one notification, the appointment.
    assert notification.kind == NotificationKind.CASE_MANAGER_APPOINTED
    assert notification.url == reverse("cases:detail", args=[case.pk])
    assert notification.reference == f"n. {case.pk}"
    assert notification.actor == actors.coordinator


def test_naming_the_same_case_manager_again_says_nothing(actors):
    case = make_case(actors, stage="preassessed", case_manager=actors.social_worker)
    before = Notification.objects.filter(recipient=actors.social_worker).count()
    case_set_manager(actor=actors.coordinator, case=case, user=actors.social_worker)
    assert Notification.objects.filter(recipient=actors.social_worker).count() == before


def test_a_new_team_member_is_told(actors):
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
    [notification] = Notification.objects.filter(recipient=physician)
    assert notification.kind == NotificationKind.TEAM_ADDED
    assert notification.url == reverse("cases:detail", args=[case.pk])
    assert notification.reference == f"n. {case.pk}"


def test_the_preassessment_tells_the_members_it_adds_but_not_its_author(actors):
    case = make_case(actors, stage="preassessed", case_manager=None)
    kinds = dict(Notification.objects.values_list("recipient__username", "kind"))
    # The social worker pre-assessed (the actor); the CPI consultant joined.
    assert "assistente" not in kinds
    assert kinds["consulente"] == NotificationKind.TEAM_ADDED
    assert Notification.objects.get(recipient=actors.cpi_consultant).reference == f"n. {case.pk}"


def test_a_refused_team_addition_tells_nobody(actors):
    physician, asl = make_physician(actors)
    case = make_case(actors, stage="preassessed", consent=False, preassess=False)
    with pytest.raises(ValidationError, match="consen"):
        team_member_add(
            actor=actors.social_worker,
            case=case,
            user=physician,
            organisation=asl,
            role="physician",
            on=days_ago(1),
        )
    assert not Notification.objects.filter(recipient=physician).exists()
