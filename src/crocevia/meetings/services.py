"""Writes of meetings (riunioni, with minutes per case discussed) and of the decisions of
a meeting that become actions of a case's plan.

Every function is keyword-only, atomic, validating and audited in the same transaction.
Validation errors are ValidationError dicts keyed by the form field names (zone, kind,
held_on, attendees, cases, notes; description, responsible_user, responsible_organisation,
due_on).
"""

import re
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.cases.models import Case
from crocevia.cases.selectors import cases_visible_to
from crocevia.core.dates import is_day
from crocevia.core.errors import ConflictError as BaseConflictError
from crocevia.core.errors import FieldErrors
from crocevia.plans.models import PlanVersion
from crocevia.plans.services import plan_action_add

from .access import can_edit_meeting
from .models import Meeting, MeetingItem
from .selectors import meeting_zone_ids, meetings_visible_to

MEETING_AUDIT_FIELDS = ["kind", "held_on", "zone"]
# Free text of a meeting: the audit records that it changed, never what it says.
MEETING_TEXT_FIELDS = ["notes", "restricted_minutes", "restricted_decisions"]
REDACTED = "[…]"


class ConflictError(BaseConflictError):
    """The meeting changed since the operator opened it; their save is refused."""

    def __init__(self, current: Meeting):
        super().__init__(current, _("This meeting was changed by someone else in the meantime."))


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
    errors = FieldErrors()
    if kind not in Meeting.Kind.values:
        errors.add("kind", _("Choose the kind of meeting."))
    if zone is None or zone.pk not in meeting_zone_ids(actor):
        errors.add("zone", _("You can record meetings only for your own zone."))
    if not is_day(held_on):
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


# --- Decisions of a meeting as plan actions -------------------------------------------


def plan_action_add_from_meeting(
    *,
    actor,
    meeting: Meeting,
    case: Case,
    description: str,
    responsible_user=None,
    responsible_organisation=None,
    due_on=None,
) -> PlanVersion:
    """Add a decision of ``meeting`` about ``case`` as an action of the case's plan
    (plans.services.plan_action_add: at the end of the draft, or of version n+1 when the
    latest is signed; the action keeps the meeting). Returns the version written.

    Refused (PermissionDenied) unless the actor sees the meeting, the case was discussed
    there and the actor may change the case; a closed case or a case without a plan is a
    ValidationError. Field errors are keyed ``description``, ``responsible_user``,
    ``responsible_organisation`` and ``due_on``.
    """
    if not meetings_visible_to(actor).filter(pk=meeting.pk, cases=case).exists():
        raise PermissionDenied(_("This case was not discussed in a meeting you can see."))
    return plan_action_add(
        actor=actor,
        case=case,
        from_meeting=meeting,
        description=description,
        responsible_user=responsible_user,
        responsible_organisation=responsible_organisation,
        due_on=due_on,
    )
