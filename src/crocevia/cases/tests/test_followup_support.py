"""Helpers of the follow-up tests (reviews, meetings, lists): the case they follow, team
members, reviews and plan actions.

Named test_followup_* so it belongs to the follow-up engineer's files; it holds no tests.
"""

import datetime

from django.utils import timezone

from crocevia.accounts.models import Membership
from crocevia.cases.models import NeedClass, Review, Stage, TeamMember
from crocevia.cases.services import team_member_add, team_member_remove
from crocevia.testing import days_ago, make_case


def days_ahead(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def followed_case(actors, **given):
    """make_case with the follow-up tests' defaults: a case with social needs whose plan was
    signed 30 days ago and started 20 days ago (in progress), managed by the cast's social
    worker, pre-assessed without the mini-team (so the manager is the team). Any of
    make_case's arguments may be given."""
    given = {
        "stage": Stage.IN_PROGRESS,
        "need_class": NeedClass.SOCIAL,
        "preassess": False,
        "case_manager": actors.social_worker,
        "plan_signed_on": days_ago(30),
        "plan_started_on": days_ago(20),
        **given,
    }
    return make_case(actors, **given)


def add_member(case, user, organisation, *, by, removed_on=None) -> TeamMember:
    """`user` joins the team (through `organisation`) 40 days ago; leaves on `removed_on`."""
    membership = Membership.objects.get(user=user, organisation=organisation, active=True)
    member = team_member_add(
        actor=by,
        case=case,
        user=user,
        organisation=organisation,
        role=membership.profile,
        on=days_ago(40),
    )
    if removed_on is not None:
        member = team_member_remove(actor=by, member=member, on=removed_on)
    return member


def add_review(case, scheduled_on, held_on=None) -> Review:
    return Review.objects.create(case=case, scheduled_on=scheduled_on, held_on=held_on)
