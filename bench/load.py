#!/usr/bin/env python
"""Load test: operators doing their day against gunicorn, on PostgreSQL and Redis.

Not a test: it prints figures (requests, p50/p95/p99 latency and errors per page, total
throughput, writes acknowledged against rows found) beside the targets of issue 7:
p95 <= 300 ms for every page, no error, no lost write. See bench/README.md.

    .venv/bin/python bench/load.py [--duration 300] [--operators 50]
    .venv/bin/python bench/load.py --servers 2 --job-workers 2 --operators 200
    .venv/bin/python bench/load.py --servers 2 --job-workers 2 --operators 200 \
        --kill-server-at 150 --kill-for 30

Everything runs on this machine: gunicorn on 127.0.0.1 (crocevia/gunicorn_conf.py, DEBUG
off, a random SECRET_KEY, sessions and cache in Redis, static files collected first) in
front of the PostgreSQL database named by --url, which is created, migrated and filled
with `crocevia demo --persons N --cases M` if it holds fewer persons. The virtual
operators are plain threads with a `requests` session each (a cookie jar, the CSRF token
read from the real forms); the run stops by itself after --duration seconds.

With --servers N (2 or more) the operators go through nginx on --port, in front of N
gunicorn servers on the ports after it, each with its own CROCEVIA_VAR_DIR and TMPDIR as
on machines of their own, and --job-workers M workers of the job queue
(crocevia.testing_cluster; the logs in var/load-cluster/). --kill-server-at T SIGKILLs the
first app server (its master and workers) T seconds into the measured day and starts it
again --kill-for seconds later: the failures are then split by time, those in flight at
the kill and any other.
"""

import argparse
import collections
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from crocevia.audit.actions import AuditAction
from crocevia.testing_cluster import (
    GUNICORN_CONFIG,
    Cluster,
    JobWorker,
    children_of,
    cpu_seconds_of,
    production_env,
)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crocevia_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"
CLUSTER_DIR = ROOT / "var" / "load-cluster"  # --servers N: every node's logs and state
TARGET_P95_MS = 300.0
KEEPALIVE_SECONDS = 5  # gunicorn's keepalive (crocevia/gunicorn_conf.py)
PASSWORD = "crocevia-load-2026"  # noqa: S105 - the load users' password, on a bench database
LOAD_PREFIX = "load."
# The mix of a region's day: most operators at the desks, social workers on cases and
# plans, a few coordinators.
ROLE_SHARE = {"desk": 0.6, "social": 0.3, "coordinator": 0.1}
# Pages in the order of the table (the others follow alphabetically).
PAGE_ORDER = [
    "login form",
    "login",
    "home",
    "person search",
    "search results",
    "person",
    "contact form",
    "contact save",
    "daily register",
    "my cases",
    "coordination",
    "queue",
    "queue page 2",
    "referral inbox",
    "notifications",
    "case",
    "plan form",
    "plan save",
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds (default 300)")
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument(
        "--think",
        default="3,10",
        help="think time between two actions of an operator, uniform MIN,MAX seconds",
    )
    parser.add_argument(
        "--ramp", type=float, default=30.0, help="operators sign in over this many seconds"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="app servers (default 1: gunicorn alone on --port); 2 or more: behind nginx on "
        "--port, the servers on the ports after it",
    )
    parser.add_argument(
        "--job-workers", type=int, default=0, help="workers of the job queue (default 0)"
    )
    parser.add_argument(
        "--kill-server-at",
        type=float,
        help="SIGKILL the first app server (master and workers) this many seconds into the "
        "measured day (needs --servers 2 or more)",
    )
    parser.add_argument(
        "--kill-for",
        type=float,
        default=30.0,
        help="seconds before the killed server is started again (default 30)",
    )
    args = parser.parse_args(argv)
    if args.kill_server_at is not None and args.servers < 2:
        parser.error("--kill-server-at needs --servers 2 or more")
    return args


def add_common_arguments(parser) -> None:
    parser.add_argument("--url", default=DEFAULT_URL, help=f"database (default {DEFAULT_URL})")
    parser.add_argument(
        "--persons", type=int, default=20_000, help="persons in the region (default 20,000)"
    )
    parser.add_argument(
        "--demo-persons",
        type=int,
        default=3_000,
        help="of which loaded by `crocevia demo` with their households, consents, contacts "
        "and cases (default 3,000); the rest through the interchange import",
    )
    parser.add_argument("--cases", type=int, default=300, help="cases of the demo (default 300)")
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="Redis for cache and sessions")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument(
        "--worker-class", default="gthread", help="gunicorn's worker class (gthread or sync)"
    )
    parser.add_argument(
        "--conn-max-age", type=int, default=60, help="CONN_MAX_AGE of the server (seconds)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--gunicorn-config",
        help=f"gunicorn's configuration (default {GUNICORN_CONFIG})",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="keep gunicorn's access log in the server log and print the server-side times",
    )
    parser.add_argument(
        "--server-log",
        default=str(ROOT / "var" / "load-gunicorn.log"),
        help="gunicorn's output (default var/load-gunicorn.log)",
    )


# --- the database --------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the database if it does not exist (connecting to the `postgres` database)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}.")


def crocevia(*args: str, url: str) -> None:
    env = dict(os.environ, DATABASE_URL=url, CROCEVIA_INSECURE_DEV_KEY="1")
    subprocess.run([str(BIN / "crocevia"), *args], check=True, env=env, cwd=ROOT)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crocevia.settings")
    os.environ.setdefault("CROCEVIA_INSECURE_DEV_KEY", "1")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(f"This benchmark runs on PostgreSQL; {url} is {connection.vendor}.")


def prepare(args) -> None:
    """Database created, migrated and filled; the virtual operators' accounts exist."""
    ensure_database(args.url)
    crocevia("migrate", "--no-input", "-v0", url=args.url)
    setup_django(args.url)
    from crocevia.people.models import Person

    if not Person.objects.filter(external_id__startswith="demo-").exists():
        print(f"Loading the demo: {args.demo_persons:,} persons, {args.cases:,} cases…", flush=True)
        started = time.monotonic()
        crocevia("demo", f"--persons={args.demo_persons}", f"--cases={args.cases}", url=args.url)
        print(f"Demo loaded in {time.monotonic() - started:.0f} s.", flush=True)
    have = Person.objects.count()
    if have < args.persons:
        top_up(args, args.persons - have)


