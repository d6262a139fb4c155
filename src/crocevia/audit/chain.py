"""The hash chain that makes the audit trail evidence.

Events are inserted unsealed, on every path (services, bulk_create, COPY), so that a large
import never holds a lock other writers wait for. After the transaction commits, the
sealer gives each new event, in id order, the next position in one chain, the previous
event's hash and its own:

    hash = sha256(canonical JSON of [scheme, position, previous hash, id, at, kind, action,
                  actor id, actor organisations, object type, object id, person id,
                  changes, note])

The writer seals up to SEAL_AT_ONCE events after its commit and leaves the rest of a
large import to a thread. Only one sealer runs at a time (a PostgreSQL advisory lock;
SQLite's write lock), in batches that release the lock in between. On PostgreSQL a writer
never waits for that lock: if another process is sealing, its process's sealing thread
(one per process) seals its events instead, off the request. The values hashed
are the ones read back from the database, so sealing and verifying see the same bytes
whatever Python objects the writers used.

verify_chain() walks the positions in order and recomputes every hash: an event altered
(its hash no longer matches), removed (a gap in the positions) or moved (its previous
hash is not the hash of the event before it) is found, and the first one named. What a
chain cannot show by itself, the removal of its last events or its wholesale rewriting by
someone with write access to the database, is caught by comparing with anchors, (position,
hash) pairs written down earlier outside the database: the witness file that `crocevia
audit anchor` appends to (witness.py), or a head printed by verify and passed back.
"""

import datetime
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from crocevia.core.sqlarrays import array_literal

from .models import AuditEvent

log = logging.getLogger(__name__)

SCHEME = "crocevia-audit-v1"
GENESIS = "0" * 64
SEAL_BATCH = 5000
# pg_advisory_xact_lock key of the sealer (any constant unique to this use).
SEAL_LOCK_KEY = 0x63726F63_61756474 >> 1  # "crocaudt"
# Columns read to hash an event, in the order of the hashed list (after position, prev).
HASHED = [
    "id",
    "at",
    "kind",
    "action",
    "actor_id",
    "actor_organisations",
    "object_type",
    "object_id",
    "person_id",
    "changes",
    "note",
]


