"""Helpers of the meetings' and case lists' tests: the cases' own (built with the ORM)
and plans with actions."""

from crocevia.cases.tests.test_followup_support import (
    add_member,
    add_review,
    days_ago,
    days_ahead,
    followed_case,
)
from crocevia.cases.tests.test_followup_support import followed_case as make_case
from crocevia.plans.models import Action, Plan, PlanVersion

__all__ = [
    "add_member",
    "add_plan_actions",
    "add_review",
    "days_ago",
    "days_ahead",
    "followed_case",
    "make_case",
]


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
