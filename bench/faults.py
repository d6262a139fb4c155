#!/usr/bin/env python
"""Faults under load: gunicorn workers killed mid-request, PostgreSQL restarted.

Not a test: it prints figures. While virtual operators (bench/load.py, here with a short
think time so that many writes are in flight) record contacts and save plans:

    worker-kill  SIGKILL a gunicorn worker of our own server every few seconds, only at
                 moments when a write is in flight; gunicorn's master starts a new one.
    db-restart   restart PostgreSQL once (pg_ctlcluster ... restart) in the middle of the
                 run; gunicorn is not touched. This interrupts every other user of the
                 cluster, so it runs only with --yes-restart-postgresql.
    db-disconnect  what a restart does to our server alone, safe on a shared machine:
                 terminate every connection to the bench database in the middle of the run
                 (transactions in flight roll back, persistent connections go stale).

Then, on every row of the database (not only this run's):
- every write acknowledged (a redirect received) is in the database: none lost;
- nothing is half-written: every contact has its services and its audit event; every
  plan version saved by the run has objectives, actions pointing at its own objectives,
  and the content its last audit event records; the audit hash chain verifies
  (`crocevia audit verify`);
- the requests that failed, and for the restart how long the service took to come back
  by itself.

    .venv/bin/python bench/faults.py worker-kill [--duration 90] [--interval 5]
    .venv/bin/python bench/faults.py db-restart --yes-restart-postgresql [--duration 90]
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time

import load

from crocevia.audit.actions import AuditAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["worker-kill", "db-restart", "db-disconnect"])
    load.add_common_arguments(parser)
    parser.add_argument("--duration", type=float, default=90.0, help="seconds (default 90)")
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument(
        "--think", default="0.5,2", help="think time MIN,MAX seconds (default 0.5,2: busy)"
    )
    parser.add_argument("--ramp", type=float, default=10.0)
    parser.add_argument(
        "--interval", type=float, default=5.0, help="worker-kill: seconds between two kills"
    )
    parser.add_argument(
        "--restart-at", type=float, default=30.0, help="db-restart: seconds into the run"
    )
    parser.add_argument(
        "--cluster",
        default="15 main",
        help="db-restart: the PostgreSQL cluster for pg_ctlcluster (default '15 main')",
    )
    parser.add_argument(
        "--yes-restart-postgresql",
        action="store_true",
        help="db-restart: required; the restart interrupts every user of the cluster",
    )
    return parser.parse_args(argv)


class InFlight:
    """How many POSTs are waiting for their answer (the client side of 'mid-request')."""

    def __init__(self):
        self.lock = threading.Lock()
        self.posts = 0

    def wrap(self, operator_class):
        tracker = self

        class Tracked(operator_class):
            def request(self, page, method, path, **kwargs):
                if method != "POST":
                    return super().request(page, method, path, **kwargs)
                with tracker.lock:
                    tracker.posts += 1
                try:
                    return super().request(page, method, path, **kwargs)
                finally:
                    with tracker.lock:
                        tracker.posts -= 1

        return Tracked


def kill_workers(server, stop_at: float, interval: float, inflight: InFlight, seed: int):
    """SIGKILL one worker of our gunicorn at a time, when a write is in flight."""
    rng = random.Random(seed)
    kills = []
    next_at = time.monotonic() + interval
    while time.monotonic() < stop_at - interval:
        if time.monotonic() < next_at or inflight.posts == 0:
            time.sleep(0.005)
            continue
        pids = server.worker_pids()
        if not pids:
            time.sleep(0.05)
            continue
        pid = rng.choice(pids)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        kills.append((time.monotonic(), pid, inflight.posts))
        next_at = time.monotonic() + interval
    return kills


def disconnect_database(url: str) -> tuple[float, float]:
    """Terminate every connection to the bench database (ours alone), as a restart does to
    them: transactions in flight roll back, pooled connections go stale."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    return started, time.monotonic()


def restart_database(cluster: str) -> tuple[float, float]:
    """Restart the cluster; returns (start, end) on the monotonic clock."""
    version, name = cluster.split()
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],
        check=True,
        timeout=120,
    )
    return started, time.monotonic()


# --- consistency -----------------------------------------------------------------------------


CHECKS = {
    "contacts without any service": """
        SELECT count(*) FROM desk_contact c
        WHERE NOT EXISTS (SELECT 1 FROM desk_contact_services s WHERE s.contact_id = c.id)
    """,
    "contacts recorded on screen without their audit event": """
        SELECT count(*) FROM desk_contact c JOIN accounts_user u ON u.id = c.operator_id
        WHERE u.username LIKE 'load.%'
        AND NOT EXISTS (
            SELECT 1 FROM audit_auditevent e
            WHERE e.object_type = 'desk.contact' AND e.object_id = c.id::text
            AND e.action IN ('contact.create', 'create'))  -- new, and before AuditAction
    """,
    "plan versions saved by the run without objectives": """
        SELECT count(*) FROM plans_planversion v JOIN accounts_user u ON u.id = v.updated_by_id
        WHERE u.username LIKE 'load.%'
        AND NOT EXISTS (SELECT 1 FROM plans_objective o WHERE o.version_id = v.id)
    """,
    "actions pointing at another version's objective": """
        SELECT count(*) FROM plans_action a JOIN plans_objective o ON o.id = a.objective_id
        WHERE o.version_id <> a.version_id
    """,
    "audit events not sealed into the chain (before verify)": """
        SELECT count(*) FROM audit_auditevent WHERE chain_position IS NULL
    """,
}


