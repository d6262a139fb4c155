#!/usr/bin/env python
"""The monitoring report read from a streaming replica of PostgreSQL (issue 20, item 5).

Not a test (it needs root and makes a second PostgreSQL cluster): it prints figures. See
bench/README.md "Reports from a replica".

    sudo .venv/bin/python bench/replica.py [--configure-primary] [--reuse] [--keep]

1. Checks that the primary (127.0.0.1:5432) can feed a replica: `wal_level` replica or
   logical, `max_wal_senders` > 0, a pg_hba.conf line admitting replication connections
   from the loopback. A missing line is added (and the configuration reloaded) only with
   --configure-primary; a wal_level or max_wal_senders to change needs a restart of the
   primary, which this script never does: it says so and stops.
2. Makes the replica: `pg_createcluster 15 crocevia_replica -p 5433` (loopback only,
   trust on the loopback, the primary's limits that a hot standby must match), its data
   directory replaced by `pg_basebackup -R -X stream -C -S crocevia_replica` (a physical
   replication slot, so the primary keeps the WAL the replica has not received yet), then
   started. An existing cluster of that name is reused.
3. Loads the report's data on the primary with bench/report.py's loader (unless --reuse
   finds it loaded), while the replica replays it; then writes a copy of 200,000 contacts
   (same row width and indexes, in a scratch table) in 20 transactions. Meanwhile it
   samples the replica's lag every 0.2 s: the primary's pg_stat_replication (replay_lag,
   bytes not replayed) and what the report's footer would say (core.dbrouter.replica_lag).
   It also times small commits until they are visible on the replica.
4. Proves the replica saw the data: the row counts of the report's tables on both, and
   the region's report object from each, must be equal.
5. Times the region's and an organisation's full-year report (`build_report`) on the
   primary and on the replica (inside `reads_from_replica()`, as the page runs it), cold
   and warm, and the report page through the test client, with its footer.
6. Stops the replica and runs the report again: it falls back to the primary.
7. Drops the replica (pg_dropcluster --stop) and its replication slot, unless --keep.
"""

import argparse
import contextlib
import html
import importlib.util
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
VERSION = "15"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crocevia_bench_replica"
CLUSTER = "crocevia_replica"
SLOT = "crocevia_replica"
HBA_LINE = "host    replication     all             127.0.0.1/32            trust"
# A hot standby refuses to start with less of these than its primary has.
STANDBY_LIMITS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)
REPORT_TABLES = (
    "network_zone",
    "network_organisation",
    "people_person",
    "desk_contact",
    "desk_contact_services",
    "desk_languageneed",
    "cases_case",
    "benefits_benefitapplication",
    "cases_meeting",
    "programmes_expenditure",
)
WRITE_BATCHES = 20
WRITE_ROWS = 10_000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="the report's database, on the primary")
    parser.add_argument("--port", type=int, default=5433, help="the replica's port")
    parser.add_argument("--cluster", default=CLUSTER)
    parser.add_argument("--scale", type=float, default=1.0, help="of bench/report.py's data")
    parser.add_argument("--seed", type=float, default=0.42)
    parser.add_argument("--runs", type=int, default=5, help="warm runs per figure (median)")
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    parser.add_argument(
        "--configure-primary",
        action="store_true",
        help="add the pg_hba.conf line for replication from the loopback, and reload",
    )
    parser.add_argument("--keep", action="store_true", help="leave the replica running")
    parser.add_argument(
        "--wait-minutes",
        type=float,
        default=30,
        help="how long to wait for the new replica to accept reads",
    )
    return parser.parse_args(argv)


def report_bench():
    """bench/report.py as a module: its loader, scopes and period."""
    spec = importlib.util.spec_from_file_location("bench_report", HERE / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{port}"))


def run(*command, check=True, as_postgres=False):
    if as_postgres:
        command = ("runuser", "-u", "postgres", "--", *command)
    result = subprocess.run(command, check=False, capture_output=True, text=True, cwd="/")
    if check and result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr.strip()}")
    return result


def connect(url: str, dbname: str | None = None):
    import psycopg

    if dbname is not None:
        url = urlunsplit(urlsplit(url)._replace(path=f"/{dbname}"))
    return psycopg.connect(url, autocommit=True)


# --- 1. the primary ------------------------------------------------------------------------