def top_up(args, persons: int) -> None:
    """The rest of a region's persons, with a year of contacts each at the demo's desks,
    through the interchange import (`crocevia import --user sportello`), as a region
    moving its registers into Crocevia would: the demo's services take ~0.2 s a person,
    the import ~10,000 rows a second."""
    import csv
    import datetime
    import tempfile

    from stdnum.it import codicefiscale

    from crocevia.demo.management.commands.demo import COMUNI, LEVEL1_DESKS, SERVICE_WEIGHTS
    from crocevia.demo.names import CITIZENSHIP_WEIGHTS, family_names, given_names
    from crocevia.people.models import Person

    rng = random.Random(args.seed)
    countries = list(CITIZENSHIP_WEIGHTS)
    weights = list(CITIZENSHIP_WEIGHTS.values())
    services = list(SERVICE_WEIGHTS)
    service_weights = list(SERVICE_WEIGHTS.values())
    comuni = [c[0] for c in COMUNI]
    comune_weights = [c[3] for c in COMUNI]
    desks = [d.code for d in LEVEL1_DESKS]
    today = datetime.date.today()
    start = Person.objects.filter(external_id__startswith="load-p-").count()
    used_cf = set(
        Person.objects.exclude(codice_fiscale="").values_list("codice_fiscale", flat=True)
    )
    print(f"Top-up: {persons:,} persons with their contacts, through the import…", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        people_path, contacts_path = Path(tmp, "persons.csv"), Path(tmp, "contacts.csv")
        with (
            open(people_path, "w", newline="", encoding="utf-8") as pf,
            open(contacts_path, "w", newline="", encoding="utf-8") as cf,
        ):
            people, contacts = csv.writer(pf), csv.writer(cf)
            people.writerow(
                ["external_id", "family_name", "given_names", "sex", "birth_date",
                 "citizenship", "codice_fiscale", "comune_istat"]
            )  # fmt: skip
            contacts.writerow(
                ["external_id", "person_external_id", "desk_code", "date", "services",
                 "outcome"]
            )  # fmt: skip
            n_contacts = 0
            for i in range(start + 1, start + persons + 1):
                country = rng.choices(countries, weights)[0]
                sex = "M" if rng.random() < 0.56 else "F"
                family = rng.choice(family_names(country, sex))
                given = rng.choice(given_names(country, sex))
                birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(20500))
                cf = _codice_fiscale(codicefiscale, family, given, birth, sex)
                if cf in used_cf or rng.random() < 0.4:
                    cf = ""
                used_cf.add(cf)
                external_id = f"load-p-{i:06d}"
                people.writerow(
                    [external_id, family, given, sex, birth.isoformat(), country, cf,
                     rng.choices(comuni, comune_weights)[0]]
                )  # fmt: skip
                for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
                    n_contacts += 1
                    day = today - datetime.timedelta(days=rng.randrange(365))
                    chosen = set(rng.choices(services, service_weights, k=rng.randint(1, 2)))
                    contacts.writerow(
                        [f"load-c-{i:06d}-{n_contacts}", external_id, rng.choice(desks),
                         day.isoformat(), ";".join(sorted(chosen)), "solved"]
                    )  # fmt: skip
        crocevia("import", "persons", str(people_path), "--user=sportello", url=args.url)
        crocevia("import", "contacts", str(contacts_path), "--user=sportello", url=args.url)
    print(
        f"Top-up done in {time.monotonic() - started:.0f} s ({n_contacts:,} contacts).",
        flush=True,
    )


def _codice_fiscale(codicefiscale, family, given, birth, sex) -> str:
    """A well-formed codice fiscale (born in Pisa) for the name and birth date."""

    def letters(name, given=False):
        name = "".join(c for c in name.upper() if "A" <= c <= "Z")
        consonants = [c for c in name if c not in "AEIOU"]
        if given and len(consonants) > 3:
            consonants = [consonants[0], consonants[2], consonants[3]]
        vowels = [c for c in name if c in "AEIOU"]
        return "".join(consonants + vowels + ["X"] * 3)[:3]

    day = birth.day + (40 if sex == "F" else 0)
    body = (
        f"{letters(family)}{letters(given, True)}{birth.year % 100:02d}"
        f"{'ABCDEHLMPRST'[birth.month - 1]}{day:02d}G702"
    )
    return body + codicefiscale.calc_check_digit(body)


def ensure_load_users(operators: int) -> dict[str, list[str]]:
    """The accounts of the virtual operators, by role: desk operators of the Pisa and
    Comuni desks, social workers of the SdS (they see its cases), zone coordinators.
    One account per virtual operator, so sessions, locks and audit events are theirs."""
    from django.contrib.auth.hashers import make_password

    from crocevia.accounts.models import Membership, Profile, User
    from crocevia.network.models import Desk, Organisation

    sds = Organisation.objects.get(code="SDS-PI")
    desks = list(Desk.objects.filter(organisation=sds, level=1).order_by("code"))
    pua = Desk.objects.filter(organisation=sds, level=2).first()
    counts = _role_counts(operators)
    hashed = make_password(PASSWORD)
    names: dict[str, list[str]] = {}
    for role, count in counts.items():
        names[role] = []
        for i in range(1, count + 1):
            username = f"{LOAD_PREFIX}{role}.{i:02d}"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": "Operatore", "last_name": f"Carico {role} {i}"},
            )
            if created or not user.check_password(PASSWORD):
                user.password = hashed
                user.save(update_fields=["password"])
            profile = {
                "desk": Profile.DESK_OPERATOR,
                "social": Profile.SOCIAL_WORKER,
                "coordinator": Profile.COORDINATOR,
            }[role]
            membership, new = Membership.objects.get_or_create(
                user=user, organisation=sds, profile=profile
            )
            if new and role == "desk":
                # Half at the Pisa desk, half at one of the Comuni desks.
                membership.desks.set([desks[i % len(desks)]])
            elif new and role == "social" and pua:
                membership.desks.set([pua])
            names[role].append(username)
    return names