def event_hash(position: int, prev: str, values) -> str:
    """The hash of an event at `position` after `prev`; `values` in HASHED order."""
    event_id, at, *rest = values
    at = at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    payload = json.dumps(
        [SCHEME, position, prev, event_id, at, *rest],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# --- sealing -------------------------------------------------------------------------------


def schedule_seal(first_id: int | None = None, *, off_the_request: bool = False) -> None:
    """Seal after the current transaction commits (at once outside a transaction).

    `first_id`: the lowest id the transaction wrote, if known (the sealing then starts
    there instead of reading the whole queue). One callback per transaction however
    many events it writes. robust: the write has committed whatever happens to the
    sealing, which a later `crocevia audit seal` or `crocevia audit verify` does.
    `off_the_request`: on PostgreSQL, hand the sealing to this process's sealing thread
    at once (the access events a page writes: the page need not wait for the chain).
    """
    for entry in connection.run_on_commit:
        if isinstance(entry[1], _SealAfterCommit):
            entry[1].lower(first_id)
            return
    callback = _SealAfterCommit(first_id, off_the_request=off_the_request)
    transaction.on_commit(callback, robust=True)


class _SealAfterCommit:
    """The callback after a commit: seals the transaction's events (and any later ones)."""

    def __init__(self, first_id: int | None, *, off_the_request: bool = False):
        self.first_id = first_id
        self.whole_queue = first_id is None
        self.off_the_request = off_the_request

    def lower(self, first_id: int | None) -> None:
        if first_id is None:
            self.whole_queue = True
        elif self.first_id is None or first_id < self.first_id:
            self.first_id = first_id

    def __call__(self) -> None:
        since = None if self.whole_queue else self.first_id
        if connection.vendor != "postgresql":
            # SQLite has one writer at a time: a sealing thread would only fight the next
            # write for the lock ("database is locked"), so there the writer seals it all.
            try:
                seal_pending(since=since)
            except DatabaseError as exc:
                log.warning("audit sealing after commit did not complete: %s", exc)
            return
        if self.off_the_request:
            _seal_in_background(since)
            return
        # PostgreSQL: the writer seals its own events if no one else is sealing, and never
        # waits for the sealer's lock: when another process holds it, or the batch is
        # large, this process's sealing thread does the rest. (Waiting made every request
        # queue behind the others' sealing: bench/load.py measured waits of up to 340 ms.)
        try:
            sealed = seal_pending(
                since=since, batch_size=SEAL_AT_ONCE, limit=SEAL_AT_ONCE, wait=False
            )
        except SealerBusy:
            _seal_in_background(since)
            return
        except DatabaseError as exc:
            # The database gone: the events wait for the next sealing; verify warns when
            # they wait for minutes.
            log.warning("audit sealing after commit did not complete: %s", exc)
            return
        if sealed >= SEAL_AT_ONCE:
            _seal_in_background(since)


class SealerBusy(Exception):
    """Another process is sealing (raised only when not waiting for it)."""


# Events sealed by the writer itself after its commit; beyond, a thread goes on, so
# that a large import (200,000 events: about a minute of sealing) returns at once.
SEAL_AT_ONCE = SEAL_BATCH
_background: list[threading.Thread] = []  # the sealing threads started (tests join them)


class _Sealer:
    """This process's sealing thread: what writers hand over, sealed off their path.

    One thread at a time per process, started on demand and ending when nothing is left;
    hand-overs that arrive meanwhile are merged (the lowest id wins, or the whole queue),
    so a busy server runs one sealer per process, never one per request.
    """

    def __init__(self):
        self.mutex = threading.Lock()
        self.since: int | None = None
        self.whole = False
        self.pending = False
        self.thread: threading.Thread | None = None

    def hand_over(self, since: int | None) -> threading.Thread:
        with self.mutex:
            if since is None:
                self.whole = True
            elif self.since is None or since < self.since:
                self.since = since
            self.pending = True
            # (A thread recorded but not alive: one inherited through a fork.)
            if self.thread is None or not self.thread.is_alive():
                # A daemon, so that a server worker never waits for it to exit (it may
                # be queued behind another process's long sealing); a command-line
                # import waits for it with wait_for_sealing(). If the process ends
                # first, `crocevia audit seal` (or verify, from cron) seals what is left.
                self.thread = threading.Thread(target=self._run, name="audit-seal", daemon=True)
                _background[:] = [t for t in _background if t.is_alive()] + [self.thread]
                self.thread.start()
            return self.thread

    def _run(self) -> None:
        failures = 0
        try:
            while True:
                with self.mutex:
                    if not self.pending:
                        self.thread = None
                        return
                    since = None if self.whole else self.since
                    self.since, self.whole, self.pending = None, False, False
                try:
                    seal_pending(since=since)
                    failures = 0
                except Exception:  # noqa: BLE001 - logged; retried, then left to the command
                    failures += 1
                    log.exception("audit sealing in the background did not complete")
                    connection.close()  # a broken connection is not reused
                    with self.mutex:
                        # Nothing handed over is dropped: the whole queue is sealed next.
                        self.whole = self.pending = True
                        if failures >= SEAL_RETRIES:
                            # The database is gone for now: the next hand-over starts a
                            # new thread (or the command seals it).
                            self.thread = None
                            return
                    time.sleep(2**failures)
        finally:
            connection.close()

    def reset(self) -> None:
        """In a forked child: the parent's thread and mutex are not ours."""
        self.__init__()


SEAL_RETRIES = 3  # tries of the sealing thread before it leaves the queue to the next one
_SEALER = _Sealer()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_SEALER.reset)