def check_primary(url: str, configure: bool) -> None:
    with connect(url, "postgres") as conn:
        wal_level = conn.execute("SHOW wal_level").fetchone()[0]
        senders = int(conn.execute("SHOW max_wal_senders").fetchone()[0])
        slots = int(conn.execute("SHOW max_replication_slots").fetchone()[0])
        hba_file = conn.execute("SHOW hba_file").fetchone()[0]
        admitted = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_hba_file_rules WHERE type <> 'local' "
            "AND 'replication' = ANY(database) AND error IS NULL "
            "AND (address IS NULL OR address IN ('127.0.0.1', 'all', 'samehost')))"
        ).fetchone()[0]
    print(
        f"Primary: wal_level={wal_level}, max_wal_senders={senders}, "
        f"max_replication_slots={slots}, replication from 127.0.0.1 in pg_hba.conf: "
        f"{'yes' if admitted else 'no'}."
    )
    restart = []
    if wal_level not in ("replica", "logical"):
        restart.append("ALTER SYSTEM SET wal_level = 'replica'")
    if senders < 1:
        restart.append("ALTER SYSTEM SET max_wal_senders = 10")
    if slots < 1:
        restart.append("ALTER SYSTEM SET max_replication_slots = 10")
    if restart:
        sys.exit(
            "The primary cannot feed a replica without a restart: run "
            + "; ".join(restart)
            + f"; then `pg_ctlcluster {VERSION} main restart` (this script never restarts it)."
        )
    if admitted:
        return
    if not configure:
        sys.exit(
            f"The primary's {hba_file} admits no replication connection from 127.0.0.1. "
            f"Add the line\n    {HBA_LINE}\nand reload (SELECT pg_reload_conf()), or run "
            "again with --configure-primary to have this script do it."
        )
    with open(hba_file, "a") as hba:
        hba.write(f"\n# bench/replica.py: a streaming replica on the loopback\n{HBA_LINE}\n")
    with connect(url, "postgres") as conn:
        conn.execute("SELECT pg_reload_conf()")
    print(f"Added to {hba_file}: {HBA_LINE!r}; configuration reloaded.")


# --- 2. the replica ------------------------------------------------------------------------


def cluster_exists(name: str) -> bool:
    listed = run("pg_lsclusters", "--no-header", check=False).stdout.split("\n")
    return any(line.split()[:2] == [VERSION, name] for line in listed if line.strip())


def create_replica(url: str, name: str, port: int, wait_minutes: float) -> None:
    if cluster_exists(name):
        print(f"Replica: the cluster {VERSION}/{name} exists; reused.")
        run("pg_ctlcluster", VERSION, name, "start", "--", "-W", check=False)
        wait_hot_standby(url, with_port(url, port), wait_minutes)
        return
    with connect(url, "postgres") as conn:
        limits = {
            guc: conn.execute(f"SHOW {guc}").fetchone()[0]  # noqa: S608 (our own names)
            for guc in STANDBY_LIMITS
        }
        size = conn.execute(
            "SELECT pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database"
        ).fetchone()[0]
    began = time.perf_counter()
    run("pg_createcluster", VERSION, name, "-p", str(port), "--start-conf=manual")
    config = Path(f"/etc/postgresql/{VERSION}/{name}")
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "hot_standby": "on",
        # The base backup is synced already: one syncfs at start, not a walk of every file.
        "recovery_init_sync_method": "syncfs",
        **limits,
    }
    (config / "conf.d").mkdir(exist_ok=True)
    (config / "conf.d" / "90-bench-replica.conf").write_text(
        "".join(f"{guc} = {value}\n" for guc, value in settings.items())
    )
    (config / "pg_hba.conf").write_text(
        "local   all   all                  trust\nhost    all   all   127.0.0.1/32   trust\n"
    )
    # Emptied, not removed: the postgres user may not create it again in its parent.
    datadir = Path(f"/var/lib/postgresql/{VERSION}/{name}")
    for entry in datadir.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    primary = urlsplit(url)
    run(
        "pg_basebackup",
        "-h", primary.hostname or "127.0.0.1",
        "-p", str(primary.port or 5432),
        "-U", primary.username or "postgres",
        "-D", str(datadir),
        "-R", "-X", "stream", "-c", "fast", "-C", "-S", SLOT,
        as_postgres=True,
    )  # fmt: skip
    copied = time.perf_counter() - began
    run("pg_ctlcluster", VERSION, name, "start", "--", "-W")
    waited = wait_hot_standby(url, with_port(url, port), wait_minutes)
    print(
        f"Replica: {VERSION}/{name} on 127.0.0.1:{port}, base backup of the primary "
        f"({size} in all its databases) in {copied:.0f} s, streaming; open to reads "
        f"{waited:.0f} s after it started."
    )


