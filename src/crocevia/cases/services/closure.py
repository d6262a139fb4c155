"""Closing a case with its outcome, after listing what is still open.

A case is closed when its pathway is over; what it leaves open is listed first
(`closure_open_items`: interventions planned or in progress, plan actions not done, no
final review held) and closing over them takes a reason, kept on the case, shown on its
page and written to the audit trail. A register's historic closure (the `cases` import)
goes straight through workflow.case_transition: it records the past, it checks nothing
of today.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change

from ..hooks import OpenItem, registered_open_items
from ..models import Case, Outcome, Review, Stage
from ..workflow import case_transition
from .common import require_manager


def _final_review_missing(case: Case) -> list[OpenItem]:
    """The final review is the exit review (Review.Kind.EXIT) once held: the closing
    check of the plan. Scheduled but not held, or never scheduled, it is still to do.
    A case closed before its plan was signed has no plan to check: nothing is missing."""
    if case.plan_signed_on is None:
        return []
    exits = list(
        Review.objects.filter(case=case, kind=Review.Kind.EXIT).values_list("held_on", flat=True)
    )
    if any(held_on is not None for held_on in exits):
        return []
    if exits:  # scheduled, not yet held: record it
        url = reverse("cases:followup_review_record", args=[case.pk])
    else:
        url = reverse("cases:followup_review_schedule", args=[case.pk]) + "?kind=exit"
    return [OpenItem(kind="final_review", pk=None, label=_("No final review held"), url=url)]


def closure_open_items(case: Case) -> list[OpenItem]:
    """What the case still leaves open: the other apps' items (cases.hooks), then the
    final review."""
    return registered_open_items(case) + _final_review_missing(case)


@transaction.atomic
def case_close(*, actor, case, on, outcome, closing_note="", open_items_reason="") -> Case:
    """Close the case with its outcome; it becomes read-only. A new need opens a new case.

    The outcome is required. When something is still open (closure_open_items), closing
    needs `open_items_reason`; without it the ValidationError names the field and nothing
    is written. The reason is kept on the case, and an audit event lists what was left
    open by reference (kind and row, never content).
    """
    require_manager(actor, case)
    # Lock the case first: nothing can be added to it while its open items are counted.
    Case.objects.select_for_update().filter(pk=case.pk).first()
    reason = (open_items_reason or "").strip()
    errors: dict[str, str] = {}
    if (outcome or "") not in Outcome.values:
        errors["outcome"] = _("Choose the outcome of the case to close it.")
    items = closure_open_items(case)
    if items and not reason:
        errors["open_items_reason"] = _(
            "This case still has open items (listed above): deal with them first, or write why "
            "the case closes anyway."
        )
    if errors:
        raise ValidationError(errors)
    case = case_transition(
        case=case,
        actor=actor,
        to_stage=Stage.CLOSED,
        on=on,
        outcome=outcome,
        closing_note=(closing_note or "").strip(),
        open_items_reason=reason if items else "",
    )
    if items:
        audit_change(
            actor=actor,
            action=AuditAction.CASE_CLOSE_WITH_OPEN_ITEMS,
            instance=case,
            changes={"open_items": [None, [item.reference for item in items]]},
            person=case.person,
        )
    return case
