"""The hash chain that makes the audit trail evidence.

Events are inserted unsealed, on every path (services, bulk_create, COPY), so that a large
import never holds a lock other writers wait for. After the transaction commits, the
sealer gives each new event, in id order, the next position in one chain, the previous
event's hash and its own:

    hash = sha256(canonical JSON of [scheme, position, previous hash, id, at, kind, action,
                  actor id, actor organisations, object type, object id, person id,
                  changes, note])

The writer seals up to SEAL_AT_ONCE events after its commit and leaves the rest of a
large import to the job queue (`audit.tasks.seal_chain`, also run every minute as a
safety net). Only one sealer runs at a time (a PostgreSQL advisory lock; SQLite's write
lock), in batches that release the lock in between. On PostgreSQL a writer never waits
for that lock: if another process is sealing, a sealing job seals its events instead,
off the request, as it does for the access events a page writes. On SQLite the writer
seals everything itself. Sealing is idempotent: it seals what is not sealed yet, so a
job killed half-way and run again goes on from the head. The values hashed are the ones
read back from the database, so sealing and verifying see the same bytes whatever
Python objects the writers used.

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
import time
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from crocevia.core.sqlarrays import array_literal
from crocevia.jobs.queue import enqueue_unless_waiting

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
    sealing, which the next sealing job (or `crocevia audit seal`) does.
    `off_the_request`: on PostgreSQL, hand the sealing to the job queue at once (the
    access events a page writes: the page need not wait for the chain).
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
            # SQLite has one writer at a time: a sealing job would only fight the next
            # write for the lock ("database is locked"), so there the writer seals it all.
            try:
                seal_pending(since=since)
            except DatabaseError as exc:
                log.warning("audit sealing after commit did not complete: %s", exc)
            return
        if self.off_the_request:
            request_sealing()
            return
        # PostgreSQL: the writer seals its own events if no one else is sealing, and never
        # waits for the sealer's lock: when another process holds it, or the batch is
        # large, a job of the queue does the rest. (Waiting made every request queue
        # behind the others' sealing: bench/load.py measured waits of up to 340 ms.)
        try:
            sealed = seal_pending(
                since=since, batch_size=SEAL_AT_ONCE, limit=SEAL_AT_ONCE, wait=False
            )
        except SealerBusy:
            request_sealing()
            return
        except DatabaseError as exc:
            # The database gone: the events wait for the periodic sealing job; verify
            # warns when they wait for minutes.
            log.warning("audit sealing after commit did not complete: %s", exc)
            return
        if sealed >= SEAL_AT_ONCE:
            request_sealing()


class SealerBusy(Exception):
    """Another process is sealing (raised only when not waiting for it)."""


# Events sealed by the writer itself after its commit; beyond, a job goes on, so that a
# large import (200,000 events: about a minute of sealing) returns at once.
SEAL_AT_ONCE = SEAL_BATCH
# The cache flag of a sealing job enqueued and not started yet (crocevia.jobs.queue).
SEAL_FLAG = "audit-seal-waiting"


def request_sealing() -> None:
    """Hand the sealing of what is pending to the job queue: a `seal_chain` job, unless
    one is waiting to start already. Whatever a lost hand-over leaves, the periodic
    `seal_chain` (every minute) seals."""
    from .tasks import seal_chain  # tasks.py imports this module

    try:
        enqueue_unless_waiting(seal_chain, flag=SEAL_FLAG)
    except DatabaseError as exc:
        log.warning("audit sealing not handed to the job queue: %s", exc)


def wait_for_sealing(timeout: float | None = None) -> bool:
    """For a command that wrote events (an import), before it exits: wait until nothing
    is left to seal, at most `timeout` seconds (the writer, a worker's job or another
    process seals meanwhile). With no timeout, seal what is left in this process rather
    than wait for a worker. Returns whether everything is sealed."""
    pending = AuditEvent.objects.unsealed()
    if timeout is None:
        try:
            seal_pending()
        except DatabaseError as exc:
            log.warning("audit sealing did not complete: %s", exc)
            return False
        return not pending.exists()
    deadline = time.monotonic() + timeout
    while pending.exists():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(0.2, left))
    return True


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