def wait_hot_standby(primary_url: str, replica_url: str, wait_minutes: float) -> float:
    """Seconds until the replica accepts reads. A hot standby opens once it has a snapshot
    of the primary's running transactions; while a transaction of the primary has more
    than 64 subtransactions (savepoints: a test suite's transaction), none is complete
    and the standby waits for that transaction to end."""
    began = time.perf_counter()
    told = False
    while time.perf_counter() - began < wait_minutes * 60:
        with contextlib.suppress(Exception), connect(replica_url, "postgres") as conn:
            if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                return time.perf_counter() - began
        if not told and time.perf_counter() - began > 30:
            told = True
            with connect(primary_url, "postgres") as conn:
                rows = conn.execute(
                    "SELECT datname, state, now() - xact_start FROM pg_stat_activity "
                    "WHERE xact_start < now() - interval '30 seconds' ORDER BY xact_start"
                ).fetchall()
            print(
                "The replica does not accept reads yet: it waits for a snapshot of the "
                "primary with no transaction of more than 64 savepoints open. "
                "The primary's transactions open for more than 30 s: "
                + ("; ".join(f"{d} {st} for {age}" for d, st, age in rows) or "none")
                + f". Waiting up to {wait_minutes:.0f} minutes.",
                flush=True,
            )
        time.sleep(1)
    sys.exit("The replica did not open to reads in time: see its log.")


def drop_replica(url: str, name: str) -> None:
    run("pg_dropcluster", "--stop", VERSION, name, check=False)
    # pg_dropcluster leaves the configuration directory when it holds a file of ours.
    shutil.rmtree(f"/etc/postgresql/{VERSION}/{name}", ignore_errors=True)
    with connect(url, "postgres") as conn:
        conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE slot_name = %s AND NOT active",
            [SLOT],
        )
    print(f"Replica {VERSION}/{name} dropped, with its replication slot.")


# --- 3. lag --------------------------------------------------------------------------------


class LagSampler(threading.Thread):
    """Samples the lag every 0.2 s until stopped: the primary's view (pg_stat_replication:
    replay_lag, bytes not replayed yet) and the replica's own (core.dbrouter.LAG_SQL, what
    the report's footer says)."""

    def __init__(self, primary_url: str, replica_url: str):
        super().__init__(daemon=True)
        self.primary_url, self.replica_url = primary_url, replica_url
        self.samples: list[tuple[float, float, float | None]] = []  # (bytes, replay s, footer s)
        self.done = threading.Event()

    def run(self):
        from crocevia.core.dbrouter import LAG_SQL, PRIMARY_LSN_SQL

        with connect(self.primary_url, "postgres") as primary:
            replica = None
            while not self.done.wait(0.2):
                row = primary.execute(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn), "
                    "EXTRACT(EPOCH FROM r.replay_lag) FROM pg_stat_replication r "
                    "JOIN pg_replication_slots s ON s.active_pid = r.pid "
                    "WHERE s.slot_name = %s",
                    [SLOT],
                ).fetchone()
                footer = None
                try:
                    replica = replica or connect(self.replica_url, "postgres")
                    (position,) = primary.execute(PRIMARY_LSN_SQL).fetchone()
                    in_recovery, caught_up, seconds = replica.execute(
                        LAG_SQL, [position]
                    ).fetchone()
                    if caught_up or not in_recovery:
                        footer = 0.0
                    elif seconds is not None:
                        footer = float(seconds)
                except Exception:  # noqa: BLE001 (a conflict with replay: sample again)
                    replica = None
                if row is not None:
                    self.samples.append((float(row[0] or 0), float(row[1] or 0), footer))
            if replica is not None:
                replica.close()

    def stop(self) -> str:
        self.done.set()
        self.join()
        if not self.samples:
            return "no sample"
        behind = max(s[0] for s in self.samples)
        replay = [s[1] for s in self.samples]
        footer = [s[2] for s in self.samples if s[2] is not None]
        text = (
            f"{len(self.samples)} samples: not replayed max {behind / 1024 / 1024:.1f} MiB; "
            f"replay_lag median {statistics.median(replay) * 1000:.0f} ms, "
            f"max {max(replay) * 1000:.0f} ms"
        )
        if footer:
            text += (
                f"; footer's lag median {statistics.median(footer):.1f} s, max {max(footer):.1f} s"
            )
        return text


