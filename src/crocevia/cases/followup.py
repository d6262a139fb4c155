"""Writes of a case's follow-up: reviews (verifiche) and meetings (riunioni, with minutes).

Every function is keyword-only, atomic, validating and audited in the same transaction
(person set for reviews, which belong to one person's case). Validation errors are
ValidationError dicts keyed by the form field names (scheduled_on, kind, held_on, notes,
next_on; zone, held_on, attendees, cases, notes).
"""

import datetime
import re
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.db.models.functions import Trim
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import (
    active_memberships,
    coordinated_zone_ids,
    is_monitoring_only,
)
from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.errors import ConflictError as BaseConflictError
from crocevia.network.models import Zone

from .models import Case, Meeting, MeetingItem, Review
from .selectors import cases_visible_to

REVIEW_AUDIT_FIELDS = ["case", "kind", "scheduled_on", "held_on", "held_by", "notes", "next_on"]
MEETING_AUDIT_FIELDS = ["kind", "held_on", "zone"]
# Free text of a meeting: the audit records that it changed, never what it says.
MEETING_TEXT_FIELDS = ["notes", "restricted_minutes", "restricted_decisions"]
REDACTED = "[…]"


class ConflictError(BaseConflictError):
    """The meeting changed since the operator opened it; their save is refused."""

    def __init__(self, current: Meeting):
        super().__init__(current, _("This meeting was changed by someone else in the meantime."))


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


def can_read_restricted_text(user, meeting: Meeting, *, hidden_cases: int) -> bool:
    """The minutes written before the per-case items (migration meeting_items_per_case)
    may name any person of the cases discussed: only an editor of the meeting who sees
    every one reads them."""
    return hidden_cases == 0 and can_edit_meeting(user, meeting)


def _clean_text(value) -> str:
    return (value or "").strip()


def _names_in(text: str, cases: list[Case]) -> list[str]:
    """The names of the cases' persons that `text` mentions (whole words, any case)."""
    found = []
    folded = text.casefold()
    for case in cases:
        person = case.person
        for name in (person.family_name, person.full_name):
            name = (name or "").strip()
            if len(name) >= 3 and re.search(rf"\b{re.escape(name.casefold())}\b", folded):
                found.append(name)
                break
    return found


def _validate_meeting(
    actor, *, zone, kind, held_on, attendees, cases, notes, kept=()
) -> tuple[list, list]:
    """`kept`: cases the meeting discussed that the actor no longer sees (kept as they are)."""
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
    cases = list(dict.fromkeys(cases or []))  # a case listed twice is discussed once
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
    if notes:
        # General notes are read by everyone who opens the meeting: never about a person.
        named = _names_in(notes, cases)
        if named:
            errors.add(
                "notes",
                _(
                    "The general notes name %(name)s: write what concerns a person in the "
                    "minutes of their case, which only who may see the case reads."
                )
                % {"name": ", ".join(named)},
            )
        elif _names_in(notes, list(kept)):
            errors.add(
                "notes",
                _(
                    "The general notes name a person whose case was discussed: write it "
                    "in the minutes of their case."
                ),
            )
    errors.raise_if_any()
    return attendees, cases


def _item_text(items: Mapping | None, case: Case) -> tuple[str, str]:
    values = (items or {}).get(case.pk) or {}
    return _clean_text(values.get("minutes")), _clean_text(values.get("decisions"))


def _text_change(old: str, new: str) -> list | None:
    """[old, new] for a free text that changed, its values never copied into the audit:
    what is written about a person is case data, the trail records that it changed."""
    if old == new:
        return None
    return [REDACTED if old else None, REDACTED if new else None]


def _text_changes(before: dict, after: dict) -> dict:
    changes = {}
    for name in [*after, *(n for n in before if n not in after)]:
        change = _text_change(before.get(name, ""), after.get(name, ""))
        if change:
            changes[name] = change
    return changes


def _meeting_snapshot(meeting: Meeting) -> dict:
    data = snapshot(meeting, MEETING_AUDIT_FIELDS)
    data["attendees"] = sorted(meeting.attendees.values_list("pk", flat=True))
    data["cases"] = sorted(meeting.items.values_list("case_id", flat=True))
    return data


def _meeting_texts(meeting: Meeting) -> dict:
    return {name: getattr(meeting, name) for name in MEETING_TEXT_FIELDS}


def _audit_item(actor, *, action, meeting, case, before=None, after=None) -> None:
    """The event of one case discussed, in the history of its person."""
    changes = {
        "case": [
            case.pk if before is not None else None,
            case.pk if after is not None else None,
        ]
    }
    changes.update(_text_changes(before or {}, after or {}))
    audit_change(actor=actor, action=action, instance=meeting, changes=changes, person=case.person)


