"""Backup and restore give back the same records (issue 7; README "Backup and restore").

Each test works on scratch databases of its own, next to the test database and never
touching it: a source filled by `crocevia demo` (persons, households, consents,
contacts, cases with teams and plans, programmes, the audit trail), then

- the database backup: `pg_dump` / `pg_restore` on PostgreSQL, the online backup API of
  `sqlite3` on SQLite, restored into an empty database, gives the same rows in every
  table (ids included: a restore is the same database), an intact audit chain, and the
  files: an agreement's signed document, kept in the database (the default file
  storage), downloads byte for byte the same from the restored database;
- the interchange: every kind exported with `crocevia export`, imported with
  `crocevia import` into an empty, migrated database, exports again byte for byte the
  same files.

The commands run in child processes, as an administrator would run them.
"""

import csv
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

KINDS = [
    "territory",
    "organisations",
    "desks",
    "persons",
    "contacts",
    "benefit_applications",
    "cases",
]
IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# `demo --persons=40` registers 40 persons, the three pairs of possible duplicates of the
# duplicates queue (demo/duplicates.py) and two children in their first 1,000 days
# (demo/lep.py): 48.
DEMO_PERSONS = 48


# --- scratch databases -------------------------------------------------------------------


def _pg_server() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": str(db.get("PORT") or 5432),
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or "",
    }


def _pg_url(name: str) -> str:
    s = _pg_server()
    auth = s["user"] + (f":{s['password']}" if s["password"] else "")
    return f"postgres://{auth}@{s['host']}:{s['port']}/{name}"