def wait_caught_up(primary_url: str, replica_url: str, dbname: str) -> float:
    """Seconds until the replica has replayed the primary's WAL as of now."""
    began = time.perf_counter()
    with connect(primary_url, dbname) as primary, connect(replica_url, dbname) as replica:
        target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        while not replica.execute(
            "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
        ).fetchone()[0]:
            time.sleep(0.01)
    return time.perf_counter() - began


def write_contacts(primary_url: str, dbname: str) -> tuple[int, float]:
    """WRITE_BATCHES transactions of WRITE_ROWS copies of contacts into a scratch table
    like desk_contact (its indexes too): the WAL of an import, the report's data intact."""
    with connect(primary_url, dbname) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_replica_writes")
        conn.execute("CREATE TABLE bench_replica_writes (LIKE desk_contact INCLUDING ALL)")
        columns = [
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'desk_contact' AND column_name <> 'id' "
                "ORDER BY ordinal_position"
            )
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        low = conn.execute("SELECT min(id) FROM desk_contact").fetchone()[0] or 0
        began = time.perf_counter()
        for batch in range(WRITE_BATCHES):
            first = low + batch * WRITE_ROWS
            conn.execute(
                f"INSERT INTO bench_replica_writes ({listed}) "  # noqa: S608 (our names)
                f"SELECT {listed} FROM desk_contact WHERE id >= %s AND id < %s",
                [first, first + WRITE_ROWS],
            )
        written = conn.execute("SELECT count(*) FROM bench_replica_writes").fetchone()[0]
    return written, time.perf_counter() - began


def commit_to_visible(primary_url: str, replica_url: str, dbname: str, n: int = 30) -> list:
    """Milliseconds from a one-row commit on the primary until the replica shows the row."""
    times = []
    with connect(primary_url, dbname) as primary, connect(replica_url, dbname) as replica:
        primary.execute("CREATE TABLE IF NOT EXISTS bench_replica_marker (n integer)")
        wait_caught_up(primary_url, replica_url, dbname)
        for i in range(n):
            primary.execute("INSERT INTO bench_replica_marker VALUES (%s)", [i])
            began = time.perf_counter()
            while not replica.execute(
                "SELECT EXISTS (SELECT 1 FROM bench_replica_marker WHERE n = %s)", [i]
            ).fetchone()[0]:
                time.sleep(0.0005)
            times.append((time.perf_counter() - began) * 1000)
            time.sleep(0.05)
        primary.execute("DROP TABLE bench_replica_marker")
    return times


# --- 4, 5. the report on both ----------------------------------------------------------------


def counts(alias: str) -> dict:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        result = {}
        for table in (*REPORT_TABLES, "bench_replica_writes"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our names)
            result[table] = cursor.fetchone()[0]
    return result


def fresh(alias: str) -> None:
    from django.db import connections

    connections[alias].close()
    with connections[alias].cursor() as cursor:
        cursor.execute("DISCARD ALL")


def time_report(scope, period, on_replica: bool) -> tuple[float, dict, str]:
    from crocevia.core.dbrouter import reads_from_replica
    from crocevia.reporting.indicators import build_report

    began = time.perf_counter()
    if on_replica:
        with reads_from_replica() as source:
            assert source.from_replica, "the report did not read from the replica"
            report = build_report(*period, scope)
        note = source.note()
    else:
        report, note = build_report(*period, scope), ""
    return (time.perf_counter() - began) * 1000, report, note


def measure_reports(bench, runs: int) -> None:
    period = bench.period()
    print(f"\nFull-year report {bench.YEAR} (build_report), ms:")
    print(f"{'scope':<28} {'primary cold':>12} {'warm':>6} {'replica cold':>13} {'warm':>6}")
    for label, scope, _params, _target in bench.scopes():
        figures = []
        for alias, on_replica in (("default", False), ("replica", True)):
            fresh(alias)
            cold, _report, _note = time_report(scope, period, on_replica)
            warm = statistics.median(time_report(scope, period, on_replica)[0] for _ in range(runs))
            figures += [cold, warm]
        print(
            f"{label:<28} {figures[0]:12.0f} {figures[1]:6.0f} {figures[2]:13.0f} {figures[3]:6.0f}"
        )