def meeting_record(
    *,
    actor,
    zone,
    kind,
    held_on,
    attendees: Iterable,
    cases: Iterable = (),
    notes: str = "",
    items: Mapping | None = None,
) -> Meeting:
    """Record a team, coordination-group or steering-committee meeting with its minutes.

    `items` maps a case's pk to {"minutes": ..., "decisions": ...}: what was said and
    decided about that case (read only by who may see the case); `notes` are general
    notes, never about a person (refused when they name a person of a case discussed).
    """
    notes = _clean_text(notes)
    attendees, cases = _validate_meeting(
        actor,
        zone=zone,
        kind=kind,
        held_on=held_on,
        attendees=attendees,
        cases=cases,
        notes=notes,
    )
    with transaction.atomic():
        meeting = Meeting.objects.create(
            kind=kind, held_on=held_on, zone=zone, notes=notes, created_by=actor
        )
        meeting.attendees.set(attendees)
        texts = {case.pk: _item_text(items, case) for case in cases}
        MeetingItem.objects.bulk_create(
            MeetingItem(meeting=meeting, case=case, minutes=m, decisions=d)
            for case, (m, d) in ((c, texts[c.pk]) for c in cases)
        )
        changes = diff({}, _meeting_snapshot(meeting))
        changes.update(_text_changes({}, _meeting_texts(meeting)))
        audit_change(
            actor=actor, action=AuditAction.MEETING_RECORD, instance=meeting, changes=changes
        )
        # Each person whose case was discussed gets the event in their history.
        for case in cases:
            minutes, decisions = texts[case.pk]
            _audit_item(
                actor,
                action=AuditAction.MEETING_ADD_CASE,
                meeting=meeting,
                case=case,
                after={"minutes": minutes, "decisions": decisions},
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
    notes: str = "",
    items: Mapping | None = None,
    restricted_minutes: str | None = None,
    restricted_decisions: str | None = None,
    expected_version: int | None = None,
) -> Meeting:
    """Correct a meeting (its author or a coordinator of its zone).

    `cases` and `items` are those of the cases the actor may see; the cases discussed
    that the actor no longer sees are kept, with their text, as they are. The earlier
    minutes (`restricted_*`) change only when given (None: unchanged), and only by who
    may read them. ConflictError if the meeting changed since `expected_version`.
    """
    if not can_edit_meeting(actor, meeting):
        raise PermissionDenied(_("Only the author or a coordinator of the zone can change it."))
    notes = _clean_text(notes)
    current_items = {item.case_id: item for item in meeting.items.select_related("case__person")}
    visible = set(cases_visible_to(actor).filter(pk__in=current_items).values_list("pk", flat=True))
    kept = [item.case for pk, item in current_items.items() if pk not in visible]
    if kept and (restricted_minutes is not None or restricted_decisions is not None):
        raise PermissionDenied(_("You cannot change the earlier minutes of this meeting."))
    if kept and zone is not None and zone.pk != meeting.zone_id:
        # The kept cases belong to the meeting's zone; moving it would strand them.
        raise ValidationError(
            {
                "zone": _(
                    "This meeting discussed cases you cannot see: only someone who sees "
                    "them all can move it to another zone."
                )
            }
        )
    attendees, cases = _validate_meeting(
        actor,
        zone=zone,
        kind=kind,
        held_on=held_on,
        attendees=attendees,
        cases=cases,
        notes=notes,
        kept=kept,
    )
    with transaction.atomic():
        current = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(current)
        # Read again under the lock: the items as they are now.
        current_items = {
            item.case_id: item for item in current.items.select_related("case__person")
        }
        before = _meeting_snapshot(current)
        texts_before = _meeting_texts(current)
        current.kind = kind
        current.held_on = held_on
        current.zone = zone
        current.notes = notes
        if restricted_minutes is not None:
            current.restricted_minutes = _clean_text(restricted_minutes)
        if restricted_decisions is not None:
            current.restricted_decisions = _clean_text(restricted_decisions)
        current.attendees.set(attendees)

        wanted = {case.pk: case for case in cases}
        # What the actor cannot see is kept as it is now (an item added meanwhile too).
        seen_now = set(
            cases_visible_to(actor).filter(pk__in=current_items).values_list("pk", flat=True)
        )
        kept_pks = set(current_items) - seen_now
        item_events = []  # (action, case, text before, text after)
        for pk, item in current_items.items():
            if pk not in kept_pks and pk not in wanted:
                item.delete()
                old = {"minutes": item.minutes, "decisions": item.decisions}
                item_events.append((AuditAction.MEETING_REMOVE_CASE, item.case, old, None))
        for pk, case in wanted.items():
            minutes, decisions = _item_text(items, case)
            new = {"minutes": minutes, "decisions": decisions}
            item = current_items.get(pk)
            if item is None:
                MeetingItem.objects.create(
                    meeting=current, case=case, minutes=minutes, decisions=decisions
                )
                item_events.append((AuditAction.MEETING_ADD_CASE, case, None, new))
            elif (item.minutes, item.decisions) != (minutes, decisions):
                old = {"minutes": item.minutes, "decisions": item.decisions}
                item.minutes, item.decisions = minutes, decisions
                item.save(update_fields=["minutes", "decisions"])
                item_events.append((AuditAction.MEETING_UPDATE_CASE, case, old, new))

        changes = diff(before, _meeting_snapshot(current))
        changes.update(_text_changes(texts_before, _meeting_texts(current)))
        if changes or item_events:
            current.version += 1
            current.save()
        if changes:
            audit_change(
                actor=actor, action=AuditAction.MEETING_UPDATE, instance=current, changes=changes
            )
        for action, case, old, new in item_events:
            _audit_item(actor, action=action, meeting=current, case=case, before=old, after=new)
    meeting.refresh_from_db()
    return meeting


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