def _role_counts(operators: int) -> dict[str, int]:
    counts = {role: int(operators * share) for role, share in ROLE_SHARE.items()}
    counts["desk"] += operators - sum(counts.values())
    return counts


def work_items(names: dict[str, list[str]], seed: int) -> dict:
    """What the operators will work on, drawn from the database before the run.

    Open cases with a plan are dealt out to the social workers, a disjoint share each, so
    that two virtual operators never edit the same plan at once (a real conflict would be
    refused, by design, and is not what this measures)."""
    from crocevia.cases.models import Case
    from crocevia.people.models import Person
    from crocevia.plans.models import Plan

    rng = random.Random(seed)
    family = list(
        Person.objects.filter(created_by_organisation__code="SDS-PI")
        .values_list("family_name", flat=True)
        .distinct()
    )
    given = list(
        Person.objects.filter(created_by_organisation__code="SDS-PI")
        .values_list("family_name", "given_names")
        .order_by("?")[:2000]
    )
    plans = list(
        Plan.objects.filter(case__organisation__code="SDS-PI")
        .exclude(case__stage="closed")
        .values_list("pk", "case_id")
        .order_by("pk")
    )
    cases = list(
        Case.objects.filter(organisation__code="SDS-PI")
        .exclude(stage="closed")
        .values_list("pk", flat=True)
    )
    rng.shuffle(plans)
    social = names.get("social", [])
    share = {u: plans[i :: len(social)] for i, u in enumerate(social)} if social else {}
    queries = [f[: rng.randint(3, 6)] for f in family] + [f"{f} {g.split()[0]}" for f, g in given]
    return {"queries": queries, "plans": share, "cases": cases}


# --- the server ----------------------------------------------------------------------------


class Server:
    """gunicorn with the production settings, on loopback; stopped on exit."""

    def __init__(self, args):
        self.args = args
        self.base = f"http://127.0.0.1:{args.port}"
        self.process: subprocess.Popen | None = None

    def env(self) -> dict:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"CROCEVIA_INSECURE_DEV_KEY", "DEBUG", "SECRET_KEY"}
        }
        env.update(
            DATABASE_URL=self.args.url,
            REDIS_URL=self.args.redis,
            SECRET_KEY=secrets.token_urlsafe(50),
            DEBUG="false",
            ALLOWED_HOSTS="127.0.0.1",
            # Plain HTTP on loopback: no TLS, so no Secure cookies and no redirect to HTTPS.
            SECURE_COOKIES="false",
            SECURE_SSL_REDIRECT="false",
            SECURE_HSTS_SECONDS="0",
            CONN_MAX_AGE=str(self.args.conn_max_age),
            CONN_HEALTH_CHECKS="true",
            # Production serves the collected files under hashed names (collected below).
            CROCEVIA_STATIC_ROOT=str(ROOT / "var" / "load-static"),
            GUNICORN_BIND=f"127.0.0.1:{self.args.port}",
            GUNICORN_WORKERS=str(self.args.workers),
            GUNICORN_THREADS=str(self.args.threads),
            GUNICORN_WORKER_CLASS=self.args.worker_class,
            GUNICORN_LOG_LEVEL="info" if self.args.access_log else "warning",
            GUNICORN_ACCESS_LOG="-" if self.args.access_log else "",
            PYTHONUNBUFFERED="1",
        )
        return env

    def __enter__(self):
        import redis

        # Sessions of an earlier run would be found by the same usernames: start clean.
        redis.Redis.from_url(self.args.redis).flushdb()
        Path(self.args.server_log).parent.mkdir(parents=True, exist_ok=True)
        self.log = open(self.args.server_log, "w")  # noqa: SIM115 - closed in __exit__
        subprocess.run(
            [str(BIN / "crocevia"), "collectstatic", "--no-input", "-v0"],
            env=self.env(),
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            check=True,
        )
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                self.args.gunicorn_config or GUNICORN_CONFIG,
                "crocevia.wsgi",
            ],
            env=self.env(),
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    sys.exit(f"gunicorn exited ({self.process.returncode}): see {self.log.name}")
                try:
                    if requests.get(f"{self.base}/accesso/", timeout=30).status_code == 200:
                        # Every worker imports Django on its first request: warm them all.
                        for _ in range(self.args.workers * 3):
                            requests.get(f"{self.base}/accesso/", timeout=30)
                        return self
                except requests.RequestException:
                    pass
                time.sleep(0.3)
            sys.exit(f"gunicorn did not answer within 120 s: see {self.log.name}")
        except BaseException:
            self.stop()
            self.log.close()
            raise

    def worker_pids(self) -> list[int]:
        """The worker processes of our own gunicorn master (never anybody else's)."""
        return [] if self.process is None else children_of(self.process.pid)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the running workers (user + system)."""
        return cpu_seconds_of(self.worker_pids())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __exit__(self, *exc):
        self.stop()
        self.log.close()


class Servers:
    """--servers N (2 or more): nginx on --port in front of N gunicorn servers on the ports
    after it, and the --job-workers (crocevia.testing_cluster). With the interface of
    Server: `base` (nginx), `cpu_seconds()`, and the kill's `kill()` and `restart()`."""

    def __init__(self, args):
        self.args = args
        shutil.rmtree(CLUSTER_DIR, ignore_errors=True)
        self.cluster = Cluster(
            CLUSTER_DIR,
            database_url=args.url,
            redis_url=args.redis,
            servers=args.servers,
            job_workers=args.job_workers,
            port=args.port,
            gunicorn_workers=args.workers,
            threads=args.threads,
            config=args.gunicorn_config,
            gunicorn={
                "worker_class": args.worker_class,
                "log_level": "info" if args.access_log else "warning",
                "access_log": "-" if args.access_log else "",
            },
            env={"CONN_MAX_AGE": str(args.conn_max_age)},
        )
        self.base = self.cluster.base

    def __enter__(self):
        self.cluster.__enter__()
        return self

    def __exit__(self, *exc):
        self.cluster.__exit__(*exc)

    def cpu_seconds(self) -> float:
        return sum(s.cpu_seconds() for s in self.cluster.servers)

    def workers_cpu_seconds(self) -> float:
        return sum(w.cpu_seconds() for w in self.cluster.workers)

    def logs(self) -> list[str]:
        return [str(s.log_path) for s in self.cluster.servers]

    def describe(self) -> str:
        return (
            f"nginx on {self.base}, {len(self.cluster.servers)} app servers "
            f"({', '.join(str(s.port) for s in self.cluster.servers)}), "
            f"{len(self.cluster.workers)} job workers; logs in {CLUSTER_DIR}"
        )


