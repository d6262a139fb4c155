"""Closing a case with its outcome."""

from django.db import transaction

from ..models import Case, Stage
from ..workflow import case_transition
from .common import require_manager

# --- closure and access ---------------------------------------------------------------------


@transaction.atomic
def case_close(*, actor, case, on, outcome, closing_note="") -> Case:
    """Close the case with its outcome; it becomes read-only. A new need opens a new case."""
    require_manager(actor, case)
    return case_transition(
        case=case,
        actor=actor,
        to_stage=Stage.CLOSED,
        on=on,
        outcome=outcome or "",
        closing_note=(closing_note or "").strip(),
    )
