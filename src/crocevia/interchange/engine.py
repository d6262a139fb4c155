"""Import and export of one kind: one streaming pass in one transaction, all or nothing.

The file is read row by row and parsed; each chunk of rows has its references resolved
with one query per chunk (not per row) and, while no error has been seen, is written
through the kind's bulk services (which skip unchanged rows and audit the rest). After
the first error nothing more is written, but every remaining row is still checked, so
the report lists every bad row; then the transaction is rolled back: a file with any
error writes nothing. A dry run rolls back too, so its counts are exact.

(This is the two-pass design — validate everything, then write — folded into one pass:
the writes of a valid file happen while it is read, and an invalid file's are undone.
The file is read and parsed once instead of twice, which is half the cost of an import.)
"""

import io
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice

from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from crocevia.audit.models import AuditEvent
from crocevia.core.spreadsheets import csv_writer, write_xlsx_table

from . import anonymity
from .errors import FileError, RowError
from .kinds import Counts, Kind, Row, get_kind
from .pseudonym import Pseudonymiser
from .reader import open_table
from .scope import Scope

CHUNK_SIZE = 2000
# The check shows a few names as read, so that the user sees the file's encoding was
# right ("Niccolò", not "NiccolÃ²"): values of the kind's `sample_columns` with a
# character outside ASCII, the first distinct ones, cut to a name's length.
SAMPLE_SIZE = 5
SAMPLE_CHARS = 60


@dataclass
class Report:
    kind: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: FileError | None = None
    counts: Counts = field(default_factory=Counts)
    dry_run: bool = False
    written: bool = False
    seconds: float = 0.0
    # What the reader found in a CSV (charset.py's names; empty for an XLSX, or when the
    # file could not be opened), and the sample of names as read (see SAMPLE_SIZE).
    encoding: str = ""
    delimiter: str = ""
    sample: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors

    def notices(self) -> list[str]:
        """The summary's further sentences (Counts.notices), in the active language."""
        return [text for text, _url in notice_items(self.kind, self.counts.notices)]

    def error_rows(self) -> list[list[str]]:
        """The report as CSV rows: line, column, value, reason (a file error as line 0)."""
        header = [_("line"), _("column"), _("value"), _("reason")]
        rows = [header]
        if self.file_error is not None:
            rows.append(["0", "", "", self.file_error.message])
        rows.extend(e.as_row() for e in self.errors)
        return rows


def notice_items(kind_name: str, notices: dict[str, int]) -> list[tuple[str, str | None]]:
    """(sentence, the page that deals with it or None) for each notice with a count (a
    browser job keeps the counts: ImportJob.notices)."""
    kind = get_kind(kind_name)
    return [
        (kind.notice(code, count), kind.notice_url(code))
        for code, count in sorted(notices.items())
        if count
    ]


Progress = Callable[[str, int, float], None]  # (phase, rows so far, fraction of file read)


def _chunks(iterator: Iterator, size: int):
    while True:
        chunk = list(islice(iterator, size))
        if not chunk:
            return
        yield chunk


def _take_sample(raw: dict, columns, sample: list[str]) -> None:
    for column in columns:
        value = raw.get(column, "")
        if not value.isascii():
            value = value[:SAMPLE_CHARS]
            if value not in sample and len(sample) < SAMPLE_SIZE:
                sample.append(value)


def _parsed_chunks(kind: Kind, table, ctx, errors, chunk_size, sample: list[str]):
    """(rows read, [(row, data)] of the rows parsed without error), chunk by chunk; the
    first names with accents of a CSV go to `sample`."""
    seen: set[str] = set()
    sampling = kind.sample_columns if table.encoding else ()
    for chunk in _chunks(table.rows(), chunk_size):
        items = []
        for line, raw in chunk:
            if sampling:
                _take_sample(raw, sampling, sample)
                if len(sample) >= SAMPLE_SIZE:
                    sampling = ()
            row = Row(line, raw, table.list_separator, errors)
            key = raw.get(kind.key, "")
            if key:
                if key in seen:
                    row.error(
                        kind.key,
                        _("This %(column)s appears on an earlier line of the file.")
                        % {"column": kind.key},
                        "duplicate_key",
                    )
                else:
                    seen.add(key)
            data = kind.parse(row, ctx)
            if row.ok:
                items.append((row, data))
        yield len(chunk), items


