"""Helpers of the follow-up tests: cases built with the ORM (no dependency on the services).

Named test_followup_* so it belongs to the follow-up engineer's files; it holds no tests.
"""

import datetime

from django.utils import timezone

from crocevia.cases.models import Case, Review, Stage, TeamMember
from crocevia.plans.models import Action, Plan, PlanVersion
from crocevia.testing import PersonFactory


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def days_ahead(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def make_case(
    actors,
    *,
    stage=Stage.IN_PROGRESS,
    need_class="social",
    case_manager=None,
    organisation=None,
    zone=None,
    person=None,
    created_by=None,
    **fields,
) -> Case:
    """A case of the SdS (Zona Pisana) managed by the social worker unless told otherwise."""
    person = person or PersonFactory(
        created_by_organisation=actors.sds, created_by=actors.social_worker
    )
    milestones = {"referred_on": days_ago(60)}
    if stage != Stage.REFERRED:
        milestones.update(preassessed_on=days_ago(50))
    if stage in (Stage.PLAN_SIGNED, Stage.IN_PROGRESS, Stage.CLOSED):
        milestones.update(plan_signed_on=days_ago(30), plan_kind="social_project")
    if stage in (Stage.IN_PROGRESS, Stage.CLOSED):
        milestones.update(plan_started_on=days_ago(20))
    if stage == Stage.CLOSED:
        milestones.update(closed_on=days_ago(5), outcome="employed")
    milestones.update(fields)
    return Case.objects.create(
        person=person,
        organisation=organisation or actors.sds,
        zone=zone or actors.zone,
        origin="direct",
        stage=stage,
        need_class="" if stage == Stage.REFERRED else need_class,
        case_manager=case_manager if case_manager is not None else actors.social_worker,
        created_by=created_by or actors.social_worker,
        **milestones,
    )


def add_member(case, user, organisation, *, by, removed_on=None) -> TeamMember:
    return TeamMember.objects.create(
        case=case,
        user=user,
        organisation=organisation,
        role="member",
        added_on=days_ago(40),
        added_by=by,
        removed_on=removed_on,
    )


def add_review(case, scheduled_on, held_on=None) -> Review:
    return Review.objects.create(case=case, scheduled_on=scheduled_on, held_on=held_on)


def add_plan_actions(case, actor, *versions) -> list[PlanVersion]:
    """One plan version per item of `versions`, each a list of (due_on, done_on)."""
    plan = Plan.objects.create(case=case, kind="social_project")
    made = []
    for number, actions in enumerate(versions, start=1):
        version = PlanVersion.objects.create(plan=plan, number=number, updated_by=actor)
        for due_on, done_on in actions:
            Action.objects.create(
                version=version, description="Iscrizione al corso", due_on=due_on, done_on=done_on
            )
        made.append(version)
    return made
