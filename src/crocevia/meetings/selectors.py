"""Reads of meetings: who sees which, what a meeting says of the cases a reader sees,
which meetings have minutes, and the case page's follow-up section."""

import datetime

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.db.models.functions import Trim
from django.utils import timezone

from crocevia.accounts.selectors import (
    active_memberships,
    coordinated_zone_ids,
    is_monitoring_only,
)
from crocevia.cases.forms import ReviewRecordForm, ReviewScheduleForm
from crocevia.cases.models import Case
from crocevia.cases.selectors import cases_visible_to
from crocevia.network.models import Zone

from .models import Meeting, MeetingItem


def meeting_zone_ids(user) -> set[int]:
    """Zones whose meetings the user may see and record: coordinated or belonged to."""
    if not user.is_authenticated or not user.is_active or is_monitoring_only(user):
        return set()
    if user.is_superuser:
        return set(Zone.objects.values_list("pk", flat=True))
    own = {m.organisation.zone_id for m in active_memberships(user) if m.organisation.zone_id}
    return own | coordinated_zone_ids(user)


def meetings_visible_to(user) -> QuerySet[Meeting]:
    """Meetings of the user's zones, and those the user attended."""
    if not user.is_authenticated or not user.is_active or is_monitoring_only(user):
        return Meeting.objects.none()
    if user.is_superuser:
        return Meeting.objects.all()
    attended = Exists(
        Meeting.attendees.through.objects.filter(meeting_id=OuterRef("pk"), user_id=user.pk)
    )
    return Meeting.objects.filter(Q(zone_id__in=meeting_zone_ids(user)) | attended)


def meeting_items_visible_to(user, meeting: Meeting) -> tuple[list[MeetingItem], int]:
    """The items (case discussed, its minutes and decisions) of the cases `user` may see,
    by case, and how many other cases the meeting discussed. Two queries.

    What a meeting says about a person is case data: its text goes only to who may see
    the case (cases_visible_to), whoever may open the meeting.
    """
    items = list(
        meeting.items.select_related("case__person", "case__case_manager").order_by("case_id")
    )
    visible = set(
        cases_visible_to(user)
        .filter(pk__in=[item.case_id for item in items])
        .values_list("pk", flat=True)
    )
    shown = [item for item in items if item.case_id in visible]
    return shown, len(items) - len(shown)


def annotate_has_minutes(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """`meetings` with `has_minutes`: general notes, a case's minutes or decisions, or
    earlier minutes that are not only blanks. Says nothing of what they say."""
    with_item = MeetingItem.objects.annotate(_m=Trim("minutes"), _d=Trim("decisions")).filter(
        Q(meeting_id=OuterRef("pk")) & (~Q(_m="") | ~Q(_d=""))
    )
    return meetings.annotate(
        _notes=Trim("notes"),
        _restricted_m=Trim("restricted_minutes"),
        _restricted_d=Trim("restricted_decisions"),
    ).annotate(
        has_minutes=ExpressionWrapper(
            Q(Exists(with_item)) | ~Q(_notes="") | ~Q(_restricted_m="") | ~Q(_restricted_d=""),
            output_field=BooleanField(),
        )
    )


def with_minutes(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """`meetings` that have minutes (annotate_has_minutes)."""
    return annotate_has_minutes(meetings).filter(has_minutes=True)


def meetings_with_minutes(zone, start: datetime.date, end: datetime.date) -> dict[str, int]:
    """{kind: number of meetings with minutes} held in `zone` from `start` to `end` included.

    Every kind is present (0 when none); minutes made only of blanks do not count; a
    meeting counts once whatever the number of cases it discussed.
    """
    rows = (
        with_minutes(Meeting.objects.filter(zone=zone, held_on__gte=start, held_on__lte=end))
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {kind: 0 for kind in Meeting.Kind.values}
    for row in rows:
        counts[row["kind"]] = row["n"]
    return counts


def case_section_context(user, case: Case) -> dict:
    """Context of templates/meetings/_case_section.html (the case page's reviews and the
    meetings that discussed the case): two queries whatever the case."""
    today = timezone.localdate()
    reviews = list(case.reviews.select_related("held_by").order_by("scheduled_on", "pk"))
    for review in reviews:
        review.is_overdue = (
            not case.is_closed and review.held_on is None and review.scheduled_on < today
        )
    zones = meeting_zone_ids(user)
    # The case's own items: what each meeting said and decided about this case (whoever
    # sees the case may read it), never another case's.
    meetings = []
    for item in case.meeting_items.select_related("meeting").order_by(
        "-meeting__held_on", "-meeting_id"
    ):
        meeting = item.meeting
        meeting.item = item
        meeting.viewable = user.is_superuser or meeting.zone_id in zones
        meetings.append(meeting)
    pending = [r for r in reviews if r.held_on is None]
    can_edit = not case.is_closed
    return {
        "followup_reviews": reviews,
        "followup_pending_reviews": pending,
        "followup_meetings": meetings,
        "followup_can_edit": can_edit,
        "followup_schedule_form": ReviewScheduleForm(prefix="schedule") if can_edit else None,
        "followup_record_form": (
            ReviewRecordForm(prefix="record", pending=pending) if can_edit and pending else None
        ),
        "followup_overdue": any(r.is_overdue for r in reviews),
        "followup_can_record_meeting": user.is_superuser or case.zone_id in zones,
    }
