#!/usr/bin/env python
"""Speed of the audit chain on PostgreSQL: sealing and verifying 200,000 events.

Not a test: it prints events per second for each step.

    .venv/bin/python bench/audit.py [--events 200000] [--url URL]

The database (default crocevia_test_d) is dropped, created and migrated. The events are
written as a large import writes them (one transaction, COPY, unsealed), then:
- seal: `seal_pending()` after the commit, batches of 5,000 (events/s);
- a request during that sealing: one audited write and its after-commit sealing, which
  waits for one batch of the big sealing at most (the lock is released between batches);
- the sealing of one new event at the head of the chain (what each request pays);
- verify: `verify_chain()` over the whole chain (events/s);
- anchor: `crocevia audit anchor` (the head appended to a witness file in a temporary
  directory), then `crocevia audit verify`, which checks that witness.
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crocevia_test_d"


def recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    args = parser.parse_args()

    recreate(args.url)
    os.environ["DATABASE_URL"] = args.url
    os.environ.setdefault("CROCEVIA_INSECURE_DEV_KEY", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crocevia.settings")
    # A witness of this database only (never the machine's CROCEVIA_VAR_DIR one).
    witness_dir = tempfile.mkdtemp(prefix="crocevia-bench-witness-")
    os.environ["CROCEVIA_AUDIT_WITNESS"] = str(Path(witness_dir) / "audit-witness.jsonl")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from crocevia.audit.chain import seal_pending, verify_chain
    from crocevia.audit.models import AuditEvent
    from crocevia.audit.services import audit_change
    from crocevia.interchange.bulkdb import change_event_rows, insert_change_events
    from crocevia.testing import build_actors

    call_command("migrate", verbosity=0)
    actors = build_actors()
    actor = actors.desk_operator
    changes = {
        "person": [None, 123456],
        "desk": [None, 12],
        "date": [None, "2025-03-14"],
        "outcome": [None, "referred"],
        "referred_to": [None, 7],
        "external_id": [None, "C0123456"],
        "services": [None, ["job_search", "cv_writing"]],
    }
    entries = [("create", i, changes, 1000 + i % 50_000) for i in range(1, args.events + 1)]
    assert change_event_rows("desk.contact", actor, entries[:1])  # warm the imports

    started = time.perf_counter()
    with transaction.atomic():
        insert_change_events("desk.contact", actor, entries)
        # The after-commit sealing is measured on its own below.
        connection.run_on_commit.clear()
    insert_s = time.perf_counter() - started
    print(f"insert {args.events:,} events (COPY, one transaction): {insert_s:.2f} s")

    # Sealing after the import's commit, with one operator's write meanwhile.
    waits = []

    def operator_write():
        time.sleep(1.0)  # the big sealing is under way
        from django.db import connection as own

        t0 = time.perf_counter()
        with transaction.atomic():
            audit_change(actor=actor, action="update", instance=actor, changes={"x": [1, 2]})
        waits.append(time.perf_counter() - t0)  # includes the after-commit sealing attempt
        own.close()

    thread = threading.Thread(target=operator_write)
    thread.start()
    started = time.perf_counter()
    sealed = seal_pending()
    seal_s = time.perf_counter() - started
    thread.join()
    print(
        f"seal: {sealed:,} events in {seal_s:.2f} s = {sealed / seal_s:,.0f} events/s "
        f"(the write made meanwhile is among them: "
        f"{AuditEvent.objects.filter(chain_position__isnull=True).count()} left unsealed)"
    )
    print(f"an operator's write during that sealing: {waits[0] * 1000:.1f} ms (sealing included)")

    times, whole = [], []
    for _ in range(50):
        t0 = time.perf_counter()
        with transaction.atomic():
            event = AuditEvent.objects.create(
                kind="change", action="update", object_type="t", object_id="1"
            )
            connection.run_on_commit.clear()  # timed alone below
        t1 = time.perf_counter()
        seal_pending(since=event.pk)  # what the callback after the commit does
        times.append(time.perf_counter() - t1)
        t2 = time.perf_counter()
        audit_change(actor=actor, action="update", instance=actor, changes={"x": [1, 2]})
        whole.append(time.perf_counter() - t2)  # autocommit: insert, then sealing at once
        assert t1 > t0
    print(
        f"sealing one new event at the head of the chain: median "
        f"{statistics.median(times) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms; "
        f"an audited write with its sealing: median {statistics.median(whole) * 1000:.2f} ms"
    )

    started = time.perf_counter()
    result = verify_chain(seal=False)
    verify_s = time.perf_counter() - started
    print(
        f"verify: {result.events:,} events in {verify_s:.2f} s = "
        f"{result.events / verify_s:,.0f} events/s, intact: {result.ok}"
    )
    started = time.perf_counter()
    call_command("audit", "anchor", "--no-mail")
    print(f"`crocevia audit anchor`: {(time.perf_counter() - started) * 1000:.0f} ms")
    started = time.perf_counter()
    call_command("audit", "verify")
    print(f"`crocevia audit verify` in all: {time.perf_counter() - started:.2f} s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
