"""Fast inserts for imports: COPY on PostgreSQL, bulk_create elsewhere.

Django's bulk_create spends most of an import's time preparing parameters (on
PostgreSQL 5.2 sends them as arrays to UNNEST). For large imports PostgreSQL's COPY is
several times faster: ids are taken from the table's sequence first (so the objects get
their pk, as bulk_create would give them), then the rows are streamed. The result is the
same rows with the same defaults (auto_now_add and friends go through pre_save).
"""

import functools
import json
import logging
import re
import threading

from django.db import connection, models

from crocevia.audit.actions import check_action
from crocevia.audit.sensitive import redact, redact_json
from crocevia.core.countries import country_code, is_country_field
from crocevia.core.sqlarrays import array_literal

logger = logging.getLogger(__name__)


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
        # A country field's pre_save builds a Country to save its code: the code is read
        # directly when it is stored as such (core.countries.country_code).
        country_fields = {f for f in fields if is_country_field(f)}
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj, new_id in zip(objects, ids, strict=True):
                row = [new_id]
                for field in fields:
                    if field in country_fields:
                        row.append(country_code(obj, field.name))
                        continue
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
    ids = None
    if return_ids:
        ids = _allocate_ids(model._meta, len(rows))
        attnames = [model._meta.pk.attname, *attnames]
        rows = [(new_id, *row) for new_id, row in zip(ids, rows, strict=True)]
    sql, encoders = _copy_statement(model, attnames)
    with connection.cursor() as cursor:
        _copy(cursor.cursor, sql, encoders, rows)
    return ids


_SEQUENCES: dict[tuple[str, str], str] = {}


def _allocate_ids(meta, count: int) -> list[int]:
    with connection.cursor() as cursor:
        # The sequence's name is looked up once: pg_get_serial_sequence() is evaluated per
        # row of generate_series, which cost the server a second per 200,000 ids.
        key = (meta.db_table, meta.pk.column)
        sequence = _SEQUENCES.get(key)
        if sequence is None:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", list(key))
            sequence = _SEQUENCES[key] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
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