_DONE = object()


def _ahead(iterator: Iterator, depth: int = 2) -> Iterator:
    """Iterate `iterator` in a thread, at most `depth` items ahead of the consumer.

    Reading and parsing (pure Python, no queries: see Kind.parse) then overlap with the
    database work of the previous chunk, during which psycopg releases the GIL. An
    exception in the thread is raised in the consumer; when the consumer stops early the
    thread stops too. The thread runs in the caller's language, so its messages match.
    """
    results: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                results.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        with translation.override(language):
            try:
                for item in iterator:
                    if not put((item, None)):
                        return
            except BaseException as exc:  # handed to the consumer, which raises it
                put((_DONE, exc))
                return
            put((_DONE, None))

    thread = threading.Thread(target=produce, name="interchange-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = results.get()
            if item is _DONE:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        thread.join()


_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


@contextmanager
def _quick_thread_switches(interval: float = 0.0005):
    """Shorter GIL hand-overs while an import runs (restored by the last import to end).

    When a query returns, the writing thread waits for the reading thread to give back
    the GIL, up to the switch interval (5 ms by default), hundreds of times per import:
    0.5 ms took 200,000 contacts from 19.2 s to 18.4 s.
    """
    global _switch_users, _switch_saved
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(interval, _switch_saved))
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


def _pass(kind: Kind, path, sheet, report: Report, progress, chunk_size, actor, scope) -> None:
    """Read, parse and check every row; write each chunk while the file has no error."""
    table = open_table(path, kind.columns, sheet=sheet)
    report.encoding, report.delimiter = table.encoding, table.delimiter
    ctx = kind.new_context()
    ctx["scope"] = scope
    ctx["actor"] = actor  # the check walks the same rules as the write, as the same user
    errors = report.errors
    try:
        try:
            _chunks_pass(kind, table, ctx, report, progress, chunk_size, actor)
        except BaseException as exc:
            # Whatever failed, nothing may still be written when the transaction ends. A
            # write that failed in the background is the error to report when this thread
            # failed only because of it, on the transaction it aborted.
            cause = kind.finish(ctx, write=False)
            if cause is not None and _on_aborted_transaction(exc):
                raise cause from exc
            raise
        kind.finish(ctx, write=not errors)
    finally:
        table.close()


def _on_aborted_transaction(exc: BaseException | None) -> bool:
    """Whether `exc` is (or wraps) PostgreSQL's refusal of a statement sent on a transaction
    an earlier statement aborted (SQLSTATE 25P02, "current transaction is aborted")."""
    for _depth in range(5):  # Django's error wraps the driver's, as its __cause__
        if exc is None:
            return False
        if getattr(exc, "sqlstate", None) == "25P02":
            return True
        exc = exc.__cause__
    return False


def _chunks_pass(kind: Kind, table, ctx, report: Report, progress, chunk_size, actor):
    errors = report.errors
    chunks = _parsed_chunks(kind, table, ctx, errors, chunk_size, report.sample)
    for count, items in _ahead(chunks):
        kind.claim_exchange_keys(items, actor=actor)
        kind.check(items, ctx)
        kind.check_scope(items, ctx)
        report.rows += count
        if not errors:
            report.counts.add(kind.write([data for _row, data in items], ctx, actor=actor))
        if progress:
            progress("import", report.rows, table.fraction_read)
    for line in table.extra_cells:
        errors.append(
            RowError(
                line,
                "",
                "",
                _("This row has more cells than the header has columns."),
                "extra_cells",
            )
        )


