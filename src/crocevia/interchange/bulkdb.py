"""Fast inserts for imports: COPY on PostgreSQL, bulk_create elsewhere.

Django's bulk_create spends most of an import's time preparing parameters (on
PostgreSQL 5.2 sends them as arrays to UNNEST). For large imports PostgreSQL's COPY is
several times faster: ids are taken from the table's sequence first (so the objects get
their pk, as bulk_create would give them), then the rows are streamed. The result is the
same rows with the same defaults (auto_now_add and friends go through pre_save).
"""

import json

from django.db import connection, models


def bulk_insert(model: type[models.Model], objects: list[models.Model]) -> list[models.Model]:
    """Insert `objects` (new, without pk); set their pk. Returns them."""
    if not objects:
        return objects
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objects, batch_size=500)
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in [pk, *fields])
    with connection.cursor() as cursor:
        ids = _allocate_ids(meta, len(objects))
        json_fields = {f for f in fields if isinstance(f, models.JSONField)}
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj, new_id in zip(objects, ids, strict=True):
                row = [new_id]
                for field in fields:
                    value = field.pre_save(obj, True)
                    if field in json_fields:
                        value = json.dumps(value, cls=field.encoder)
                    row.append(value)
                copy.write_row(row)
                obj.pk = new_id
                obj._state.adding = False
                obj._state.db = "default"
    return objects


def bulk_insert_rows(
    model: type[models.Model], attnames: list[str], rows: list[tuple], *, return_ids=False
) -> list[int] | None:
    """Insert plain tuples (values in `attnames` order); the ids, if asked for.

    No model instances on PostgreSQL (they are most of the cost of a large insert), so
    every NOT NULL column without a database default must be among `attnames`.
    """
    if not rows:
        return [] if return_ids else None
    if connection.vendor != "postgresql":
        made = model.objects.bulk_create(
            [model(**dict(zip(attnames, r, strict=True))) for r in rows], batch_size=500
        )
        return [obj.pk for obj in made] if return_ids else None
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[a] for a in attnames]
    json_positions = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    ids = None
    if return_ids:
        ids = _allocate_ids(meta, len(rows))
        fields = [meta.pk, *fields]
        json_positions = [i + 1 for i in json_positions]
        rows = [(new_id, *row) for new_id, row in zip(ids, rows, strict=True)]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            if json_positions:
                row = list(row)
                for i in json_positions:
                    row[i] = json.dumps(row[i], cls=fields[i].encoder)
            copy.write_row(row)
    return ids


def _allocate_ids(meta, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_change_events(object_type: str, actor, entries, note: str = "import") -> None:
    """Audit events of kind 'change' for [(action, object_id, changes, person_id)]."""
    from django.utils import timezone

    from crocevia.audit.models import AuditEvent

    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    bulk_insert_rows(
        AuditEvent,
        ["at", "kind", "action", "actor_id", "object_type", "object_id", "person_id",
         "changes", "note"],
        [
            (now, AuditEvent.Kind.CHANGE.value, action, actor_id, object_type, str(object_id),
             person_id, changes, note)
            for action, object_id, changes, person_id in entries
        ],
    )  # fmt: skip


def select_any(model: type[models.Model], columns: list[str], column: str, values) -> list:
    """Rows (tuples of `columns`, attnames) whose `column` is one of `values`.

    On PostgreSQL one `= ANY(array)` parameter instead of an IN list of thousands of
    placeholders, which costs more to build and plan than to run.
    """
    values = list(values)
    if not values:
        return []
    if connection.vendor != "postgresql":
        return list(model.objects.filter(**{f"{column}__in": values}).values_list(*columns))
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    quote = connection.ops.quote_name
    sql = "SELECT {} FROM {} WHERE {} = ANY(%s::{}[])".format(
        ", ".join(quote(by_attname[c].column) for c in columns),
        quote(meta.db_table),
        quote(by_attname[column].column),
        "bigint" if all(isinstance(v, int) for v in values) else "text",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_array_literal(values)])
        return cursor.fetchall()


def _array_literal(values) -> str:
    """A PostgreSQL array literal: psycopg adapts a long list element by element, slowly."""
    items = (
        str(v) if isinstance(v, int) else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for v in values
    )
    return "{" + ",".join(items) + "}"