def _copy_statement(model: type[models.Model], attnames: list[str]):
    """COPY ... FROM STDIN for these columns, and an encoder for each JSON column."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[a] for a in attnames]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # One encoder per JSON column, not one per value (what json.dumps(cls=...) builds).
    encoders = [
        (i, (f.encoder or json.JSONEncoder)().encode)
        for i, f in enumerate(fields)
        if isinstance(f, models.JSONField)
    ]
    return f"COPY {table} ({columns}) FROM STDIN", encoders


def _copy(cursor, sql: str, encoders, rows) -> None:
    """Stream `rows` with COPY on a psycopg cursor: tuples, or one str in COPY's text
    format (see copy_text)."""
    with cursor.copy(sql) as copy:
        if isinstance(rows, str):
            copy.write(rows)
            return
        for row in rows:
            if encoders:
                row = list(row)
                for i, encode in encoders:
                    row[i] = encode(row[i])
            copy.write_row(row)


# COPY's text format: a NULL, and the characters a text value must escape.
COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_COPY_ESCAPE = re.compile(r"[\\\t\n\r]").search


def copy_text(value: str) -> str:
    """A str for a text column in COPY's text format (backslash, tab and line ends
    escaped). JSON text needs it too: its escapes are backslashes."""
    return value.translate(_COPY_ESCAPES) if _NEEDS_COPY_ESCAPE(value) else value


@functools.lru_cache(maxsize=16)
def copy_timestamp(value) -> str:
    """A datetime in COPY's text format; cached, since the rows of a chunk share theirs
    (str() of a datetime costs 2 µs, as much as the rest of a contact's line)."""
    return str(value)


_PLAIN_JSON_STRING = re.compile(r"[ !#-\[\]-~]*").fullmatch


def json_string(value: str) -> str:
    """json.dumps(value), quicker for the usual printable ASCII without quotes or
    backslashes (the same text)."""
    return f'"{value}"' if _PLAIN_JSON_STRING(value) else json.dumps(value)


class BackgroundInserts:
    """An import's inserts, sent while the next chunk is prepared (PostgreSQL).

    An import alternates Python work (reading, checking, building rows) and server work
    (COPY, then the deferred foreign-key checks, which PostgreSQL 15 runs row by row).
    One after the other, each side waits for the other for much of the import. So the
    rows of a chunk are queued (`add`), and `send()` hands them to a thread that COPYs
    them and checks the constraints deferred so far, on the import's own connection and
    inside its transaction, while the caller goes on with the next chunk. psycopg
    serialises the connection between threads (a query of the caller waits for the
    statement in progress), so the caller may query meanwhile, but only for what does
    not depend on the batch in flight. `wait()` waits for the batch and raises its error
    as Django's database error (a violated constraint: IntegrityError).

    Elsewhere (SQLite) `add()` inserts at once, in the caller's thread, and the
    constraints are checked at commit.
    """

    def __init__(self):
        self._queued: list[tuple] = []
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def add(
        self,
        model: type[models.Model],
        attnames: list[str],
        rows: list[tuple],
        *,
        line=None,
        json_text: bool = False,
    ) -> None:
        """Queue `rows` (values in `attnames` order) for insertion.

        `line(row)`: the row as one line of COPY's text format, written by the caller,
        who knows the columns' types (several times quicker than psycopg's value-by-value
        adaptation, and done here, in the calling thread, so that the sending thread only
        sends). `json_text`: the JSON columns of `rows` are JSON text already.
        """
        if not rows:
            return
        if connection.vendor != "postgresql":
            # Inserted at once, in order: nothing to overlap with (and SQLite's ids are
            # allocated after the largest id written, so nothing may wait).
            if json_text:
                positions = [
                    i
                    for i, f in enumerate(model._meta.get_field(a) for a in attnames)
                    if isinstance(f, models.JSONField)
                ]
                rows = [
                    tuple(json.loads(v) if i in positions else v for i, v in enumerate(row))
                    for row in rows
                ]
            bulk_insert_rows(model, attnames, rows)
            return
        if line is not None:
            rows = "".join(map(line, rows))
        elif json_text:
            raise ValueError("JSON text goes with a line formatter.")
        self._queued.append((model, list(attnames), rows))

    def send(self) -> None:
        """Send what is queued to a thread that inserts it (PostgreSQL; elsewhere `add`
        has inserted it already). Only inside the transaction the rows belong to, which
        must not end before wait() or discard()."""
        self.wait()
        batch, self._queued = self._queued, []
        if not batch:
            return
        if not connection.in_atomic_block:
            raise RuntimeError("Background inserts belong inside a transaction.")
        connection.ensure_connection()
        jobs = [(*_copy_statement(model, attnames), rows) for model, attnames, rows in batch]
        self._thread = threading.Thread(
            target=self._run, args=(connection.connection, jobs), name="interchange-writer"
        )
        self._thread.start()

    def _run(self, pg, jobs) -> None:
        try:
            with pg.cursor() as cursor:
                for sql, encoders, rows in jobs:
                    _copy(cursor, sql, encoders, rows)
                # The checks of what is written so far, here rather than all at commit.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        except BaseException as exc:  # raised in the caller by wait()
            self._error = exc

    def _join(self) -> None:
        """Wait for the thread, even through an interruption (Ctrl-C): the transaction
        must not end while it writes. An interruption is raised once it has ended."""
        interrupted = None
        thread = self._thread
        while thread is not None and thread.is_alive():
            try:
                thread.join()
            except BaseException as exc:  # noqa: BLE001 (raised below, once joined)
                interrupted = exc
        self._thread = None
        if interrupted is not None:
            raise interrupted

    def _take_error(self) -> BaseException | None:
        """The batch's error, as Django's database error, and forget it."""
        error, self._error = self._error, None
        if error is None:
            return None
        try:
            with connection.wrap_database_errors:
                raise error
        except BaseException as wrapped:  # noqa: BLE001 (returned to be raised)
            return wrapped

    def wait(self) -> None:
        """Wait for the batch in flight; raise its error."""
        self._join()
        error = self._take_error()
        if error is not None:
            raise error

    def discard(self) -> BaseException | None:
        """Drop what is queued and wait for the batch in flight: the import's transaction
        is being rolled back. Returns the batch's error, if it had one (when the import
        fails because of it, the caller's own next query fails first, with "current
        transaction is aborted", and this error is the cause to report)."""
        self._queued = []
        self._join()
        error = self._take_error()
        if error is not None:
            logger.warning("Background insert of an import failed: %s", error)
        return error


def change_event_rows(object_type: str, actor, entries, note: str = "import") -> list[tuple]:
    """Rows for bulk_insert_rows(AuditEvent, CHANGE_EVENT_COLUMNS, ...): one audit event
    of kind 'change' per (action, object_id, changes, person_id) of `entries`. `action`
    is a member of AuditAction (ValueError for anything else, as on every path that writes
    events: crocevia.audit.actions). `changes` (a dict, or JSON text) comes out with the
    values of sensitive fields left out, as on every path that writes events
    (crocevia.audit.sensitive)."""
    from django.utils import timezone

    from crocevia.audit.models import AuditEvent
    from crocevia.audit.services import organisations_label

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
    from crocevia.audit.chain import schedule_seal
    from crocevia.audit.models import AuditEvent

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
        sql, _encoders = _copy_statement(AuditEvent, CHANGE_EVENT_COLUMNS)
        with connection.cursor() as cursor:
            _copy(cursor.cursor, sql, None, "".join(map(change_event_line, rows)))
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
        cursor.execute(sql, [array_literal(values)])
        return cursor.fetchall()
