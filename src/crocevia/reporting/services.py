"""Writes of reporting's own data: the patron saints' days that make working days."""

from django.db import transaction

from crocevia.audit.actions import AuditAction
from crocevia.audit.rows import row_create, row_delete, row_update

from .models import PatronDay

PATRON_DAY_FIELDS = ["comune", "month", "day"]


@transaction.atomic
def patron_day_create(*, actor, **values) -> PatronDay:
    """A Comune's patron day: from then on it is not a working day for its deadlines."""
    return row_create(
        actor=actor,
        model=PatronDay,
        action=AuditAction.PATRON_DAY_CREATE,
        fields=PATRON_DAY_FIELDS,
        values=values,
    )


@transaction.atomic
def patron_day_update(*, actor, patron_day: PatronDay, **values) -> bool:
    return row_update(
        actor=actor,
        instance=patron_day,
        action=AuditAction.PATRON_DAY_UPDATE,
        fields=PATRON_DAY_FIELDS,
        values=values,
    )


@transaction.atomic
def patron_day_delete(*, actor, patron_day: PatronDay) -> None:
    row_delete(
        actor=actor,
        instance=patron_day,
        action=AuditAction.PATRON_DAY_DELETE,
        fields=PATRON_DAY_FIELDS,
    )
