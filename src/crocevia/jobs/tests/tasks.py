"""Jobs of the tests (the worker processes of the tests import them from here)."""

import datetime
import time
from pathlib import Path

from django.db import transaction
from django_tasks import task

from crocevia.jobs.models import PeriodicRun

ROWS_NAME = "test-rows"


@task()
def record(label: str = "") -> str:
    return label


@task()
def fail() -> None:
    raise RuntimeError("the test job failed")


@task()
def write_rows(marker_dir: str, rows: int) -> str:
    """Write `rows` rows in one transaction: half of them, then a marker file
    (started-N, the Nth attempt), then wait for the file "go", then the other half.
    Idempotent: rows already there are not written again."""
    marker = Path(marker_dir)
    first = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)

    def row(i):
        return PeriodicRun(
            name=ROWS_NAME, slot=first + datetime.timedelta(minutes=i), task_path="test"
        )

    with transaction.atomic():
        if PeriodicRun.objects.filter(name=ROWS_NAME).exists():
            return "already written"
        PeriodicRun.objects.bulk_create([row(i) for i in range(rows // 2)])
        attempt = len(list(marker.glob("started-*"))) + 1
        (marker / f"started-{attempt}").touch()
        deadline = time.monotonic() + 60
        while not (marker / "go").exists():
            if time.monotonic() > deadline:
                raise TimeoutError("no go-ahead from the test")
            time.sleep(0.05)
        PeriodicRun.objects.bulk_create([row(i) for i in range(rows // 2, rows)])
    return "written"
