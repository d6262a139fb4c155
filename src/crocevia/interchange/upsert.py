"""Bulk create-or-update of reference data keyed by a code, with audit events.

The network app (zones, Comuni, organisations, desks) has no services module: its rows
are reference data kept by administrators. This is the one way the interchange writes
them: new rows bulk-created, changed rows bulk-updated, unchanged rows left alone, and an
audit event (old and new values) for each created or changed row.
"""

from collections.abc import Callable

from django.db import models

from crocevia.audit.actions import action_for
from crocevia.audit.bulk import insert_change_events
from crocevia.audit.services import plain_value
from crocevia.core.bulkdb import bulk_insert

from .kinds import Counts


def upsert(
    model: type[models.Model],
    key: str,
    records: list[dict],
    *,
    actor,
    on_create: Callable[[dict], dict] | None = None,
) -> Counts:
    """Write `records` ({field attname: value}, each with `key`) keyed by `key`.
    `on_create(record)` gives the values of the fields a file does not carry that a new
    row takes (a Comune's metropolitan flag, from its province); existing rows keep
    theirs."""
    counts = Counts()
    if not records:
        return counts
    fields = list(records[0])
    names = {f.attname: f.name for f in model._meta.concrete_fields}
    existing = {
        getattr(obj, key): obj
        for obj in model.objects.filter(**{f"{key}__in": [r[key] for r in records]})
    }
    new, changed, events = [], [], []
    changed_fields: set[str] = set()
    for record in records:
        obj = existing.get(record[key])
        if obj is None:
            new.append(model(**record, **(on_create(record) if on_create else {})))
            continue
        changes = {}
        for attname in fields:
            old = getattr(obj, attname)
            if old != record[attname]:
                changes[names[attname]] = [plain_value(old), plain_value(record[attname])]
                setattr(obj, attname, record[attname])
                changed_fields.add(attname)
        if changes:
            changed.append(obj)
            events.append((action_for(model._meta.label_lower, "update"), obj.pk, changes, None))
        else:
            counts.unchanged += 1
    if new:
        bulk_insert(model, new)
        created_fields = fields + [
            a for a in (on_create(records[0]) if on_create else {}) if a not in fields
        ]
        for obj in new:
            changes = {names[a]: [None, plain_value(getattr(obj, a))] for a in created_fields}
            events.append((action_for(model._meta.label_lower, "create"), obj.pk, changes, None))
    if changed:
        model.objects.bulk_update(changed, sorted(changed_fields))
    insert_change_events(model._meta.label_lower, actor, events)
    counts.created += len(new)
    counts.updated += len(changed)
    return counts