def wait_for_sealing(timeout: float | None = None) -> bool:
    """Wait for this process's sealing thread (a command-line import, before it exits), at
    most `timeout` seconds if given. Returns whether the sealing is over."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for thread in list(_background):
        thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in list(_background))


def _seal_in_background(since: int | None) -> threading.Thread:
    """Hand the sealing of events of id `since` and above (None: the whole queue) to this
    process's sealing thread, with its own database connection."""
    return _SEALER.hand_over(since)


def seal_pending(
    *,
    since: int | None = None,
    batch_size: int = SEAL_BATCH,
    limit: int | None = None,
    wait: bool = True,
) -> int:
    """Seal the events not sealed yet, in id order, in batches. Returns how many.

    since=None: the whole queue (the command, verify). since=N: the events of id N and
    above (a transaction's own and later ones), which avoids reading the part of the
    queue index other sealings have just emptied. limit: stop after that many (at least).
    wait=False: raise SealerBusy at once if another process is sealing (PostgreSQL).
    """
    sealed, after = 0, (since - 1 if since else 0)
    while True:
        with transaction.atomic():
            _lock(wait=wait)
            rows = list(
                AuditEvent.objects.unsealed()
                .filter(id__gt=after)
                .order_by("id")
                .values_list(*HASHED)[:batch_size]
            )
            if rows:
                position, prev = _head()
                updates = []
                for values in rows:
                    position += 1
                    digest = event_hash(position, prev, values)
                    updates.append((values[0], position, prev, digest))
                    prev = digest
                _write_seals(updates)
                sealed += len(rows)
                after = rows[-1][0]
            if limit is not None and sealed >= limit:
                return sealed
            if len(rows) == batch_size:
                continue
            if since is not None:
                return sealed
            # The end of the queue, unless events of lower ids were committed meanwhile.
            if not AuditEvent.objects.unsealed().exists():
                return sealed
            after = 0