def _pg_admin(sql: str) -> None:
    import psycopg

    s = _pg_server()
    with psycopg.connect(
        host=s["host"],
        port=s["port"],
        user=s["user"],
        password=s["password"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)


class Scratch:
    """Empty databases named after this run, dropped at the end."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.tag = uuid.uuid4().hex[:8]
        self.names: list[str] = []

    def new(self, label: str) -> str:
        """The URL of a new, empty database."""
        if IS_POSTGRES:
            name = f"crocevia_backup_{self.tag}_{label}"
            _pg_admin(f'CREATE DATABASE "{name}"')
            self.names.append(name)
            return _pg_url(name)
        return f"sqlite:///{self.directory / f'{label}.sqlite3'}"

    def drop_all(self) -> None:
        for name in self.names:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(url: str, var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(
        DATABASE_URL=url,
        CROCEVIA_INSECURE_DEV_KEY="1",
        CROCEVIA_VAR_DIR=str(var_dir),
        # The audit witness of this database only, never one of the machine's.
        CROCEVIA_AUDIT_WITNESS=str(var_dir / "audit-witness.jsonl"),
        DJANGO_SETTINGS_MODULE="crocevia.settings",
    )
    return env


def crocevia(url: str, var_dir: Path, *commands: list[str]) -> None:
    """Run `crocevia` management commands, in order, in one child process (one start-up
    of Django for all of them; each is exactly the command an administrator types)."""
    script = (
        "import sys, json, django\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "for args in json.loads(sys.argv[1]):\n"
        "    call_command(*args)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps([list(c) for c in commands])],
        env=_env(url, var_dir),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def python(url: str, var_dir: Path, code: str, **env) -> str:
    """Run `code` with Django set up on the database `url`, in a child process; its
    standard output."""
    result = subprocess.run(
        [sys.executable, "-c", "import django\ndjango.setup()\n" + code],
        env={**_env(url, var_dir), **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


# --- the files: an agreement's signed document, in the database ---------------------------

# 2.5 MiB: three chunks of the database storage (1 MiB each).
DOCUMENT = b"%PDF-1.4\n" + hashlib.shake_256(b"crocevia").digest(5 * 512 * 1024 - 9)

ATTACH_DOCUMENT = """
from django.core.files.base import ContentFile
from crocevia.network.models import Agreement
agreement = Agreement.objects.order_by("pk").first()
agreement.document_name = "convenzione firmata.pdf"
agreement.document.save("convenzione firmata.pdf", ContentFile(open(PATH, "rb").read()))
print(agreement.pk)
"""

# The download an administrator makes on the agreement's page (network:agreement_document).
DOWNLOAD_DOCUMENT = """
import hashlib
from django.test import Client
from django.urls import reverse
from crocevia.accounts.models import User
from crocevia.network.models import Agreement
agreement = Agreement.objects.get(document_name="convenzione firmata.pdf")
client = Client()
client.force_login(User.objects.filter(is_superuser=True).order_by("pk").first())
response = client.get(reverse("network:agreement_document", args=[agreement.pk]))
assert response.status_code == 200, response.status_code
print(hashlib.sha256(b"".join(response.streaming_content)).hexdigest())
"""


def _document_downloads_the_same(url: str, var_dir: Path) -> None:
    digest = python(url, var_dir, DOWNLOAD_DOCUMENT, ALLOWED_HOSTS="testserver").strip()
    assert digest == hashlib.sha256(DOCUMENT).hexdigest()


# --- canonical contents --------------------------------------------------------------------


def _sortable(row) -> str:
    return repr(row)


def contents(url: str) -> dict[str, list]:
    """Every row of every table (ids included), sorted; on PostgreSQL also where every
    sequence stands, so that the restored database hands out the same next ids."""
    tables: dict[str, list] = {}
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND (name NOT LIKE 'sqlite_%' OR name = 'sqlite_sequence')"
                )
            ]
            for name in names:
                rows = conn.execute(f'SELECT * FROM "{name}"').fetchall()  # noqa: S608
                tables[name] = sorted(rows, key=_sortable)
        finally:
            conn.close()
        return tables
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        for name in names:
            rows = conn.execute(f'SELECT * FROM "{name}"').fetchall()  # noqa: S608
            tables[name] = sorted(rows, key=_sortable)
        tables["(sequences)"] = sorted(
            conn.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            ).fetchall(),
            key=_sortable,
        )
    return tables


# --- the source ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    holder = Scratch(tmp_path_factory.mktemp("backup"))
    yield holder
    holder.drop_all()


@pytest.fixture(scope="module")
def source(scratch):
    """A migrated database with a small demo and one income-support application (the
    demo has none), so that every kind of the interchange has rows, and a signed
    document attached to an agreement (in the database's file storage)."""
    url = scratch.new("source")
    var_dir = scratch.directory / "var"
    crocevia(url, var_dir, ["migrate", "--no-input", "-v0"], ["demo", "--persons=40", "--cases=6"])
    persons = scratch.directory / "source-persons.csv"
    crocevia(url, var_dir, ["export", "persons", "--output", str(persons)])
    with open(persons, encoding="utf-8") as f:
        member = next(r for r in csv.DictReader(f) if r["household_id"])
    application = scratch.directory / "application.csv"
    application.write_text(
        "external_id,household_id,applicant_external_id,comune_istat,measure,submitted_on,"
        "status,outcome_on\n"
        f"ADI-0001,{member['household_id']},{member['external_id']},{member['comune_istat']},"
        "ADI,2026-03-02,accepted,2026-04-10\n",
        encoding="utf-8",
    )
    crocevia(url, var_dir, ["import", "benefit_applications", str(application)])
    document = scratch.directory / "convenzione.pdf"
    document.write_bytes(DOCUMENT)
    python(url, var_dir, f"PATH = {str(document)!r}\n" + ATTACH_DOCUMENT)
    return url


def _export_all(url: str, var_dir: Path, directory: Path) -> dict[str, bytes]:
    directory.mkdir(parents=True, exist_ok=True)
    crocevia(
        url,
        var_dir,
        *[["export", kind, "--output", str(directory / f"{kind}.csv")] for kind in KINDS],
    )
    return {kind: (directory / f"{kind}.csv").read_bytes() for kind in KINDS}


def _audit_chain_intact(url: str, var_dir: Path) -> None:
    crocevia(url, var_dir, ["audit", "verify"])


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.skipif(not IS_POSTGRES, reason="pg_dump/pg_restore: PostgreSQL only")
@pytest.mark.skipif(not shutil.which("pg_dump"), reason="needs pg_dump and pg_restore")
def test_pg_dump_and_pg_restore_give_back_the_same_rows_and_files(source, scratch):
    dump = scratch.directory / "crocevia.dump"
    target = scratch.new("restored")
    server = _pg_server()
    env = dict(os.environ, PGPASSWORD=server["password"])
    common = ["-h", server["host"], "-p", server["port"], "-U", server["user"]]
    source_name, target_name = source.rsplit("/", 1)[1], target.rsplit("/", 1)[1]
    # The commands of the README, custom format, restored into a new empty database.
    subprocess.run(
        ["pg_dump", *common, "--format=custom", f"--file={dump}", source_name],
        check=True,
        env=env,
        timeout=300,
    )
    subprocess.run(
        ["pg_restore", *common, "--no-owner", "--exit-on-error", f"--dbname={target_name}", dump],
        check=True,
        env=env,
        timeout=300,
    )

    before, after = contents(source), contents(target)
    assert len(before["people_person"]) == DEMO_PERSONS
    assert before["audit_auditevent"], "the demo writes an audit trail"
    assert len(before["core_storedfilechunk"]) == 3, "the document is in the database"
    assert before == after
    _audit_chain_intact(target, scratch.directory / "var")
    # On another server: an empty VAR_DIR, nothing but the restored database.
    _document_downloads_the_same(target, scratch.directory / "var-of-another-server")


@pytest.mark.skipif(IS_POSTGRES, reason="the sqlite3 backup API: SQLite only")
def test_sqlite_online_backup_gives_back_the_same_rows_and_files(source, scratch):
    target = scratch.new("restored")
    src = sqlite3.connect(source.removeprefix("sqlite:///"))
    dst = sqlite3.connect(target.removeprefix("sqlite:///"))
    try:
        # Consistent while the application writes (what `sqlite3 FILE ".backup COPY"` does).
        src.backup(dst)
    finally:
        src.close()
        dst.close()

    before, after = contents(source), contents(target)
    assert len(before["people_person"]) == DEMO_PERSONS
    assert before["audit_auditevent"], "the demo writes an audit trail"
    assert len(before["core_storedfilechunk"]) == 3, "the document is in the database"
    assert before == after
    _audit_chain_intact(target, scratch.directory / "var")
    # On another server: an empty VAR_DIR, nothing but the restored database.
    _document_downloads_the_same(target, scratch.directory / "var-of-another-server")


def test_interchange_export_import_into_an_empty_database_exports_the_same_files(source, scratch):
    var_dir = scratch.directory / "var"
    exported = _export_all(source, var_dir, scratch.directory / "from-source")
    rows = {kind: data.count(b"\n") - 1 for kind, data in exported.items()}
    assert all(rows.values()), f"every kind has rows to carry: {rows}"
    assert rows["persons"] == DEMO_PERSONS

    # An empty database: migrated, with no user at all (the interchange carries registers,
    # not operators; no import needs one: the cases' case managers are to be appointed).
    target = scratch.new("imported")
    crocevia(
        target,
        var_dir,
        ["migrate", "--no-input", "-v0"],
        *[
            ["import", kind, str(scratch.directory / "from-source" / f"{kind}.csv")]
            for kind in KINDS
        ],  # fmt: skip
    )
    again = _export_all(target, var_dir, scratch.directory / "from-imported")
    for kind in KINDS:
        assert again[kind] == exported[kind], f"{kind}: the round trip changed the records"