class JobWorkers:
    """--job-workers M beside the one server of --servers 1 (Servers has its own)."""

    def __init__(self, args, count: int):
        env = production_env(
            database_url=args.url, redis_url=args.redis, secret_key=secrets.token_urlsafe(50)
        )
        if count:
            shutil.rmtree(CLUSTER_DIR, ignore_errors=True)
        self.workers = [
            JobWorker(f"worker-{i + 1}", CLUSTER_DIR / f"worker-{i + 1}", env) for i in range(count)
        ]

    def __enter__(self):
        for worker in self.workers:
            worker.start()
        return self

    def __exit__(self, *exc):
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            worker.wait_stopped(timeout=60)

    def cpu_seconds(self) -> float:
        return sum(w.cpu_seconds() for w in self.workers)


def kill_one_server(servers: Servers, args, fault: dict):
    """The function run beside the operators for --kill-server-at: SIGKILL the first app
    server (its process group: the master and its workers) at that second of the day,
    start it again --kill-for seconds later, and note when it answered again."""

    def run(day_start: float, stop_at: float) -> None:
        if day_start + args.kill_server_at >= stop_at:
            return  # after the day: no kill
        time.sleep(max(0.0, day_start + args.kill_server_at - time.monotonic()))
        server = servers.cluster.servers[0]
        fault["server"] = f"{server.name} (port {server.port})"
        fault["processes"] = 1 + len(server.child_pids())
        fault["killed"] = time.monotonic()
        servers.cluster.kill_server(0)
        fault["killed_done"] = time.monotonic()
        time.sleep(max(0.0, fault["killed"] + args.kill_for - time.monotonic()))
        fault["restarted"] = time.monotonic()
        try:
            servers.cluster.restart_server(0)
        except Exception as error:  # noqa: BLE001 - reported with the figures
            fault["restart_error"] = str(error)
        fault["ready"] = time.monotonic()

    return run


def sample_load(loads: dict):
    """The host's load average at the start and in the middle of the measured day."""

    def run(day_start: float, stop_at: float) -> None:
        time.sleep(max(0.0, day_start - time.monotonic()))
        loads["start"] = os.getloadavg()
        time.sleep(max(0.0, (day_start + stop_at) / 2 - time.monotonic()))
        loads["middle"] = os.getloadavg()

    return run


# --- forms ---------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The forms of a page as a browser would submit them: every named field with its
    current value (checked boxes, selected options, textarea text), plus the choices
    offered by checkboxes, radios and selects."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._select_value: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self.forms.append(
                {
                    "action": a.get("action") or "",
                    "method": (a.get("method") or "get").lower(),
                    "fields": [],
                    "choices": collections.defaultdict(list),
                }
            )
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            value = a.get("value", "")
            if kind in {"checkbox", "radio"}:
                form["choices"][name].append(value or "on")
                if "checked" in a:
                    form["fields"].append((name, value or "on"))
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                form["fields"].append((name, value))
        elif tag == "textarea" and name:
            self._textarea = name
            form["fields"].append((name, ""))
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            form["choices"][self._select].append(value)
            if "selected" in a or self._select_value is None:
                # The first option counts until a selected one comes.
                self._select_value = value if "selected" in a else None
                if "selected" in a:
                    form["fields"].append((self._select, value))

    def handle_endtag(self, tag):
        if tag == "select" and self._select and self.forms:
            form = self.forms[-1]
            if not any(n == self._select for n, _ in form["fields"]):
                options = form["choices"].get(self._select) or [""]
                form["fields"].append((self._select, options[0]))
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            fields = self.forms[-1]["fields"]
            name, value = fields[-1]
            fields[-1] = (name, value + data)


