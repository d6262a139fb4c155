#!/usr/bin/env python
"""Import speed of the interchange format: 50,000 persons and 200,000 contacts.

Not a test: it prints rows per second, peak memory and the re-import time (nothing to
change) beside the targets of issue 4: at least 10,000 contact rows/s on PostgreSQL,
peak memory under 500 MB, re-import at least as fast.

    .venv/bin/python bench/import.py [--persons 50000] [--contacts 200000]
                                     [--backends postgres,sqlite] [--url URL]

Files are generated in the format (a territory, organisations, desks, persons with valid
codici fiscali and households, contacts with one to three services) into a temporary
directory. Each backend runs in its own process on a fresh database (PostgreSQL:
crocevia_import_bench, dropped and created; SQLite: a new file), migrated, then loaded
through `run_import` exactly as `crocevia import` does; peak memory is that process's
maximum resident set size (resource.getrusage), for the whole run of that backend.

Where the time goes on PostgreSQL (200,000 new contacts, 2026-12-04, a slow moment of
the host): the server is the bottleneck, busy 25 of the 27 s of the pass with COPY into
contacts, their services and the audit events (15 s) and the foreign-key checks (10 s),
while this process reads, checks and builds the next chunk (13 s of CPU); then 1.7 s of
ANALYZE. The host line printed first (two reference workloads) tells how fast the
machine was: compare figures only with it.
"""

import argparse
import csv
import datetime
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crocevia_import_bench"
TARGET_CONTACTS_PER_S = 10_000
TARGET_PEAK_MB = 500
CF_MONTHS = "ABCDEHLMPRST"
COMUNI = [("050026", "Pisa"), ("050008", "Cascina"), ("050031", "San Giuliano Terme")]
SERVICES = ["information", "job_search", "cv_writing", "permit_kit", "legal_advice", "mediation"]
FAMILY = ["Rossi", "Bianchi", "Diallo", "El Amrani", "Hoxha", "Popescu", "Khan", "Ferrari"]
GIVEN = ["Mario", "Anna", "Awa", "Youssef", "Elira", "Ion", "Amir", "Giulia", "Fatima"]


def _cf(family, given, birth, sex):
    from stdnum.it import codicefiscale

    def letters(name):
        name = "".join(c for c in name.upper() if c.isalpha())
        consonants = [c for c in name if c not in "AEIOU"]
        vowels = [c for c in name if c in "AEIOU"]
        return "".join(consonants + vowels + ["X"] * 3)[:3]

    day = birth.day + (40 if sex == "F" else 0)
    body = (
        f"{letters(family)}{letters(given)}{birth.year % 100:02d}"
        f"{CF_MONTHS[birth.month - 1]}{day:02d}G702"
    )
    return body + codicefiscale.calc_check_digit(body)


def generate(directory: Path, persons: int, contacts: int) -> dict[str, Path]:
    rnd = random.Random(4)
    paths = {k: directory / f"{k}.csv" for k in ("territory", "organisations", "desks")}
    paths["persons"] = directory / "persons.csv"
    paths["contacts"] = directory / "contacts.csv"

    def write(kind, header, rows):
        with open(paths[kind], "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)

    write(
        "territory",
        ["zone_code", "zone_name", "comune_istat", "comune_name", "province", "population"],
        [["ZPI", "Zona Pisana", code, name, "PI", 1000] for code, name in COMUNI],
    )
    write(
        "organisations",
        ["code", "name", "kind", "zone_code", "comune_istat"],
        [["SDS-PI", "SdS Pisana", "sds", "ZPI", "050026"], ["CPI-PI", "CPI", "cpi", "ZPI", ""]],
    )
    write(
        "desks",
        ["code", "organisation_code", "name", "level", "comune_istat", "opening_hours"],
        [[f"D{i}", "SDS-PI", f"Sportello {i}", 1, COMUNI[i % 3][0], ""] for i in range(10)],
    )
    header = [
        "external_id", "family_name", "given_names", "sex", "birth_date", "citizenship",
        "birth_country", "codice_fiscale", "comune_istat", "household_id", "languages",
        "needs_mediator", "permit_type", "permit_expires_on",
    ]  # fmt: skip
    rows = []
    for i in range(persons):
        sex = rnd.choice("MF")
        family, given = rnd.choice(FAMILY), rnd.choice(GIVEN)
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rnd.randrange(20000))
        rows.append(
            [
                f"P{i:06d}",
                family,
                given,
                sex,
                birth.isoformat(),
                rnd.choice(["IT", "SN", "MA"]),
                "",
                _cf(family, given, birth, sex),
                rnd.choice(COMUNI)[0],
                f"H{i // 3:06d}" if i % 2 else "",
                rnd.choice(["", "it;en", "ar;fr"]),
                rnd.choice(["true", "false"]),
                "",
                "",
            ]  # fmt: skip
        )
    write("persons", header, rows)
    rows = []
    start = datetime.date(2020, 1, 1)
    for i in range(contacts):
        referred = rnd.random() < 0.1
        rows.append(
            [
                f"C{i:07d}",
                f"P{rnd.randrange(persons):06d}",
                f"D{rnd.randrange(10)}",
                (start + datetime.timedelta(days=rnd.randrange(1500))).isoformat(),
                ";".join(rnd.sample(SERVICES, rnd.randint(1, 3))),
                "referred" if referred else "solved",
                "CPI-PI" if referred else "",
            ]
        )
    write(
        "contacts",
        ["external_id", "person_external_id", "desk_code", "date", "services", "outcome",
         "referred_to"],
        rows,
    )  # fmt: skip
    return paths


