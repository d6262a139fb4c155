"""`crocevia worker` as a process: killed with SIGKILL in the middle of a job, the job is
run again by another worker, to the end, once in effect, and nothing of the killed run
is left half written."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from crocevia.jobs.tests.tasks import ROWS_NAME, write_rows

pytestmark = pytest.mark.django_db(transaction=True)

SRC = Path(__file__).resolve().parents[3]
TASK = "crocevia.jobs.tests.tasks.write_rows"
ROWS = 10


class Database:
    """The test's database as the worker processes see it: on PostgreSQL the test
    database itself; on SQLite (in memory in the tests) a copy in a file."""

    def __init__(self, tmp_path: Path):
        self.file = None
        if connection.vendor == "sqlite":
            self.file = tmp_path / "jobs.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(self.file)
            connection.connection.backup(target)
            target.close()
            self.url = f"sqlite:///{self.file}"
        else:
            db = connection.settings_dict
            password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
            host = db["HOST"] or "127.0.0.1"
            self.url = f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"

    def one(self, sql: str):
        if self.file is not None:
            with sqlite3.connect(self.file) as plain:
                return plain.execute(sql).fetchone()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()

    def job(self) -> tuple[str, list]:
        status, worker_ids = self.one(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "  # noqa: S608 - the test's constant
            f"WHERE task_path = '{TASK}'"
        )
        return status, worker_ids if isinstance(worker_ids, list) else json.loads(worker_ids)

    def rows(self) -> int:
        sql = f"SELECT count(*) FROM jobs_periodicrun WHERE name = '{ROWS_NAME}'"  # noqa: S608
        return self.one(sql)[0]


def start_worker(db: Database, tmp_path: Path, worker_id: str) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}},
        "DATABASE_URL": db.url,
        "CROCEVIA_INSECURE_DEV_KEY": "1",
        "CROCEVIA_VAR_DIR": str(tmp_path / "var"),
        "CROCEVIA_JOBS_HEARTBEAT_SECONDS": "0.5",
        "CROCEVIA_JOBS_HEARTBEAT_TTL": "2",
        "PYTHONPATH": str(SRC),
    }
    log = open(tmp_path / f"{worker_id}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crocevia",
            "worker",
            "--no-reload",
            "--no-startup-delay",
            "--no-scheduler",
            "--interval",
            "0.2",
            "--worker-id",
            worker_id,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, timeout: float, what: str, tmp_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(p.read_text() for p in sorted(tmp_path.glob("*.log")))
            pytest.fail(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.1)


def test_a_job_killed_with_its_worker_is_run_again_by_another_and_written_once(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    write_rows.enqueue(str(markers), ROWS)
    db = Database(tmp_path)

    first = start_worker(db, tmp_path, "first")
    try:
        wait_for(lambda: (markers / "started-1").exists(), 30, "the first run", tmp_path)
        # Half the rows are written, in the job's open transaction: kill the worker now.
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert db.job() == ("RUNNING", ["first"])  # nobody recorded how it ended
    assert db.rows() == 0  # nothing half written

    (markers / "go").touch()
    second = start_worker(db, tmp_path, "second")
    try:
        wait_for(lambda: db.job()[0] == "SUCCESSFUL", 30, "the second run", tmp_path)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    assert db.job() == ("SUCCESSFUL", ["first", "second"])
    assert db.rows() == ROWS
    assert sorted(p.name for p in markers.glob("started-*")) == ["started-1", "started-2"]
    assert "put back in the queue (attempt 2 of 3)" in (tmp_path / "second.log").read_text()
