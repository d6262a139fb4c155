"""Fast inserts for imports: COPY on PostgreSQL, bulk_create elsewhere.

Django's bulk_create spends most of an import's time preparing parameters (on
PostgreSQL 5.2 sends them as arrays to UNNEST). For large imports PostgreSQL's COPY is
several times faster: ids are taken from the table's sequence first (so the objects get
their pk, as bulk_create would give them), then the rows are streamed. The result is the
same rows with the same defaults (auto_now_add and friends go through pre_save).
"""

import json
from contextlib import contextmanager

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
    # One encoder per JSON column, not one per value (what json.dumps(cls=...) builds).
    encoders = [(i, (fields[i].encoder or json.JSONEncoder)().encode) for i in json_positions]
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            if encoders:
                row = list(row)
                for i, encode in encoders:
                    row[i] = encode(row[i])
            copy.write_row(row)
    return ids


def _allocate_ids(meta, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for `count` rows about to be inserted with explicit ids.

    PostgreSQL: from the table's sequence, so concurrent inserts never collide. SQLite:
    after the largest id ever given (AUTOINCREMENT's counter included); safe because an
    import's transaction holds SQLite's write lock from its start (transaction_mode
    IMMEDIATE in the settings), and the rows must be inserted in that transaction.
    """
    if count <= 0:
        return []
    meta = model._meta
    if connection.vendor == "postgresql":
        return _allocate_ids(meta, count)
    with connection.cursor() as cursor:
        # Identifiers from the model's own metadata, never from input.
        cursor.execute(f"SELECT COALESCE(MAX({meta.pk.column}), 0) FROM {meta.db_table}")  # noqa: S608
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
        row = cursor.fetchone()
    start = max(top, row[0] if row else 0) + 1
    return list(range(start, start + count))


@contextmanager
def pending_checks_meanwhile():
    """Run the deferred constraint checks of what was written so far while the block runs.

    PostgreSQL checks deferred foreign keys at commit: for a large import that is one
    long wait at the end (7 s for 200,000 contacts). Sent in pipeline mode, the checks
    run on the server while this process goes on with the block, which must be plain
    Python (a query inside it would wait for them). A violation raises IntegrityError at
    the end of the block. Elsewhere the checks stay at commit.
    """
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    pg = connection.connection
    with connection.wrap_database_errors, pg.pipeline():
        pg.execute("SET CONSTRAINTS ALL IMMEDIATE")
        pg.execute("SET CONSTRAINTS ALL DEFERRED")
        yield


def change_event_rows(object_type: str, actor, entries, note: str = "import") -> list[tuple]:
    """Rows for bulk_insert_rows(AuditEvent, CHANGE_EVENT_COLUMNS, ...): one audit event
    of kind 'change' per (action, object_id, changes, person_id) of `entries`."""
    from django.utils import timezone

    from crocevia.audit.models import AuditEvent
    from crocevia.audit.services import organisations_label

    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    organisations = organisations_label(actor)
    kind = AuditEvent.Kind.CHANGE.value
    return [
        (
            now, kind, action, actor_id, organisations, object_type, str(object_id),
            person_id, changes, note,
        )
        for action, object_id, changes, person_id in entries
    ]  # fmt: skip


CHANGE_EVENT_COLUMNS = [
    "at", "kind", "action", "actor_id", "actor_organisations", "object_type", "object_id",
    "person_id", "changes", "note",
]  # fmt: skip


def insert_change_events(object_type: str, actor, entries, note: str = "import") -> None:
    """Audit events of kind 'change' for [(action, object_id, changes, person_id)], sealed
    into the audit chain after the transaction commits."""
    from crocevia.audit.chain import schedule_seal
    from crocevia.audit.models import AuditEvent

    rows = change_event_rows(object_type, actor, entries, note)
    bulk_insert_rows(AuditEvent, CHANGE_EVENT_COLUMNS, rows)
    schedule_seal()


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
    # Quoted identifiers from the model's metadata; the values go as a parameter.
    sql = "SELECT {} FROM {} WHERE {} = ANY(%s::{}[])".format(  # noqa: S608
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
