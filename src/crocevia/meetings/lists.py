"""Case lists ("my cases", "zone cases") with their follow-up (the home page's work queues
are site.queues).

Overdue items are computed in the database, so filtering by them and listing them cost
a constant number of queries:
- a review scheduled before today and not yet held;
- an action of the latest plan version due before today and not done.
A closed case has nothing overdue.
"""

import datetime

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models import Case as When_
from django.utils import timezone

from crocevia.accounts.models import User
from crocevia.accounts.selectors import coordinated_zone_ids
from crocevia.cases.models import Case, Review, Stage, TeamMember
from crocevia.cases.selectors import BY_PRIORITY, MANAGER_TO_APPOINT
from crocevia.plans.models import Action
from crocevia.plans.selectors import current_actions


def _overdue_reviews(today: datetime.date) -> QuerySet[Review]:
    return Review.objects.filter(held_on__isnull=True, scheduled_on__lt=today)


def _overdue_actions(today: datetime.date) -> QuerySet[Action]:
    return current_actions().filter(due_on__lt=today, done_on__isnull=True)


def _unless_closed(expression) -> When_:
    return When_(
        When(stage=Stage.CLOSED, then=Value(False)),
        default=expression,
        output_field=BooleanField(),
    )


def with_followup(queryset: QuerySet[Case], today: datetime.date | None = None) -> QuerySet[Case]:
    """Annotate `review_overdue`, `action_overdue`, `overdue` and `next_review_on`."""
    today = today or timezone.localdate()
    review_overdue = Exists(_overdue_reviews(today).filter(case_id=OuterRef("pk")))
    action_overdue = Exists(_overdue_actions(today).filter(version__plan__case_id=OuterRef("pk")))
    next_review = (
        Review.objects.filter(case_id=OuterRef("pk"), held_on__isnull=True)
        .order_by("scheduled_on")
        .values("scheduled_on")[:1]
    )
    return queryset.annotate(
        review_overdue=_unless_closed(review_overdue),
        action_overdue=_unless_closed(action_overdue),
        next_review_on=Subquery(next_review),
    ).annotate(
        overdue=_unless_closed(
            When_(
                When(Q(review_overdue=True) | Q(action_overdue=True), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def _filter(
    queryset: QuerySet[Case],
    *,
    stage=None,
    need_class=None,
    case_manager=None,
    overdue=False,
    open_only=False,
    manager_to_appoint=False,
    sort="",
) -> QuerySet[Case]:
    queryset = with_followup(queryset).select_related(
        "person", "organisation", "zone", "case_manager"
    )
    if sort == "priority":  # the waiting cases' order (cases.selectors.BY_PRIORITY)
        queryset = queryset.order_by(*BY_PRIORITY)
    if stage:
        queryset = queryset.filter(stage=stage)
    elif open_only:  # closed cases are archived: out of the daily lists, a filter away
        queryset = queryset.exclude(stage=Stage.CLOSED)
    if need_class:
        queryset = queryset.filter(need_class=need_class)
    if case_manager:
        queryset = queryset.filter(case_manager=case_manager)
    if overdue:
        queryset = queryset.filter(overdue=True)
    if manager_to_appoint:
        queryset = queryset.filter(MANAGER_TO_APPOINT)
    return queryset


def my_cases_base(user) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    on_team = Exists(
        TeamMember.objects.filter(case_id=OuterRef("pk"), user=user, removed_on__isnull=True)
    )
    return Case.objects.filter(Q(case_manager=user) | on_team)


def zone_cases_base(user) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    zones = coordinated_zone_ids(user)
    if not zones:
        return Case.objects.none()
    return Case.objects.filter(zone_id__in=zones)


def is_coordinator(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(coordinated_zone_ids(user)))


def my_cases(user, **filters):
    """Cases where the user is the case manager or an active team member (`filters`: those
    of _filter)."""
    return _filter(my_cases_base(user), **filters)


def zone_cases(user, **filters):
    """Every case of the zones the user coordinates (nothing for anyone else)."""
    return _filter(zone_cases_base(user), **filters)


def case_managers_of(base: QuerySet[Case]) -> QuerySet[User]:
    """The operators managing some case of `base` (the choices of the filter)."""
    return User.objects.filter(
        pk__in=base.exclude(case_manager__isnull=True).values("case_manager_id")
    ).order_by("last_name", "first_name", "username")
