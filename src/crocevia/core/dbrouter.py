"""Reads from a streaming replica of the database, inside an explicit block only.

`DATABASE_REPLICA_URL` (settings) adds the database alias "replica" and installs
`ReplicaRouter`. The router sends the ORM's reads to the replica only inside
`with reads_from_replica():`, and only while no transaction is open on the primary (a read
inside one may need the transaction's own writes). Every write, and every read outside
the block, goes to "default": a page that writes (an access event, the session) writes on
the primary whether or not it also reads from the replica.

The block first asks how far behind the primary the replica is (`replica_lag`); if it
cannot be reached the reads stay on the primary and a warning is logged: a replica
going down never takes a page down with it. `read_from_replica` also runs the reads again
on the primary when the replica fails half-way (a lost connection, a query cancelled by
a conflict with the replay). The `ReadSource` the block gives says where the data came
from, for the page's footer (`ReadSource.note`).
"""

import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
)
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

REPLICA = "replica"

logger = logging.getLogger(__name__)

# The alias the ORM's reads go to in this thread or task; None outside the block.
_reads_to: ContextVar[str | None] = ContextVar("crocevia_reads_to", default=None)

T = TypeVar("T")


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when a replica is configured (see the module's docstring)."""

    def db_for_read(self, model, **hints):
        alias = _reads_to.get()
        if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints):
        # Even for an object read from the replica (its _state.db): a replica is read only.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read from either may be related
        # to one read from the other.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica receives the primary's schema through replication.
        return db == DEFAULT_DB_ALIAS


@dataclass(frozen=True)
class ReadSource:
    """Where a block's reads went.

    `alias`: "default" or the replica's. `configured`: a replica is configured at all.
    `lag`: on the replica, how many seconds behind the primary it was when the block
    began (0: up to date; None: cannot be told).
    """

    alias: str = DEFAULT_DB_ALIAS
    configured: bool = False
    lag: float | None = None

    @property
    def from_replica(self) -> bool:
        return self.alias != DEFAULT_DB_ALIAS

    @property
    def fell_back(self) -> bool:
        """A replica is configured, but the reads went to the primary."""
        return self.configured and not self.from_replica

    def note(self) -> str:
        """One sentence for a report's footer; empty without a replica configured."""
        if not self.configured:
            return ""
        if not self.from_replica:
            return _("The replica could not be read: data read from the primary database.")
        if self.lag is None:
            return _("Data read from a replica; how far behind the primary it is is unknown.")
        if self.lag == 0:
            return _("Data read from a replica, up to date with the primary database.")
        seconds = math.ceil(self.lag)
        return ngettext(
            "Data read from a replica, updated %(seconds)d second ago.",
            "Data read from a replica, updated %(seconds)d seconds ago.",
            seconds,
        ) % {"seconds": seconds}


# The lag, in two questions. First the primary's position in its WAL; then the replica:
# not in recovery (the primary itself, or a test's mirror of it) it is up to date; so it
# is when it has replayed up to that position, since it then shows everything committed
# before the question (however old its last replayed commit: a primary that committed
# nothing for a minute leaves it a minute old); otherwise the age of the last commit it
# replayed, an upper bound of its lag.
PRIMARY_LSN_SQL = """
SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
             ELSE pg_current_wal_lsn() END)::text
"""
LAG_SQL = """
SELECT pg_is_in_recovery(),
       COALESCE(pg_last_wal_replay_lsn() >= %s::pg_lsn, false),
       EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
"""


def replica_lag(alias: str = REPLICA, primary: str = DEFAULT_DB_ALIAS) -> float | None:
    """Seconds the database `alias` is behind `primary`: 0 when up to date, None when it
    cannot be told (not PostgreSQL; a replica that has replayed no commit yet). Connects
    to it: OperationalError when it cannot be reached."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        connection.ensure_connection()
        return None
    with connections[primary].cursor() as cursor:
        cursor.execute(PRIMARY_LSN_SQL)
        (position,) = cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute(LAG_SQL, [position])
        in_recovery, caught_up, seconds = cursor.fetchone()
    if not in_recovery or caught_up:
        return 0.0
    if seconds is None:
        return None
    return max(0.0, float(seconds))


def replica_configured(alias: str = REPLICA) -> bool:
    return alias in settings.DATABASES


@contextmanager
def reads_from_replica(alias: str = REPLICA) -> Iterator[ReadSource]:
    """The ORM's reads inside the block go to the replica `alias` when it is configured and
    answers; otherwise to the primary (with a warning when it is configured). Yields the
    ReadSource."""
    if not replica_configured(alias):
        yield ReadSource()
        return
    try:
        lag = replica_lag(alias)
    except (OperationalError, InterfaceError) as exc:
        _unreachable(alias, exc)
        yield ReadSource(configured=True)
        return
    token = _reads_to.set(alias)
    try:
        yield ReadSource(alias=alias, configured=True, lag=lag)
    finally:
        _reads_to.reset(token)


def read_from_replica(read: Callable[[ReadSource], T], alias: str = REPLICA) -> T:
    """`read(source)` with its reads on the replica (`reads_from_replica`); if the replica
    fails while it runs, `read` runs again with its reads on the primary. `read` must only
    read (nothing it did is undone)."""
    with reads_from_replica(alias) as source:
        if not source.from_replica:
            return read(source)
        try:
            return read(source)
        except (OperationalError, InterfaceError) as exc:
            _unreachable(alias, exc)
    return read(ReadSource(configured=True))


def _unreachable(alias: str, exc: Exception) -> None:
    logger.warning(
        "The database replica %r could not be read (%s): reading from the primary instead.",
        alias,
        str(exc).strip(),
    )
    # A broken connection is not reused by the next block of this thread.
    with suppress(DatabaseError):
        connections[alias].close()
