"""Writes of a case's follow-up: reviews (verifiche) and meetings (riunioni, with minutes).

Every function is keyword-only, atomic, validating and audited in the same transaction
(person set for reviews, which belong to one person's case). Validation errors are
ValidationError dicts keyed by the form field names (scheduled_on, kind, held_on, notes,
next_on; zone, held_on, attendees, cases, minutes, decisions).
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Trim
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import (
    active_memberships,
    coordinated_zone_ids,
    is_monitoring_only,
)
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.network.models import Zone

from .models import Case, Meeting, Review
from .selectors import cases_visible_to

REVIEW_AUDIT_FIELDS = ["case", "kind", "scheduled_on", "held_on", "held_by", "notes", "next_on"]
MEETING_AUDIT_FIELDS = ["kind", "held_on", "zone", "minutes", "decisions"]


class _Errors:
    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _fmt(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _is_date(value) -> bool:
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def _check_case_writable(actor, case: Case) -> None:
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise PermissionDenied(_("You cannot change this case."))
    if case.is_closed:
        raise ValidationError(
            {"__all__": [_("This case is closed: it can be read but not changed.")]}
        )


# --- Reviews -------------------------------------------------------------------------


def review_schedule(*, actor, case: Case, scheduled_on, kind=Review.Kind.IN_ITINERE) -> Review:
    """Schedule a review of the case's plan; any day from the referral on."""
    _check_case_writable(actor, case)
    errors = _Errors()
    if kind not in Review.Kind.values:
        errors.add("kind", _("Choose the kind of review."))
    if not _is_date(scheduled_on):
        errors.add("scheduled_on", _("Enter a valid date."))
    elif scheduled_on < case.referred_on:
        errors.add(
            "scheduled_on",
            _("A review cannot be scheduled before the referral (%(date)s).")
            % {"date": _fmt(case.referred_on)},
        )
    errors.raise_if_any()
    with transaction.atomic():
        review = Review.objects.create(case=case, kind=kind, scheduled_on=scheduled_on)
        audit_change(
            actor=actor,
            action="review_schedule",
            instance=review,
            changes=diff({}, snapshot(review, REVIEW_AUDIT_FIELDS)),
            person=case.person,
        )
    return review


def review_record(*, actor, review: Review, held_on, notes, next_on=None) -> Review:
    """Record a scheduled review as held; `next_on` schedules the next one (in itinere).

    The day is never in the future, nor before the plan's signature when there is one.
    """
    case = review.case
    _check_case_writable(actor, case)
    errors = _Errors()
    if review.held_on is not None:
        errors.add("__all__", _("This review has already been recorded."))
    today = timezone.localdate()
    if not _is_date(held_on):
        errors.add("held_on", _("Enter a valid date."))
    elif held_on > today:
        errors.add("held_on", _("The date cannot be in the future."))
    elif case.plan_signed_on and held_on < case.plan_signed_on:
        errors.add(
            "held_on",
            _("A review cannot be held before the plan was signed (%(date)s).")
            % {"date": _fmt(case.plan_signed_on)},
        )
    elif held_on < case.referred_on:
        errors.add(
            "held_on",
            _("A review cannot be held before the referral (%(date)s).")
            % {"date": _fmt(case.referred_on)},
        )
    notes = (notes or "").strip()
    if not notes:
        errors.add("notes", _("Write what the review found."))
    if next_on is not None:
        if not _is_date(next_on):
            errors.add("next_on", _("Enter a valid date."))
        elif _is_date(held_on) and next_on <= held_on:
            errors.add("next_on", _("The next review must come after this one."))
    errors.raise_if_any()

    with transaction.atomic():
        # Lock the row so two operators recording the same review cannot both succeed.
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if locked.held_on is not None:
            raise ValidationError({"__all__": [_("This review has already been recorded.")]})
        before = snapshot(locked, REVIEW_AUDIT_FIELDS)
        locked.held_on = held_on
        locked.held_by = actor
        locked.notes = notes
        locked.next_on = next_on
        locked.save(update_fields=["held_on", "held_by", "notes", "next_on"])
        audit_change(
            actor=actor,
            action="review_record",
            instance=locked,
            changes=diff(before, snapshot(locked, REVIEW_AUDIT_FIELDS)),
            person=case.person,
        )
        if next_on is not None:
            following = Review.objects.create(
                case=case, kind=Review.Kind.IN_ITINERE, scheduled_on=next_on
            )
            audit_change(
                actor=actor,
                action="review_schedule",
                instance=following,
                changes=diff({}, snapshot(following, REVIEW_AUDIT_FIELDS)),
                person=case.person,
            )
    review.refresh_from_db()
    return review


# --- Meetings ------------------------------------------------------------------------


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