def measure_page(bench, runs: int) -> None:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from crocevia.accounts.models import User

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(User.objects.get(username="bench.admin"))
    start, end = bench.period()
    url = reverse("reporting:report")
    print("\nReport page from the replica (test client, administrator), ms:")
    for label, _scope, params, _target in bench.scopes():
        query = {"from": start.isoformat(), "to": end.isoformat(), **params}
        timings = []
        for _ in range(runs + 1):
            began = time.perf_counter()
            response = client.get(url, query)
            timings.append((time.perf_counter() - began) * 1000)
        match = re.search(r'id="report-source">([^<]*)<', response.content.decode())
        footer = html.unescape(match.group(1)) if match else "(no footer)"
        print(
            f"  {label:<26} first {timings[0]:6.0f}  warm {statistics.median(timings[1:]):6.0f}"
            f"  HTTP {response.status_code}  footer: {footer}"
        )


def measure_fallback(bench, cluster: str) -> None:
    from django.db import connections

    from crocevia.core.dbrouter import read_from_replica
    from crocevia.reporting.indicators import build_report

    run("pg_ctlcluster", VERSION, cluster, "stop", "-m", "fast")
    connections["replica"].close()
    period = bench.period()
    _label, scope, _params, _target = bench.scopes()[0]
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("crocevia.core.dbrouter").addHandler(handler)
    began = time.perf_counter()
    _report, source = read_from_replica(lambda source: (build_report(*period, scope), source))
    elapsed = (time.perf_counter() - began) * 1000
    print(
        f"\nReplica stopped: region report in {elapsed:.0f} ms from the primary "
        f"(fell back: {source.fell_back}); footer: {source.note()}"
    )
    for record in records:
        print(f"  logged {record.levelname}: {record.getMessage()}")


def main(argv=None) -> None:
    args = parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("Run as root: the script creates and drops a PostgreSQL cluster.")
    bench = report_bench()
    dbname = bench.database_name(args.url)
    replica_url = with_port(args.url, args.port)
    check_primary(args.url, args.configure_primary)
    try:
        create_replica(args.url, args.cluster, args.port, args.wait_minutes)
        os.environ["DATABASE_REPLICA_URL"] = replica_url
        sampler = LagSampler(args.url, replica_url)
        sampler.start()
        began = time.perf_counter()
        if not (args.reuse and bench.database_exists(args.url)):
            bench.recreate_database(args.url)
        bench.setup_django(args.url)
        if not bench.loaded(args.scale):
            bench.generate(args.seed, args.scale)
        loaded = time.perf_counter() - began
        caught_up = wait_caught_up(args.url, replica_url, dbname)
        print(
            f"Data on the primary in {loaded:.0f} s; the replica caught up {caught_up:.1f} s "
            f"after. Lag meanwhile: {sampler.stop()}."
        )
        bench.describe()

        sampler = LagSampler(args.url, replica_url)
        sampler.start()
        written, took = write_contacts(args.url, dbname)
        caught_up = wait_caught_up(args.url, replica_url, dbname)
        print(
            f"\nWrites: {written:,} contacts copied in {WRITE_BATCHES} transactions in "
            f"{took:.1f} s; the replica caught up {caught_up * 1000:.0f} ms after the last "
            f"commit. Lag meanwhile: {sampler.stop()}."
        )
        visible = commit_to_visible(args.url, replica_url, dbname)
        print(
            f"One-row commits visible on the replica after (ms, {len(visible)} commits): "
            f"median {statistics.median(visible):.1f}, max {max(visible):.1f}."
        )

        on_primary, on_replica = counts("default"), counts("replica")
        print("\nRows, primary / replica:")
        for table, n in on_primary.items():
            verdict = "equal" if n == on_replica[table] else "DIFFERENT"
            print(f"  {table:<30} {n:>12,} {on_replica[table]:>12,}  {verdict}")
        period = bench.period()
        _label, region, _params, _target = bench.scopes()[0]
        _ms, from_primary, _note = time_report(region, period, on_replica=False)
        _ms, from_replica, note = time_report(region, period, on_replica=True)
        same = from_primary == from_replica and on_primary == on_replica
        verdict = "the same as" if same else "NOT the same as"
        print(f"The region's report from the replica is {verdict} from the primary; footer: {note}")
        measure_reports(bench, args.runs)
        measure_page(bench, args.runs)
        with connect(args.url, dbname) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_replica_writes")
        measure_fallback(bench, args.cluster)
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"\n{os.cpu_count()} CPUs, load average {load}.")
        if not same:
            sys.exit(1)
    finally:
        from django.db import connections

        with contextlib.suppress(Exception):
            connections.close_all()
        if args.keep:
            run("pg_ctlcluster", VERSION, args.cluster, "start", check=False)
            print(f"Replica kept: {replica_url} (pg_dropcluster --stop {VERSION} {args.cluster}).")
        else:
            drop_replica(args.url, args.cluster)


if __name__ == "__main__":
    main()
