"""Case lists ("my cases", "zone cases") with their follow-up, and the home page's alerts.

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
from crocevia.accounts.selectors import coordinated_zone_ids, is_monitoring_only
from crocevia.cases.models import Case, Review, Stage, TeamMember
from crocevia.cases.selectors import (
    BY_PRIORITY,
    MANAGER_TO_APPOINT,
    cases_visible_to,
    managers_to_appoint,
)
from crocevia.people.selectors import persons_visible_to
from crocevia.plans.models import Action, PlanVersion

PERMIT_ALERT_DAYS = 60
ALERT_LIST_SIZE = 5


def _overdue_reviews(today: datetime.date) -> QuerySet[Review]:
    return Review.objects.filter(held_on__isnull=True, scheduled_on__lt=today)


def _overdue_actions(today: datetime.date) -> QuerySet[Action]:
    latest_number = (
        PlanVersion.objects.filter(plan_id=OuterRef("version__plan_id"))
        .order_by("-number")
        .values("number")[:1]
    )
    return Action.objects.filter(
        due_on__lt=today, done_on__isnull=True, version__number=Subquery(latest_number)
    )


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


def home_alerts(user) -> dict:
    """Counts and short lists for the home page.

    - pre-assessments waiting: visible cases still in stage "referred", by access
      priority, then oldest first;
    - reviews and actions overdue on the visible open cases;
    - residence permits of visible persons expiring from today to today + 60 days;
    - for a zone's coordinators, open cases whose case manager is to be appointed.
    """
    empty = {
        "preassessments_waiting": 0,
        "preassessments": [],
        "reviews_overdue": 0,
        "reviews": [],
        "actions_overdue": 0,
        "actions": [],
        "permits_expiring": 0,
        "permits": [],
        "managers_to_appoint": 0,
        "to_appoint": [],
        "any": False,
    }
    if not user.is_authenticated or is_monitoring_only(user):
        return empty
    today = timezone.localdate()
    visible = cases_visible_to(user)
    open_cases = visible.exclude(stage=Stage.CLOSED)

    waiting = visible.filter(stage=Stage.REFERRED).select_related("person").order_by(*BY_PRIORITY)
    reviews = (
        _overdue_reviews(today)
        .filter(case__in=open_cases.values("pk"))
        .select_related("case__person")
        .order_by("scheduled_on", "pk")
    )
    actions = (
        _overdue_actions(today)
        .filter(version__plan__case__in=open_cases.values("pk"))
        .select_related("version__plan__case__person")
        .order_by("due_on", "pk")
    )
    permits = (
        persons_visible_to(user)
        .filter(
            permit_expires_on__gte=today,
            permit_expires_on__lte=today + datetime.timedelta(days=PERMIT_ALERT_DAYS),
        )
        .order_by("permit_expires_on", "family_name", "pk")
    )
    result = {
        "preassessments_waiting": waiting.count(),
        "preassessments": list(waiting[:ALERT_LIST_SIZE]),
        "reviews_overdue": reviews.count(),
        "reviews": list(reviews[:ALERT_LIST_SIZE]),
        "actions_overdue": actions.count(),
        "actions": list(actions[:ALERT_LIST_SIZE]),
        "permits_expiring": permits.count(),
        "permits": list(permits[:ALERT_LIST_SIZE]),
        "managers_to_appoint": 0,
        "to_appoint": [],
    }
    if is_coordinator(user):
        to_appoint = managers_to_appoint(user)
        result["managers_to_appoint"] = to_appoint.count()
        result["to_appoint"] = list(to_appoint[:ALERT_LIST_SIZE])
    result["any"] = any(
        result[k]
        for k in (
            "preassessments_waiting",
            "reviews_overdue",
            "actions_overdue",
            "permits_expiring",
            "managers_to_appoint",
        )
    )
    return result