def can_edit_meeting(user, meeting: Meeting) -> bool:
    return (
        user.is_superuser
        or meeting.created_by_id == user.pk
        or meeting.zone_id in coordinated_zone_ids(user)
    )


def _validate_meeting(actor, *, zone, kind, held_on, attendees, cases) -> tuple[list, list]:
    errors = _Errors()
    if kind not in Meeting.Kind.values:
        errors.add("kind", _("Choose the kind of meeting."))
    if zone is None or zone.pk not in meeting_zone_ids(actor):
        errors.add("zone", _("You can record meetings only for your own zone."))
    if not _is_date(held_on):
        errors.add("held_on", _("Enter a valid date."))
    elif held_on > timezone.localdate():
        errors.add("held_on", _("The date cannot be in the future."))
    attendees = list(attendees or [])
    if not attendees:
        errors.add("attendees", _("Name at least one attendee."))
    cases = list(cases or [])
    if cases:
        visible = set(
            cases_visible_to(actor)
            .filter(pk__in=[c.pk for c in cases])
            .values_list("pk", flat=True)
        )
        hidden = [c for c in cases if c.pk not in visible]
        if hidden:
            errors.add("cases", _("You can only list cases you can see."))
        elif zone is not None and any(c.zone_id != zone.pk for c in cases):
            errors.add("cases", _("Only cases of the meeting's zone can be discussed."))
    errors.raise_if_any()
    return attendees, cases


def _meeting_snapshot(meeting: Meeting) -> dict:
    data = snapshot(meeting, MEETING_AUDIT_FIELDS)
    data["attendees"] = sorted(meeting.attendees.values_list("pk", flat=True))
    data["cases"] = sorted(meeting.cases.values_list("pk", flat=True))
    return data


def meeting_record(
    *,
    actor,
    zone,
    kind,
    held_on,
    attendees: Iterable,
    cases: Iterable = (),
    minutes: str = "",
    decisions: str = "",
) -> Meeting:
    """Record a team, coordination-group or steering-committee meeting with its minutes."""
    attendees, cases = _validate_meeting(
        actor, zone=zone, kind=kind, held_on=held_on, attendees=attendees, cases=cases
    )
    with transaction.atomic():
        meeting = Meeting.objects.create(
            kind=kind,
            held_on=held_on,
            zone=zone,
            minutes=(minutes or "").strip(),
            decisions=(decisions or "").strip(),
            created_by=actor,
        )
        meeting.attendees.set(attendees)
        meeting.cases.set(cases)
        audit_change(
            actor=actor,
            action="meeting_record",
            instance=meeting,
            changes=diff({}, _meeting_snapshot(meeting)),
        )
        # Each person whose case was discussed gets the event in their history.
        for case in cases:
            audit_change(
                actor=actor,
                action="meeting_case_discussed",
                instance=meeting,
                changes={"case": [None, case.pk]},
                person=case.person,
            )
    return meeting


def meeting_update(
    *,
    actor,
    meeting: Meeting,
    zone,
    kind,
    held_on,
    attendees: Iterable,
    cases: Iterable = (),
    minutes: str = "",
    decisions: str = "",
) -> Meeting:
    """Correct a meeting (its author or a coordinator of its zone)."""
    if not can_edit_meeting(actor, meeting):
        raise PermissionDenied(_("Only the author or a coordinator of the zone can change it."))
    attendees, cases = _validate_meeting(
        actor, zone=zone, kind=kind, held_on=held_on, attendees=attendees, cases=cases
    )
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        before = _meeting_snapshot(meeting)
        previous_cases = set(before["cases"])
        meeting.kind = kind
        meeting.held_on = held_on
        meeting.zone = zone
        meeting.minutes = (minutes or "").strip()
        meeting.decisions = (decisions or "").strip()
        meeting.save()
        meeting.attendees.set(attendees)
        meeting.cases.set(cases)
        after = _meeting_snapshot(meeting)
        changes = diff(before, after)
        if changes:
            audit_change(actor=actor, action="meeting_update", instance=meeting, changes=changes)
        for case in cases:
            if case.pk not in previous_cases:
                audit_change(
                    actor=actor,
                    action="meeting_case_discussed",
                    instance=meeting,
                    changes={"case": [None, case.pk]},
                    person=case.person,
                )
    return meeting


def meetings_with_minutes(zone, start: datetime.date, end: datetime.date) -> dict[str, int]:
    """{kind: number of meetings with minutes} held in `zone` from `start` to `end` included.

    Every kind is present (0 when none); minutes made only of blanks do not count.
    """
    rows = (
        Meeting.objects.filter(zone=zone, held_on__gte=start, held_on__lte=end)
        .annotate(_minutes=Trim("minutes"))
        .exclude(_minutes="")
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {kind: 0 for kind in Meeting.Kind.values}
    for row in rows:
        counts[row["kind"]] = row["n"]
    return counts