def parse_forms(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def post_form(parser: FormParser) -> dict:
    """The page's main POST form (the one with the most fields)."""
    forms = [f for f in parser.forms if f["method"] == "post"]
    if not forms:
        raise LoadError("no form on the page")
    return max(forms, key=lambda f: len(f["fields"]))


def set_field(fields: list, name: str, value: str) -> list:
    kept = [(n, v) for n, v in fields if n != name]
    return kept + [(name, value)]


# --- the virtual operators -----------------------------------------------------------------


class LoadError(Exception):
    pass


class DayOver(Exception):
    """The measured day ended during an operator's pause: the rest of the visit is not
    done. (Cut short instead, every operator's pause would end at the same instant and all
    fifty would fire at once: a burst no office makes, which once filled the p95.)"""


class Stats:
    """Every request's page, latency and outcome, and the writes acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: dict[str, int] = collections.Counter()
        self.error_kinds: dict[str, int] = collections.Counter()
        self.timeline: list[tuple[float, str, bool]] = []
        # Every request's start and end (monotonic), page and outcome: the kill's figures.
        self.spans: list[tuple[float, float, str, bool, str]] = []
        self.acknowledged: dict[str, set[str]] = collections.defaultdict(set)
        self.attempted: dict[str, set[str]] = collections.defaultdict(set)
        # The last acknowledged token of each form (a plan save rewrites its draft's row).
        self.last_token: dict[str, str] = {}
        self.started = time.time()

    def record(self, page: str, ms: float, ok: bool, kind: str = "") -> None:
        with self.lock:
            self.samples[page].append(ms)
            now = time.monotonic()
            self.timeline.append((now, page, ok))
            self.spans.append((now - ms / 1000, now, page, ok, kind))
            if not ok:
                self.errors[page] += 1
                self.error_kinds[f"{page}: {kind}"] += 1


class Operator(threading.Thread):
    def __init__(
        self, *, number, role, username, base, stats, signin_stats, work, args, start_at,
        day_start, stop_at
    ):  # fmt: skip
        super().__init__(daemon=True, name=username)
        self.number, self.role, self.username = number, role, username
        self.base, self.stats, self.work, self.args = base, stats, work, args
        self.signin_stats = signin_stats
        self.start_at, self.day_start, self.stop_at = start_at, day_start, stop_at
        self.rng = random.Random(f"{args.seed}-{number}")
        self.think_min, self.think_max = (float(x) for x in args.think.split(","))
        self.session = requests.Session()
        self.plans = list(work["plans"].get(username, []))
        self.writes = 0
        self.signed_in = False
        self.queues: list[str] = []  # the work queues the home page links to

    # -- requests --

    def request(self, page, method, path, *, expect=(200,), **kwargs) -> requests.Response | None:
        headers = kwargs.pop("headers", {})
        if method == "POST":
            # Django's CSRF check on HTTPS-less loopback wants a same-origin Referer only
            # on HTTPS; the token is what matters. Send the Origin a browser sends.
            headers.setdefault("Origin", self.base)
            headers.setdefault("Referer", self.base + path)
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                self.base + path,
                headers=headers,
                allow_redirects=False,
                timeout=30,
                **kwargs,
            )
        except requests.RequestException as error:
            ms = (time.perf_counter() - started) * 1000
            self.stats.record(page, ms, False, type(error).__name__)
            return None
        ms = (time.perf_counter() - started) * 1000
        ok = response.status_code in expect
        if ok and response.status_code in (301, 302, 303):
            # A redirect to the sign-in page means the session was lost: an error.
            ok = "/accesso/" not in response.headers.get("Location", "")
        self.stats.record(page, ms, ok, f"HTTP {response.status_code}")
        return response if ok else None

    def follow(self, response, page) -> requests.Response | None:
        location = response.headers["Location"]
        path = urlsplit(location).path + (
            "?" + urlsplit(location).query if urlsplit(location).query else ""
        )
        return self.request(page, "GET", path)

    def think(self) -> None:
        pause = self.rng.uniform(self.think_min, self.think_max)
        if pause >= KEEPALIVE_SECONDS - 1:
            # gunicorn closes a keep-alive connection idle for GUNICORN_KEEPALIVE seconds; a
            # request racing that close fails, and a browser would silently retry it on a
            # new connection. Drop the idle connection instead, as the server will.
            self.session.close()
        if time.monotonic() + pause >= self.stop_at:
            time.sleep(max(0.0, self.stop_at - time.monotonic()))
            raise DayOver
        time.sleep(pause)

    def running(self) -> bool:
        return time.monotonic() < self.stop_at

    # -- the day --

    def run(self) -> None:
        # Morning: sign in (PBKDF2 costs ~1 s of CPU, on purpose), in the sign-in figures.
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        day_stats, self.stats = self.stats, self.signin_stats
        while not self.signed_in and time.monotonic() < self.day_start:
            try:
                self.sign_in()
            except LoadError:
                time.sleep(1)
        # The measured day: each operator starts at a random point of their first pause.
        self.stats = day_stats
        time.sleep(max(0.0, self.day_start - time.monotonic()))
        time.sleep(self.rng.uniform(0, self.think_max))
        try:
            while self.running():
                try:
                    if not self.signed_in:
                        self.sign_in()  # the session was lost: counted in the day's figures
                        self.think()
                        continue
                    {"desk": self.desk_visit, "social": self.social_visit}.get(
                        self.role, self.coordinator_visit
                    )()
                except LoadError:
                    # The page was an error (already counted); a real operator would go
                    # back to the start of the task, or sign in again if the session was
                    # lost.
                    self.think()
        except DayOver:
            return

    def sign_in(self) -> None:
        response = self.request("login form", "GET", "/accesso/")
        if response is None:
            raise LoadError
        token = self.session.cookies.get("csrftoken")
        response = self.request(
            "login",
            "POST",
            "/accesso/",
            expect=(302,),
            data={
                "csrfmiddlewaretoken": token,
                "username": self.username,
                "password": PASSWORD,
                "next": "",
            },
        )
        if response is None:
            raise LoadError
        self.signed_in = True
        response = self.request("home", "GET", "/")
        # The home page links to the operator's work queues (site.queues): their own.
        self.queues = (
            sorted(set(re.findall(r'href="(/da-fare/[a-z-]+/)"', response.text)))
            if response is not None
            else []
        )

    def queue_visit(self) -> None:
        """Open one of the operator's work queues, sometimes its next page or its order by
        age (the lists are complete and paginated: 50 a page)."""
        if not self.queues:
            return
        path = self.rng.choice(self.queues)
        if self.request("queue", "GET", path) is None:
            raise LoadError
        self.think()
        if self.rng.random() < 0.3:
            self.request("queue page 2", "GET", path, params={"page": 2, "ordine": "meno-recenti"})
            self.think()

    def search_and_open(self) -> str | None:
        """Type a name in the search box (htmx partials as the operator types), open a
        person of the results. Returns the person page's path."""
        query = self.rng.choice(self.work["queries"])
        if self.rng.random() < 0.3:
            if self.request("person search", "GET", "/persone/") is None:
                raise LoadError
            self.think()
        response = self.request(
            "search results",
            "GET",
            "/persone/",
            params={"q": query},
            headers={"HX-Request": "true"},
        )
        if response is None:
            raise LoadError
        links = sorted(set(re.findall(r'href="(/persone/\d+/)"', response.text)))
        if not links:
            return None
        self.think()
        path = self.rng.choice(links)
        if self.request("person", "GET", path) is None:
            raise LoadError
        return path

    def desk_visit(self) -> None:
        if self.rng.random() < 0.1:
            self.queue_visit()
            return
        if self.rng.random() < 0.08:
            # The organisation's referrals: received, then those waiting too long.
            self.request("referral inbox", "GET", "/sportello/invii/")
            self.think()
            self.request("referral inbox", "GET", "/sportello/invii/", params={"overdue": "on"})
            self.think()
            return
        if self.rng.random() < 0.15:
            self.request("daily register", "GET", "/sportello/registro/")
            self.think()
            return
        person = self.search_and_open()
        if person is None:
            self.think()
            return
        self.think()
        if self.rng.random() < 0.2:
            return  # only looked
        form_path = "/sportello" + person + "accessi/nuovo/"
        response = self.request("contact form", "GET", form_path)
        if response is None:
            raise LoadError
        form = post_form(parse_forms(response.text))
        fields = form["fields"]
        services = form["choices"].get("services", [])
        if not services:
            raise LoadError
        for value in self.rng.sample(services, k=min(len(services), self.rng.randint(1, 3))):
            fields.append(("services", value))
        if not dict(fields).get("desk"):
            desks = [d for d in form["choices"].get("desk", []) if d]
            fields = set_field(fields, "desk", desks[0])
        token = self.token("contact")
        fields = set_field(fields, "notes", f"Colloquio allo sportello. {token}")
        self.think()  # typing
        self.write("contact", token, "contact save", form_path, fields, "person")

    def social_visit(self) -> None:
        if self.rng.random() < 0.2:
            self.queue_visit()
        if self.rng.random() < 0.15:
            self.request("notifications", "GET", "/notifiche/")
            self.think()
        if self.rng.random() < 0.25:
            self.search_and_open()
            self.think()
        if self.rng.random() < 0.3:
            self.request("my cases", "GET", "/casi/miei/")
            self.think()
        if not self.plans:
            self.think()
            return
        plan_id, case_id = self.rng.choice(self.plans)
        if self.request("case", "GET", f"/casi/{case_id}/") is None:
            raise LoadError
        self.think()
        if self.rng.random() < 0.3:
            return
        form_path = f"/piani/{plan_id}/modifica/"
        response = self.request("plan form", "GET", form_path)
        if response is None:
            raise LoadError
        fields = post_form(parse_forms(response.text))["fields"]
        token = self.token("plan")
        fields = set_field(fields, "person_commitments", f"Partecipa al corso di italiano. {token}")
        values = dict(fields)
        if not values.get("obj-0-text"):
            fields = set_field(fields, "obj-0-dimension", "work")
            fields = set_field(fields, "obj-0-text", "Iscrizione al Centro per l'Impiego.")
        self.think()  # typing
        self.write("plan", token, "plan save", form_path, fields, "case")

    def coordinator_visit(self) -> None:
        if self.request("coordination", "GET", "/casi/coordinamento/") is None:
            raise LoadError
        self.think()
        if self.rng.random() < 0.4:
            self.queue_visit()
        if self.work["cases"]:
            case_id = self.rng.choice(self.work["cases"])
            if self.request("case", "GET", f"/casi/{case_id}/") is None:
                raise LoadError
            self.think()
        self.search_and_open()
        self.think()

    def token(self, kind: str) -> str:
        self.writes += 1
        return f"LOAD-{self.args.run_id}-{kind}-{self.number:02d}-{self.writes:05d}"

    def write(self, kind, token, page, path, fields, then_page) -> None:
        """POST a form; a redirect is the acknowledgement that the write is done."""
        self.stats.attempted[kind].add(token)
        response = self.request(page, "POST", path, data=fields, expect=(302,))
        if response is None:
            raise LoadError
        with self.stats.lock:
            self.stats.acknowledged[kind].add(token)
            self.stats.last_token[path] = token
        self.follow(response, then_page)
        self.think()


def run_operators(
    args,
    base: str,
    names: dict,
    work: dict,
    stats: Stats,
    signin_stats: Stats,
    duration: float,
    beside=(),
):
    """Start the operators, signing in spread over --ramp seconds; then the measured day
    of `duration` seconds; wait for its end. Returns the operators and the day's start.
    `beside`: functions of (day_start, stop_at) run in threads of their own meanwhile."""
    now = time.monotonic()
    day_start = now + args.ramp + 5
    stop_at = day_start + duration
    users = [(role, u) for role, us in names.items() for u in us]
    random.Random(args.seed).shuffle(users)
    operators = [
        Operator(
            number=i,
            role=role,
            username=username,
            base=base,
            stats=stats,
            signin_stats=signin_stats,
            work=work,
            args=args,
            start_at=now + args.ramp * i / max(1, len(users)),
            day_start=day_start,
            stop_at=stop_at,
        )
        for i, (role, username) in enumerate(users, start=1)
    ]
    for function in beside:
        threading.Thread(target=function, args=(day_start, stop_at), daemon=True).start()
    for op in operators:
        op.start()
    for op in operators:
        op.join(timeout=max(1.0, stop_at - time.monotonic() + 60))
    return operators, day_start


# --- what was written ----------------------------------------------------------------------


def found_tokens(run_id: str) -> dict[str, set[str]]:
    """The tokens of this run found in the database: contacts by their notes, plans by
    their drafts' rows (a save rewrites its draft: the row holds the last one; the audit
    events record that the commitments changed, never their text)."""
    from crocevia.desk.models import Contact
    from crocevia.plans.models import PlanVersion

    pattern = re.compile(rf"LOAD-{run_id}-\w+-\d+-\d+")

    def tokens(queryset, field):
        return {
            m
            for text in queryset.filter(**{f"{field}__contains": f"LOAD-{run_id}-"}).values_list(
                field, flat=True
            )
            for m in pattern.findall(text)
        }

    return {
        "contact": tokens(Contact.objects, "notes"),
        "plan": tokens(PlanVersion.objects, "person_commitments"),
    }


def plan_save_events(since: float) -> int:
    """The plan saves the load operators' audit trail records since `since` (epoch)."""
    import datetime

    from crocevia.audit.models import AuditEvent

    return AuditEvent.objects.filter(
        action__in=[AuditAction.PLAN_VERSION_SAVE, AuditAction.PLAN_VERSION_CREATE],
        actor__username__startswith=LOAD_PREFIX,
        at__gte=datetime.datetime.fromtimestamp(since, tz=datetime.UTC),
    ).count()


def write_report(stats: Stats, run_id: str) -> dict:
    from django.db import connection

    connection.close()  # a fresh connection (the database may have restarted meanwhile)
    found = found_tokens(run_id)
    report = {}
    for kind in ("contact", "plan"):
        acknowledged = stats.acknowledged[kind]
        attempted = stats.attempted[kind]
        if kind == "plan":
            # A draft's row holds its last save: that one must be there, and the audit
            # trail must record at least one save per acknowledged one.
            last = {t for path, t in stats.last_token.items() if t in acknowledged}
            events = plan_save_events(stats.started)
            lost = sorted(last - found[kind])
            if events < len(acknowledged):
                lost += [f"{len(acknowledged) - events} saves without an audit event"]
            report[kind] = {
                "attempted": len(attempted),
                "acknowledged": len(acknowledged),
                "found": len(acknowledged) - len(lost),
                "lost": lost,
                "unacknowledged_but_written": len((found[kind] & attempted) - acknowledged),
            }
            continue
        report[kind] = {
            "attempted": len(attempted),
            "acknowledged": len(acknowledged),
            "found": len(found[kind] & attempted),
            "lost": sorted(acknowledged - found[kind]),
            # Written, but the answer never reached the operator (a fault mid-request):
            # complete in the database, as the consistency check shows, not half-written.
            "unacknowledged_but_written": len((found[kind] & attempted) - acknowledged),
        }
    return report


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def print_table(stats: Stats, elapsed: float, *, throughput: bool = True) -> dict:
    pages = [p for p in PAGE_ORDER if p in stats.samples] + sorted(
        p for p in stats.samples if p not in PAGE_ORDER
    )
    total = sum(len(v) for v in stats.samples.values())
    errors = sum(stats.errors.values())
    print()
    print(f"{'page':<16} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    rows = {}
    for page in pages:
        v = stats.samples[page]
        row = {
            "requests": len(v),
            "p50": percentile(v, 50),
            "p95": percentile(v, 95),
            "p99": percentile(v, 99),
            "errors": stats.errors[page],
        }
        rows[page] = row
        flag = "" if row["p95"] <= TARGET_P95_MS or not throughput else "  > target"
        print(
            f"{page:<16} {row['requests']:>8} {row['p50']:>8.0f} {row['p95']:>8.0f} "
            f"{row['p99']:>8.0f} {row['errors']:>7}{flag}"
        )
    everything = [ms for v in stats.samples.values() for ms in v]
    print(
        f"{'all':<16} {total:>8} {percentile(everything, 50):>8.0f} "
        f"{percentile(everything, 95):>8.0f} {percentile(everything, 99):>8.0f} {errors:>7}"
    )
    if throughput:
        print(f"\nThroughput: {total / elapsed:.1f} requests/s over {elapsed:.0f} s.")
    if stats.error_kinds:
        print("Errors: " + ", ".join(f"{k} x{n}" for k, n in sorted(stats.error_kinds.items())))
    return {"pages": rows, "requests": total, "errors": errors, "seconds": elapsed}


def print_server_times(log_path: str) -> None:
    """Server-side request times from gunicorn's access log (its last field, %(D)s, in
    microseconds): what the workers spent, apart from any wait in front of them."""
    times = []
    for line in Path(log_path).read_text(errors="replace").splitlines():
        match = re.match(r'\S+ "(\S+) (\S+) [^"]*" (\d{3}) \S+ (\d+)$', line)
        if match:
            method, path, status, micros = match.groups()
            times.append((int(micros) / 1000, method, re.sub(r"\d+", "N", path), status))
    if not times:
        print("\nServer-side times: no access log lines found.")
        return
    values = [t[0] for t in times]
    print(
        f"\nServer-side times (gunicorn access log, {len(values)} requests): "
        f"p50 {percentile(values, 50):.0f} ms, p95 {percentile(values, 95):.0f} ms, "
        f"p99 {percentile(values, 99):.0f} ms. Slowest:"
    )
    for ms, method, path, status in sorted(times, reverse=True)[:10]:
        print(f"  {ms:7.0f} ms  {method} {path} {status}")


def print_writes(report: dict) -> None:
    print()
    for kind, r in report.items():
        label = {"contact": "contacts", "plan": "plan saves"}[kind]
        print(
            f"Writes, {label}: {r['acknowledged']} acknowledged, {r['found']} found in the "
            f"database, {len(r['lost'])} lost, {r['unacknowledged_but_written']} written "
            f"without acknowledgement ({r['attempted']} attempted)."
        )
        if r["lost"]:
            print("  lost: " + ", ".join(r["lost"][:20]))


def database_summary() -> str:
    from crocevia.audit.models import AuditEvent
    from crocevia.cases.models import Case
    from crocevia.desk.models import Contact
    from crocevia.people.models import Person
    from crocevia.plans.models import Plan

    counts = {
        "persons": Person.objects.count(),
        "contacts": Contact.objects.count(),
        "cases": Case.objects.count(),
        "plans": Plan.objects.count(),
        "audit events": AuditEvent.objects.count(),
    }
    return ", ".join(f"{n:,} {label}" for label, n in counts.items())


def load_average(values=None) -> str:
    return " ".join(f"{x:.1f}" for x in (values or os.getloadavg()))


def print_host(loads: dict) -> None:
    print(
        f"Host: {os.cpu_count()} CPUs; load average (1, 5, 15 min) "
        + ", ".join(f"{when} {load_average(v)}" for when, v in loads.items())
        + "."
    )


def print_kill(stats: Stats, fault: dict, day_start: float) -> dict:
    """The requests around the kill: those that failed in flight at the kill (started
    before it, answered after it), any other failure, and the service meanwhile."""
    if "killed" not in fault:
        print("\nKill: the day ended before the kill.")
        return {"killed": False, "failed_otherwise": 0}
    killed, killed_done = fault["killed"], fault["killed_done"]
    ready = fault.get("ready", killed)
    spans = list(stats.spans)
    in_flight = [s for s in spans if not s[3] and s[0] < killed_done and s[1] >= killed]
    other = [s for s in spans if not s[3] and s not in in_flight]
    down = [s for s in spans if s[0] >= killed_done and s[1] <= fault["restarted"]]
    restarting = [s for s in spans if fault["restarted"] <= s[0] < ready]
    after = [s for s in spans if s[0] >= ready]

    def ms(group):
        return [1000 * (end - start) for start, end, *_ in group]

    def at(t):
        return f"+{t - day_start:.1f} s"

    restart_error = fault.get("restart_error")
    print(
        f"\nKill: {fault['server']}, {fault['processes']} processes, SIGKILLed at "
        f"{at(killed)} of the day; started again at {at(fault['restarted'])}, answering at "
        f"{at(ready)}" + (f" (the restart failed: {restart_error})" if restart_error else "") + "."
    )
    print(
        f"  Failed in flight at the kill: {len(in_flight)}"
        + (
            " (" + ", ".join(f"{page} {kind}" for *_x, page, _ok, kind in in_flight) + ")"
            if in_flight
            else ""
        )
        + f"; failed otherwise: {len(other)}."
    )
    for start, end, page, _ok, kind in other[:20]:
        print(f"    {at(start)} → {at(end)} {page}: {kind}")
    for label, group in (
        ("while it was down", down),
        ("while it started again", restarting),
        ("after it answered again", after),
    ):
        values = ms(group)
        print(
            f"  Requests {label}: {len(values)}, "
            f"{sum(1 for s in group if not s[3])} failed, p50 {percentile(values, 50):.0f} ms, "
            f"p95 {percentile(values, 95):.0f} ms."
        )
    return {
        "killed": True,
        "server": fault["server"],
        "killed_at": killed - day_start,
        "restarted_at": fault["restarted"] - day_start,
        "ready_at": ready - day_start,
        "failed_in_flight": len(in_flight),
        "failed_otherwise": len(other),
        "requests_down": len(down),
        "p95_down": percentile(ms(down), 95),
        "requests_after": len(after),
        "p95_after": percentile(ms(after), 95),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    args.run_id = time.strftime("%H%M%S")
    prepare(args)
    names = ensure_load_users(args.operators)
    work = work_items(names, args.seed)
    print(f"Database: {database_summary()}.")
    print(
        f"{args.operators} operators ({', '.join(f'{len(v)} {k}' for k, v in names.items())}), "
        f"think time {args.think.replace(',', '–')} s, signing in over {args.ramp:.0f} s, then "
        f"{args.duration:.0f} s measured; {args.servers} x gunicorn {args.workers} workers x "
        f"{args.threads} threads, {args.job_workers} job workers; "
        f"{sum(len(p) for p in work['plans'].values())} plans shared out.",
        flush=True,
    )
    stats, signin = Stats(), Stats()
    loads, fault = {}, {}
    server = Servers(args) if args.servers > 1 else Server(args)
    workers = JobWorkers(args, args.job_workers if args.servers == 1 else 0)
    with server, workers:
        if args.servers > 1:
            print(server.describe() + ".", flush=True)
        loads["before"] = os.getloadavg()
        print(f"Load average before: {load_average(loads['before'])}.", flush=True)
        cpu_before = server.cpu_seconds(), time.process_time()
        beside = [sample_load(loads)]
        if args.kill_server_at is not None:
            beside.append(kill_one_server(server, args, fault))
        _operators, day_start = run_operators(
            args, server.base, names, work, stats, signin, args.duration, beside=beside
        )
        elapsed = time.monotonic() - day_start
        loads["end"] = os.getloadavg()
        if "killed" in fault:
            # The killed server may still be starting again: not stopped half-started.
            deadline = time.monotonic() + args.kill_for + 180
            while "ready" not in fault and time.monotonic() < deadline:
                time.sleep(0.5)
        cpu_server = server.cpu_seconds() - cpu_before[0]
        cpu_driver = time.process_time() - cpu_before[1]
        cpu_jobs = server.workers_cpu_seconds() if args.servers > 1 else workers.cpu_seconds()
        print(f"Load average after: {load_average(loads['end'])} (1, 5, 15 min).")
        requests_made = sum(len(v) for v in stats.samples.values()) + sum(
            len(v) for v in signin.samples.values()
        )
        print(
            f"CPU: gunicorn workers {cpu_server:.0f} s "
            f"({1000 * cpu_server / max(1, requests_made):.0f} ms a request, sign-in "
            f"included{', a killed server not counted' if fault else ''}), job workers "
            f"{cpu_jobs:.0f} s, this load driver {cpu_driver:.0f} s."
        )
        if fault and "ready" not in fault:
            print("(The killed server was still being started again at the end of the day.)")
    print("\nSign-in (before the measured day; PBKDF2 is slow on purpose):", end="")
    print_table(signin, args.ramp, throughput=False)
    print("\nThe day:", end="")
    figures = print_table(stats, elapsed)
    if args.access_log:
        for log in server.logs() if args.servers > 1 else [args.server_log]:
            print_server_times(log)
    kill = print_kill(stats, fault, day_start) if args.kill_server_at is not None else None
    writes = write_report(stats, args.run_id)
    print_writes(writes)
    slow = [p for p, r in figures["pages"].items() if not r["p95"] <= TARGET_P95_MS]
    lost = sum(len(r["lost"]) for r in writes.values())
    print_host(loads)
    if kill is None:
        verdict = not slow and figures["errors"] == 0 and lost == 0
        print(
            f"\nTargets (p95 <= {TARGET_P95_MS:.0f} ms on every page, 0 errors, 0 lost "
            "writes): " + ("met." if verdict else "NOT met.")
        )
    else:
        verdict = kill["killed"] and kill["failed_otherwise"] == 0 and lost == 0
        print(
            "\nTargets with a server killed (only requests in flight at the kill fail, 0 "
            "lost writes, the service continues through the others): "
            + ("met." if verdict else "NOT met.")
            + f" p95 over the day: {'every page within' if not slow else 'over'} "
            f"{TARGET_P95_MS:.0f} ms" + (f" ({', '.join(slow)})" if slow else "") + "."
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "figures": figures,
                    "writes": writes,
                    "kill": kill,
                    "host": {"cpus": os.cpu_count(), "load": loads},
                    "servers": args.servers,
                    "job_workers": args.job_workers,
                },
                indent=2,
            )
        )
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