def _fresh_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def host_speed() -> str:
    """Two reference workloads, to compare figures taken on different hosts: the same
    machine kind has run them from 1.2 to over 3 times slower from one day to the next."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    python_s = time.perf_counter() - started
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # connected before the clock starts
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            cursor.execute("SELECT sum(i) FROM generate_series(1, 10000000) AS i")
            server = f", PostgreSQL sum of 10 M integers {time.perf_counter() - started:.2f} s"
        else:
            server = ""
    return f"host speed: Python loop of 10 M additions {python_s:.2f} s{server}"


def run_backend(directory: Path) -> None:
    """In a child process whose DATABASE_URL names a fresh database: migrate, load, report."""
    import resource

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crocevia.settings")
    os.environ.setdefault("CROCEVIA_INSECURE_DEV_KEY", "1")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from crocevia.audit import chain
    from crocevia.interchange.engine import run_import

    call_command("migrate", verbosity=0)
    print(f"  backend: {connection.vendor}; {host_speed()}", flush=True)
    for attempt in ("first load", "re-load"):
        for kind in ("territory", "organisations", "desks", "persons", "contacts"):
            started = time.perf_counter()
            report = run_import(kind, directory / f"{kind}.csv")
            seconds = time.perf_counter() - started
            assert report.ok, (kind, report.file_error, report.errors[:5])
            c = report.counts
            # The audit events the import wrote are sealed into the hash chain after its
            # commit, by a thread on PostgreSQL: wait for it, so that the next step is not
            # measured while competing with it, and show its time apart.
            sealing = time.perf_counter()
            chain.wait_for_sealing()
            sealed = time.perf_counter() - sealing
            if kind in ("persons", "contacts"):
                print(
                    f"  {attempt:<10} {kind:<9} {report.rows:>7} rows {seconds:7.1f} s "
                    f"{report.rows / seconds:>8,.0f} rows/s  (created {c.created}, "
                    f"updated {c.updated}, unchanged {c.unchanged}); "
                    f"then {sealed:.1f} s more of audit sealing",
                    flush=True,
                )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory: {peak_mb:.0f} MB (target < {TARGET_PEAK_MB} MB)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL database (recreated)")
    parser.add_argument("--child", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_backend(Path(args.child))
        return
    with tempfile.TemporaryDirectory(prefix="crocevia-import-bench-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        generate(directory, args.persons, args.contacts)
        print(f"files generated in {time.perf_counter() - started:.1f} s in {directory}")
        for backend in args.backends.split(","):
            env = dict(os.environ)
            if backend == "postgres":
                _fresh_postgres(args.url)
                env["DATABASE_URL"] = args.url
            else:
                env["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
            print(f"{backend}:", flush=True)
            subprocess.run(
                [sys.executable, __file__, "--child", str(directory)], env=env, check=True
            )
    print(f"target: >= {TARGET_CONTACTS_PER_S:,} contact rows/s on PostgreSQL")


if __name__ == "__main__":
    main()