def run_import(
    kind_name: str,
    path,
    *,
    dry_run: bool = False,
    sheet: str | None = None,
    actor=None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
    scope: Scope | None = None,
) -> Report:
    """Check and write the whole file in one transaction, undone on any error or dry_run.

    With a limited `scope` (a coordinator's zones), a row reaching outside it is a row
    error (`out_of_scope`); None (the command line) imports everything."""
    kind = get_kind(kind_name)
    report = Report(kind=kind.name, dry_run=dry_run)
    started = time.monotonic()
    try:
        with transaction.atomic(), _quick_thread_switches():
            _pass(kind, path, sheet, report, progress, chunk_size, actor, scope)
            if dry_run or report.errors:
                transaction.set_rollback(True)
    except FileError as exc:
        report.file_error = exc
    if not report.ok:
        report.counts = Counts()
        report.errors.sort(key=lambda e: (e.line, e.column))
    report.written = report.ok and not dry_run
    if report.written and report.counts.created + report.counts.updated >= ANALYZE_AFTER:
        _refresh_statistics(kind)
    report.seconds = time.monotonic() - started
    return report


ANALYZE_AFTER = 1000  # rows created or changed


def _refresh_statistics(kind: Kind) -> None:
    """ANALYZE the tables a large import filled (PostgreSQL).

    Until autovacuum comes by, the planner would plan with the statistics of the tables
    before the import (empty, for a first load): the next import's lookups on them took
    twice as long (200,000 contacts re-imported: 13.1 s before, 6.6 s after ANALYZE).
    """
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    tables = [quote(m._meta.db_table) for m in kind.written_models]
    # The audit trail only for the columns queries filter or sort on: the statistics of
    # its JSON changes and its hashes were half the time of its ANALYZE (0.35 of 0.65 s).
    columns = ", ".join(quote(AuditEvent._meta.get_field(name).column) for name in AUDIT_ANALYZED)
    tables.append(f"{quote(AuditEvent._meta.db_table)} ({columns})")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


AUDIT_ANALYZED = (
    "id", "at", "kind", "action", "actor", "object_type", "object_id", "person",
    "chain_position",
)  # fmt: skip


def export_rows(
    kind_name: str,
    *,
    pseudonymise: bool = False,
    list_separator: str = ";",
    scope: Scope | None = None,
):
    """Header (column codes) and an iterator of the rows within `scope` (None: all) as
    lists of strings."""
    kind = get_kind(kind_name)
    pseudonymiser = Pseudonymiser() if pseudonymise else None
    header = kind.codes

    def records():
        records = kind.export_rows(list_separator=list_separator, scope=scope)
        if pseudonymiser is None:
            return records
        if kind.quasi_identifiers or kind.event_class:
            # k-anonymity looks at the whole export before the first row goes out.
            records = anonymity.k_anonymise(list(records), kind)
            records = anonymity.generalise_events(records, kind)
        records = (pseudonymiser.apply(r, kind.pseudonymised, key=kind.key) for r in records)
        if kind.event_class:
            records = anonymity.unlink_rare_events(list(records), kind)
        return records

    def rows():
        for record in records():
            yield [record.get(code, "") for code in header]

    return header, rows()


def write_export(
    kind_name: str,
    stream,
    *,
    fmt: str = "csv",
    pseudonymise: bool = False,
    scope: Scope | None = None,
):
    """Write the export of a kind to a binary stream: CSV (UTF-8, comma) or XLSX."""
    header, rows = export_rows(kind_name, pseudonymise=pseudonymise, scope=scope)
    if fmt == "csv":
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        writer = csv_writer(text, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
        text.flush()
        text.detach()
        return
    if fmt == "xlsx":
        write_xlsx_table(stream, kind_name, chain([header], rows))
        return
    raise ValueError(fmt)
