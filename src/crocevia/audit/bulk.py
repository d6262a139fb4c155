"""The audit events of bulk writes (imports): rows of kind 'change' inserted with
core.bulkdb (COPY on PostgreSQL), their sensitive values left out as on every path that
writes events (audit.sensitive), sealed into the chain after the transaction commits."""

import json

from django.db import connection
from django.utils import timezone

from crocevia.core.bulkdb import (
    COPY_NULL,
    bulk_insert_rows,
    copy_rows,
    copy_statement,
    copy_text,
    copy_timestamp,
)

from .actions import check_action
from .chain import schedule_seal
from .models import AuditEvent
from .sensitive import redact, redact_json
from .services import organisations_label


def change_event_rows(object_type: str, actor, entries, note: str = "import") -> list[tuple]:
    """Rows for bulk_insert_rows(AuditEvent, CHANGE_EVENT_COLUMNS, ...): one audit event
    of kind 'change' per (action, object_id, changes, person_id) of `entries`. `action`
    is a member of AuditAction (ValueError for anything else, as on every path that writes
    events: crocevia.audit.actions). `changes` (a dict, or JSON text) comes out with the
    values of sensitive fields left out, as on every path that writes events
    (crocevia.audit.sensitive)."""
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    organisations = organisations_label(actor)
    kind = AuditEvent.Kind.CHANGE.value
    return [
        (
            now, kind, check_action(action).value, actor_id, organisations, object_type,
            str(object_id),
            person_id,
            redact_json(object_type, changes) if isinstance(changes, str)
            else redact(object_type, changes),
            note,
        )
        for action, object_id, changes, person_id in entries
    ]  # fmt: skip


def change_event_json(changes) -> str:
    """An audit event's `changes` as the JSON text change_event_line takes (JSON text
    already, as written by a caller that knows its shape, is kept as it is)."""
    return changes if isinstance(changes, str) else json.dumps(changes)


def change_event_line(row) -> str:
    """The COPY line of a row of change_event_rows whose `changes` are JSON text."""
    at, kind, action, actor_id, orgs, object_type, object_id, person_id, changes, note = row
    return (
        f"{copy_timestamp(at)}\t{kind}\t{action}\t{COPY_NULL if actor_id is None else actor_id}\t"
        f"{copy_text(orgs)}\t{copy_text(object_type)}\t{copy_text(object_id)}\t"
        f"{COPY_NULL if person_id is None else person_id}\t{copy_text(changes)}\t"
        f"{copy_text(note)}\n"
    )


CHANGE_EVENT_COLUMNS = [
    "at", "kind", "action", "actor_id", "actor_organisations", "object_type", "object_id",
    "person_id", "changes", "note",
]  # fmt: skip


def insert_change_events(object_type: str, actor, entries, note: str = "import") -> None:
    """Audit events of kind 'change' for [(action, object_id, changes, person_id)], sealed
    into the audit chain after the transaction commits."""
    if connection.vendor != "postgresql":
        rows = change_event_rows(object_type, actor, entries, note)
        bulk_insert_rows(AuditEvent, CHANGE_EVENT_COLUMNS, rows)
    elif entries:
        # As COPY text lines, like the contacts' events, not adapted value by value.
        entries = [
            (a, pk, change_event_json(redact(object_type, c)), person)
            for a, pk, c, person in entries
        ]
        rows = change_event_rows(object_type, actor, entries, note)
        sql, _encoders = copy_statement(AuditEvent, CHANGE_EVENT_COLUMNS)
        with connection.cursor() as cursor:
            copy_rows(cursor.cursor, sql, None, "".join(map(change_event_line, rows)))
    schedule_seal()