def _lock(*, wait: bool = True) -> None:
    """Be the only sealer until the transaction ends.

    PostgreSQL: an advisory lock, and a plain index scan for the queue of unsealed events:
    each sealing leaves a dead entry in that partial index until VACUUM; a plain index
    scan marks those it meets so that later scans skip them, a bitmap scan (which the
    planner likes after a large import) does not. SQLite: the transaction already holds
    the database's write lock (IMMEDIATE).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
        else:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise SealerBusy


def _head() -> tuple[int, str]:
    """(position, hash) of the last sealed event; (0, GENESIS) for an empty chain."""
    last = (
        AuditEvent.objects.filter(chain_position__isnull=False)
        .order_by("-chain_position")
        .values_list("chain_position", "chain_hash")
        .first()
    )
    return last if last else (0, GENESIS)


def _write_seals(updates: list[tuple[int, int, str, str]]) -> None:
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Array literals: psycopg's element-by-element adaptation of four lists of
            # 5,000 took a tenth of the sealing's time.
            arrays = [array_literal(column) for column in zip(*updates, strict=True)]
            # The table name is the model's; every value is a parameter.
            cursor.execute(
                f"UPDATE {table} AS e SET chain_position = v.position, "  # noqa: S608
                "chain_prev = v.prev, "
                "chain_hash = v.hash FROM unnest(%s::bigint[], %s::bigint[], %s::text[], "
                "%s::text[]) AS v(id, position, prev, hash) "
                "WHERE e.id = v.id AND e.chain_position IS NULL",
                arrays,
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET chain_position = %s, "  # noqa: S608
                "chain_prev = %s, chain_hash = %s "
                "WHERE id = %s AND chain_position IS NULL",
                [(position, prev, digest, pk) for pk, position, prev, digest in updates],
            )
        if cursor.rowcount != len(updates):
            # Another sealer got there first (cannot happen under the lock): start again.
            raise RuntimeError("audit sealing raced with another sealer")


# --- verifying -----------------------------------------------------------------------------


@dataclass
class Problem:
    """Something wrong in the chain, at `position` (event `event_id`, if there is one)."""

    kind: str  # "altered" | "missing" | "out_of_sequence" | "anchor" | "witness"
    position: int
    event_id: int | None = None
    previous_id: int | None = None
    last_missing: int | None = None
    at: datetime.datetime | None = None
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    witness: object | None = None  # the witness's anchor (witness.Anchor) not holding


@dataclass
class Verification:
    events: int = 0
    head_position: int = 0
    head_hash: str = GENESIS
    first_at: datetime.datetime | None = None
    last_at: datetime.datetime | None = None
    sealed_now: int = 0
    stale_unsealed: int = 0
    stale_since: datetime.datetime | None = None
    unsealed: int = 0
    problems: int = 0
    first_problem: Problem | None = None
    anchor_checked: bool = False
    witness_checked: int = 0  # anchors of the witness found in the chain with their hash
    extra: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problems == 0


STALE_AFTER = datetime.timedelta(minutes=5)


def verify_chain(
    *,
    seal: bool = True,
    anchor: tuple[int, str] | None = None,
    witness=(),
    chunk_size: int = 5000,
) -> Verification:
    """Walk the chain in position order and recompute every hash (see the module doc).

    First, events that waited more than STALE_AFTER to be sealed are counted (a sign the
    sealing after commit fails) and, if `seal`, everything pending is sealed. `anchor`:
    a (position, hash) recorded earlier that must still be in the chain. `witness`: the
    anchors of the witness (witness.Anchor, with position and hash), likewise; one that
    is not is a problem of kind "witness", the latest such anchor named first.
    """
    result = Verification()
    pending = AuditEvent.objects.unsealed()
    stale = pending.filter(at__lt=timezone.now() - STALE_AFTER)
    result.stale_unsealed = stale.count()
    if result.stale_unsealed:
        result.stale_since = stale.order_by("at").values_list("at", flat=True).first()
    if seal:
        result.sealed_now = seal_pending()
    result.unsealed = pending.count()

    def report(problem: Problem) -> None:
        result.problems += 1
        if result.first_problem is None:
            result.first_problem = problem

    recorded: dict[int, list] = {}
    for witnessed in witness:
        recorded.setdefault(witnessed.position, []).append(witnessed)
    found: set[int] = set()  # positions of the witness met in the chain
    expected, prev_hash, prev_id = 1, GENESIS, None
    rows = (
        AuditEvent.objects.filter(chain_position__isnull=False)
        .order_by("chain_position")
        .values_list("chain_position", "chain_prev", "chain_hash", *HASHED)
        .iterator(chunk_size=chunk_size)
    )
    for position, prev, digest, *values in rows:
        event_id, at = values[0], values[1]
        described = {
            "event_id": event_id,
            "at": at,
            "action": values[3],
            "object_type": values[6],
            "object_id": values[7],
        }
        if position != expected:
            report(Problem("missing", expected, previous_id=prev_id, last_missing=position - 1))
        elif prev != prev_hash:
            report(Problem("out_of_sequence", position, previous_id=prev_id, **described))
        elif event_hash(position, prev, values) != digest:
            report(Problem("altered", position, previous_id=prev_id, **described))
        if anchor is not None and position == anchor[0]:
            result.anchor_checked = True
            if digest != anchor[1]:
                report(Problem("anchor", position, **described))
        if position in recorded:
            found.add(position)
            for witnessed in recorded[position]:
                if digest == witnessed.hash:
                    result.witness_checked += 1
                else:
                    report(Problem("witness", position, witness=witnessed, **described))
        result.events += 1
        result.first_at = at if result.first_at is None else min(result.first_at, at)
        result.last_at = at if result.last_at is None else max(result.last_at, at)
        # Go on from what is there, so one removal or change is reported once.
        expected, prev_hash, prev_id = position + 1, digest, event_id
    result.head_position, result.head_hash = expected - 1, prev_hash
    if anchor is not None and not result.anchor_checked:
        report(Problem("anchor", anchor[0]))
    # Heads of the witness no longer in the chain (its end removed): the latest first.
    for position in sorted(recorded.keys() - found, reverse=True):
        for witnessed in reversed(recorded[position]):
            report(Problem("witness", position, witness=witnessed))
    return result