def plan_versions_matching_their_audit() -> tuple[int, int]:
    """(checked, mismatched): every plan version last saved by the run holds the
    commitments and objectives that its last audit event says were saved."""
    from crocevia.audit.models import AuditEvent
    from crocevia.plans.models import PlanVersion

    checked = mismatched = 0
    versions = PlanVersion.objects.filter(updated_by__username__startswith=load.LOAD_PREFIX)
    for version in versions.prefetch_related("objectives"):
        event = (
            AuditEvent.objects.filter(
                object_type="plans.planversion",
                object_id=str(version.pk),
                action__in=[AuditAction.PLAN_VERSION_SAVE, AuditAction.PLAN_VERSION_CREATE],
            )
            .order_by("-id")
            .first()
        )
        checked += 1
        if event is None:
            mismatched += 1
            continue
        changes = event.changes
        ok = True
        if "person_commitments" in changes:
            ok &= changes["person_commitments"][1] == version.person_commitments
        if "objectives" in changes:
            ok &= changes["objectives"][1] == [
                [o.dimension, o.text] for o in version.objectives.all()
            ]
        mismatched += not ok
    return checked, mismatched


def consistency(args) -> dict:
    from django.db import connection

    connection.close()
    results = {}
    with connection.cursor() as cursor:
        for label, sql in CHECKS.items():
            cursor.execute(sql)
            results[label] = cursor.fetchone()[0]
    checked, mismatched = plan_versions_matching_their_audit()
    results[f"plan versions whose content differs from their last audit event (of {checked})"] = (
        mismatched
    )
    env = dict(os.environ, DATABASE_URL=args.url, CROCEVIA_INSECURE_DEV_KEY="1")
    verify = subprocess.run(
        [str(load.BIN / "crocevia"), "audit", "verify"],
        env=env,
        cwd=load.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    results["audit chain verify (exit status)"] = verify.returncode
    results["_verify_output"] = (verify.stdout + verify.stderr).strip().splitlines()[-2:]
    return results


# --- the run -------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.scenario == "db-restart" and not args.yes_restart_postgresql:
        sys.exit(
            "db-restart restarts the PostgreSQL cluster, interrupting everybody who uses it: "
            "run it again with --yes-restart-postgresql if that is acceptable now."
        )
    args.run_id = time.strftime("%H%M%S")
    load.prepare(args)
    names = load.ensure_load_users(args.operators)
    work = load.work_items(names, args.seed)
    stats, signin = load.Stats(), load.Stats()
    inflight = InFlight()
    load.Operator = inflight.wrap(load.Operator)
    print(
        f"{args.scenario}: {args.operators} operators, think {args.think.replace(',', '–')} s, "
        f"{args.duration:.0f} s, gunicorn {args.workers} x {args.threads}, "
        f"CONN_MAX_AGE={args.conn_max_age}.",
        flush=True,
    )
    fault: dict = {}
    with load.Server(args) as server:
        # The measured day starts once everybody has signed in (load.run_operators).
        started = time.monotonic() + args.ramp + 5
        stop_at = started + args.duration
        runner = threading.Thread(
            target=load.run_operators,
            args=(args, server.base, names, work, stats, signin, args.duration),
        )
        runner.start()
        time.sleep(max(0.0, started - time.monotonic()))
        if args.scenario == "worker-kill":
            fault["kills"] = kill_workers(server, stop_at, args.interval, inflight, args.seed)
        else:
            time.sleep(max(0.0, started + args.restart_at - time.monotonic()))
            if args.scenario == "db-restart":
                fault["restart"] = restart_database(args.cluster)
            else:
                fault["restart"] = disconnect_database(args.url)
        runner.join()
        master_alive = server.process.poll() is None
        workers_now = len(server.worker_pids())
        elapsed = time.monotonic() - started

    print("\nDuring the faults:", end="")
    load.print_table(stats, elapsed)
    writes = load.write_report(stats, args.run_id)
    load.print_writes(writes)
    print()
    errors = [(t, page) for t, page, ok in stats.timeline if not ok]
    if args.scenario == "worker-kill":
        kills = fault["kills"]
        print(
            f"Workers killed: {len(kills)} (each while 1–{max((k[2] for k in kills), default=0)}"
            f" writes were in flight); requests that failed: {len(errors)}; gunicorn master "
            f"{'still running' if master_alive else 'DEAD'}, {workers_now} workers at the end."
        )
    else:
        begin, end = fault["restart"]
        after = [t for t, _page, ok in stats.timeline if ok and t > end]
        first_ok = min(after) - end if after else float("nan")
        last_error = max((t for t, _ in errors), default=begin)
        what = "restart" if args.scenario == "db-restart" else "disconnection"
        print(
            f"PostgreSQL {what} took {end - begin:.1f} s (at {begin - started:.0f} s into "
            f"the run). Requests that failed: {len(errors)}, from "
            f"{(min((t for t, _ in errors), default=begin) - begin):+.1f} s to "
            f"{(last_error - begin):+.1f} s around the {what}; first success "
            f"{first_ok:.2f} s after it; gunicorn not restarted (master "
            f"{'running' if master_alive else 'DEAD'})."
        )
        late = [page for t, page in errors if t > end + 5]
        print(f"Errors more than 5 s after the {what} ended: {len(late)}.")
    print("\nConsistency (0 everywhere = nothing half-written):")
    results = consistency(args)
    for label, value in results.items():
        if not label.startswith("_"):
            print(f"  {label}: {value}")
    for line in results["_verify_output"]:
        print(f"  | {line}")
    lost = sum(len(r["lost"]) for r in writes.values())
    bad = sum(v for k, v in results.items() if not k.startswith("_") and "before verify" not in k)
    verdict = lost == 0 and bad == 0 and master_alive
    print("\nNo lost write, nothing half-written: " + ("yes." if verdict else "NO."))
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
