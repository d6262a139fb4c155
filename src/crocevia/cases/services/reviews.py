"""Reviews (verifiche) of a case's plan: scheduled, then recorded as held.

Keyword-only, atomic, validating and audited in the same transaction, the event in the
history of the case's person. Validation errors are ValidationError dicts keyed by the
form field names (scheduled_on, kind, held_on, notes, next_on).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.dates import format_day, is_day
from crocevia.core.errors import FieldErrors
from crocevia.notifications.models import NotificationKind
from crocevia.notifications.services import notify

from ..models import Case, Review, Stage
from ..selectors import cases_visible_to
from .team import case_reference

REVIEW_AUDIT_FIELDS = ["case", "kind", "scheduled_on", "held_on", "held_by", "notes", "next_on"]


def _check_case_writable(actor, case: Case) -> None:
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise PermissionDenied(_("You cannot change this case."))
    if case.is_closed:
        raise ValidationError(
            {"__all__": [_("This case is closed: it can be read but not changed.")]}
        )


def review_schedule(*, actor, case: Case, scheduled_on, kind=Review.Kind.IN_ITINERE) -> Review:
    """Schedule a review of the case's plan; any day from the referral on."""
    _check_case_writable(actor, case)
    errors = FieldErrors()
    if kind not in Review.Kind.values:
        errors.add("kind", _("Choose the kind of review."))
    if not is_day(scheduled_on):
        errors.add("scheduled_on", _("Enter a valid date."))
    elif scheduled_on < case.referred_on:
        errors.add(
            "scheduled_on",
            _("A review cannot be scheduled before the referral (%(date)s).")
            % {"date": format_day(case.referred_on)},
        )
    errors.raise_if_any()
    with transaction.atomic():
        review = Review.objects.create(case=case, kind=kind, scheduled_on=scheduled_on)
        audit_change(
            actor=actor,
            action=AuditAction.REVIEW_SCHEDULE,
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
    errors = FieldErrors()
    if review.held_on is not None:
        errors.add("__all__", _("This review has already been recorded."))
    today = timezone.localdate()
    if not is_day(held_on):
        errors.add("held_on", _("Enter a valid date."))
    elif held_on > today:
        errors.add("held_on", _("The date cannot be in the future."))
    elif case.plan_signed_on and held_on < case.plan_signed_on:
        errors.add(
            "held_on",
            _("A review cannot be held before the plan was signed (%(date)s).")
            % {"date": format_day(case.plan_signed_on)},
        )
    elif held_on < case.referred_on:
        errors.add(
            "held_on",
            _("A review cannot be held before the referral (%(date)s).")
            % {"date": format_day(case.referred_on)},
        )
    notes = (notes or "").strip()
    if not notes:
        errors.add("notes", _("Write what the review found."))
    if next_on is not None:
        if not is_day(next_on):
            errors.add("next_on", _("Enter a valid date."))
        elif is_day(held_on) and next_on <= held_on:
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
            action=AuditAction.REVIEW_RECORD,
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
                action=AuditAction.REVIEW_SCHEDULE,
                instance=following,
                changes=diff({}, snapshot(following, REVIEW_AUDIT_FIELDS)),
                person=case.person,
            )
    review.refresh_from_db()
    return review


def notify_overdue_reviews(*, today: datetime.date | None = None) -> int:
    """Tell each open case's manager, once, of a review past its day and not held (a
    daily job, cases.tasks.notify_overdue). Returns how many reviews were told of."""
    today = today or timezone.localdate()
    late = list(
        Review.objects.filter(
            scheduled_on__lt=today,
            # Late lately (not the first run's backlog): a month at most.
            scheduled_on__gte=today - datetime.timedelta(days=30),
            held_on__isnull=True,
            overdue_told_on__isnull=True,
            case__case_manager__isnull=False,
        )
        .exclude(case__stage=Stage.CLOSED)
        .select_related("case__person")
    )
    told = 0
    for review in late:
        case = review.case
        with transaction.atomic():
            # Claimed first: two runs at once tell of it once.
            if not Review.objects.filter(pk=review.pk, overdue_told_on__isnull=True).update(
                overdue_told_on=today
            ):
                continue
            told += 1
            notify(
                recipients=[case.case_manager_id],
                kind=NotificationKind.REVIEW_OVERDUE,
                url=reverse("cases:detail", args=[case.pk]) + "#case-followup",
                reference=case_reference(case),
                title=_("Review of %(day)s not recorded")
                % {"day": format_day(review.scheduled_on)},
            )
    return told
