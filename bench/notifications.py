#!/usr/bin/env python
"""Notification e-mail delivery: from the commit to the mail server, with real workers.

Not a test: it prints figures. Issue 18 asks p95 <= 60 s from commit to the mail server
with the worker running, over 1,000 notifications.

    .venv/bin/python bench/notifications.py [--count 1000] [--rate 0] [--workers 1]
                                            [--url URL]

The database (default postgres://postgres@127.0.0.1:5432/crocevia_bench_notify; an
`sqlite:///path` URL works too) is dropped, created and migrated. An SMTP server
(aiosmtpd) listens on a free local port in this process and notes when each mail
arrives; `--workers` processes of `crocevia worker` (as production runs them, default
options) send to it. Then `--count` times, as a request would: one transaction that
makes a change and calls `notify` for one operator of 50 (immediate e-mail), timed at its
commit; `--rate` spreads them over time (notifications per second; 0: all at once, the
worst case, a burst queued faster than it is sent). It waits for every mail and prints
median, p95 and max of commit -> mail received, the sending throughput, and checks that
every notification is recorded as sent.
"""

import argparse
import logging
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crocevia_bench_notify"
TARGET_P95 = 60.0
SRC = Path(__file__).resolve().parents[1] / "src"


def recreate(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(urlsplit(url).path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Arrivals:
    """The SMTP server's handler: when each reference's mail arrived."""

    def __init__(self):
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        match = re.search(rb"bench-(\d+)", envelope.content)
        if match:
            with self.lock:
                self.at.setdefault(match.group(1).decode(), now)
        return "250 OK"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.0, help="per second; 0: a burst")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()

    recreate(args.url)
    os.environ["DATABASE_URL"] = args.url
    os.environ.setdefault("CROCEVIA_INSECURE_DEV_KEY", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crocevia.settings")
    os.environ.setdefault("CROCEVIA_VAR_DIR", tempfile.mkdtemp(prefix="crocevia-bench-"))
    port = free_port()
    os.environ["EMAIL_HOST"] = "127.0.0.1"
    os.environ["EMAIL_PORT"] = str(port)
    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db import transaction

    from crocevia.accounts.models import Profile
    from crocevia.notifications.models import EmailState, Notification, NotificationKind
    from crocevia.notifications.services import notify
    from crocevia.testing import build_actors, make_member

    call_command("migrate", verbosity=0)
    # The SMTP server's log of every command would cost this process more than the mail.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    actors = build_actors()
    operators = [
        make_member(f"bench{i}", actors.sds, Profile.SOCIAL_WORKER, email=f"bench{i}@example.org")
        for i in range(50)
    ]

    arrivals = Arrivals()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "crocevia", "worker", "--no-reload", "-v0"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(args.workers)
    ]
    time.sleep(3)  # the workers start (Django set-up, first poll)
    committed: dict[str, float] = {}
    try:
        started = time.time()
        for i in range(args.count):
            if args.rate:
                time.sleep(max(0.0, started + i / args.rate - time.time()))
            with transaction.atomic():
                notify(
                    recipients=[operators[i % len(operators)]],
                    kind=NotificationKind.TEAM_ADDED,
                    url=f"/casi/{i}/",
                    reference=f"bench-{i}",
                    actor=actors.coordinator,
                )
            committed[str(i)] = time.time()
        enqueued = time.time() - started
        deadline = time.time() + args.timeout
        while len(arrivals.at) < args.count and time.time() < deadline:
            time.sleep(0.2)
        drained = time.time() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        smtp.stop()

    latencies = [arrivals.at[k] - committed[k] for k in committed if k in arrivals.at]
    states = dict(
        Notification.objects.values_list("email_state").annotate(n=django.db.models.Count("pk"))
    )
    engine = "SQLite" if args.url.startswith("sqlite") else "PostgreSQL"
    print(
        f"{engine}, {args.workers} worker(s), {args.count} notifications "
        f"({'burst' if not args.rate else f'{args.rate:g}/s'})"
    )
    print(f"  committed in {enqueued:.1f} s; all mail received after {drained:.1f} s")
    print(f"  received {len(latencies)}/{args.count}; states {states}")
    if latencies:
        p95 = percentile(latencies, 0.95)
        print(
            f"  commit -> mail received: median {statistics.median(latencies):.2f} s, "
            f"p95 {p95:.2f} s (target <= {TARGET_P95:.0f} s: "
            f"{'ok' if p95 <= TARGET_P95 else 'MISSED'}), max {max(latencies):.2f} s"
        )
        print(f"  sending throughput: {len(latencies) / max(drained, 1e-9):.0f} mails/s")
    assert states.get(EmailState.SENT) == args.count, states


if __name__ == "__main__":
    main()
