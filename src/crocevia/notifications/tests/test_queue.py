"""The job queue: a job enqueued in a transaction is a row of that transaction. Rolled
back, there is no job; committed, the job is in the database whatever happens to the
process that enqueued it, and a worker process (`crocevia db_worker`) sends it."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from django_tasks_db.models import DBTaskResult

from crocevia.notifications.models import EmailState, Notification, NotificationKind
from crocevia.notifications.services import notify

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def _notify(actors):
    return notify(
        recipients=[actors.cpi_consultant],
        kind=NotificationKind.REFERRAL_RECEIVED,
        url="/sportello/invii/",
        reference="n. 7",
        actor=actors.desk_operator,
    )


# What another connection gets when the tables are locked by an open transaction: the
# SQLite test database (shared-cache, in memory) locks tables where PostgreSQL shows the
# last committed state. Either way, nothing uncommitted.
LOCKED = "locked"


def _seen_from_another_connection():
    """(jobs, notifications) as another process would see them (a new connection)."""
    seen = {}

    def look():
        try:
            seen["value"] = (DBTaskResult.objects.count(), Notification.objects.count())
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            seen["value"] = LOCKED
        finally:
            connections.close_all()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return seen["value"]


def test_a_rolled_back_transaction_leaves_no_job_and_no_notification(with_email):
    with pytest.raises(Boom), transaction.atomic():
        _notify(with_email)
        assert DBTaskResult.objects.count() == 1  # enqueued inside the transaction...
        raise Boom
    assert DBTaskResult.objects.count() == 0  # ...and gone with it
    assert Notification.objects.count() == 0
    assert _seen_from_another_connection() == (0, 0)


def test_a_committed_job_outlives_the_process_that_enqueued_it(with_email):
    with transaction.atomic():
        _notify(with_email)
        # Not visible to a worker before the commit.
        assert _seen_from_another_connection() in {(0, 0), LOCKED}
    # The web process "dies" right after the commit: its connection goes away.
    connection.close()
    assert _seen_from_another_connection() == (1, 1)
    job = DBTaskResult.objects.get()
    assert job.status == "READY"
    assert job.task_path == "crocevia.notifications.tasks.send_emails"
    assert job.args_kwargs["args"] == [[Notification.objects.get().pk]]


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="a worker process needs a database it can reach: the SQLite test database is in memory",
)
def test_the_db_worker_process_sends_what_was_committed(with_email, smtp_server):
    with transaction.atomic():
        [notification] = _notify(with_email)
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "CROCEVIA_INSECURE_DEV_KEY": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crocevia",
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--no-reload",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    [message] = smtp_server.messages
    assert message["To"] == "consulente@example.org"
    notification.refresh_from_db()
    assert notification.email_state == EmailState.SENT
