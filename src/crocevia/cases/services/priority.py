"""The access priority of a waiting case, set by the coordination group (seed 004)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change

from ..access import is_zone_coordinator_of
from ..models import Case, Priority

NOTE_MAX_LENGTH = 1000


def case_set_priority(*, actor, case: Case, priority, note: str = "") -> Case:
    """Set the access priority of `case` (Priority: high, medium or low) with an optional
    `note` (the group's reasons), recording who set it and when; audited (the note as
    changed only, it speaks of the person).

    PermissionDenied unless `actor` coordinates the case's zone (or is an
    administrator). A ValidationError keyed `priority` or `note` for a value out of the
    list, a closed case, or a case no longer waiting (Case.is_waiting: its plan signed
    and its case manager named).
    """
    if not is_zone_coordinator_of(actor, case):
        raise PermissionDenied(_("Only a coordinator of the case's zone sets its priority."))
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
        errors: dict[str, str] = {}
        try:
            priority = Priority(int(priority))
        except (TypeError, ValueError):
            errors["priority"] = _("Choose the priority: high, medium or low.")
        note = (note or "").strip()
        if len(note) > NOTE_MAX_LENGTH:
            errors["note"] = _("Write at most %(n)s characters.") % {"n": NOTE_MAX_LENGTH}
        if locked.is_closed:
            errors["priority"] = _("This case is closed: it can be read but not changed.")
        elif not locked.is_waiting:
            errors["priority"] = _(
                "The access priority orders the cases waiting to be taken in charge: this "
                "case's plan is signed."
            )
        if errors:
            raise ValidationError(errors)
        changes = {"priority": [locked.priority, int(priority)]}
        if note != locked.priority_note:
            changes["priority_note"] = [locked.priority_note, note]  # redacted
        locked.priority = priority
        locked.priority_note = note
        locked.priority_set_at = timezone.now()
        locked.priority_set_by = actor
        locked.save(
            update_fields=[
                "priority",
                "priority_note",
                "priority_set_at",
                "priority_set_by",
                "updated_at",
            ]
        )
        audit_change(
            actor=actor,
            action=AuditAction.CASE_SET_PRIORITY,
            instance=locked,
            changes=changes,
            person=locked.person,
        )
    case.refresh_from_db()
    return case
