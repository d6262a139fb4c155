"""A job whose worker died is run again, by another worker; three deaths and it fails."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crocevia.jobs import heartbeat
from crocevia.jobs.sweeper import Sweeper
from crocevia.jobs.testing import run_jobs
from crocevia.jobs.tests.tasks import record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _heartbeats(settings):
    settings.CROCEVIA_JOBS_HEARTBEAT_SECONDS = 5
    settings.CROCEVIA_JOBS_HEARTBEAT_TTL = 30
    settings.CROCEVIA_JOBS_MAX_ATTEMPTS = 3


def running(worker_ids, *, started_seconds_ago=60) -> DBTaskResult:
    """A job claimed by the last of `worker_ids` that long ago."""
    job = record.enqueue("x").db_result
    DBTaskResult.objects.filter(pk=job.pk).update(
        status="RUNNING",
        worker_ids=worker_ids,
        started_at=timezone.now() - datetime.timedelta(seconds=started_seconds_ago),
    )
    return DBTaskResult.objects.get(pk=job.pk)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_job_whose_worker_has_no_heartbeat_goes_back_to_the_queue_and_runs_again():
    job = running(["killed"])
    clock = Clock()
    sweeper = Sweeper(clock=clock)
    # First seen without a heartbeat: wait one more beat (a cache emptied is written again).
    assert sweeper.sweep().requeued == []
    clock.now += 10
    assert sweeper.sweep().requeued == [job.pk]
    job.refresh_from_db()
    assert job.status == "READY" and job.started_at is None
    assert job.worker_ids == ["killed"]  # kept: one attempt made
    assert run_jobs(worker_id="second") == 1
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL" and job.worker_ids == ["killed", "second"]


def test_a_job_whose_worker_is_alive_is_left_running():
    job = running(["busy"], started_seconds_ago=3600)  # a long import, say
    heartbeat.beat("busy")
    sweeper = Sweeper(grace=0)
    assert sweeper.sweep().requeued == []
    job.refresh_from_db()
    assert job.status == "RUNNING"


def test_a_job_started_less_than_a_heartbeat_ttl_ago_is_left_running():
    job = running(["just-started"], started_seconds_ago=5)
    assert Sweeper(grace=0).sweep().requeued == []
    job.refresh_from_db()
    assert job.status == "RUNNING"


def test_a_heartbeat_back_within_the_grace_saves_the_job():
    job = running(["blip"])
    clock = Clock()
    sweeper = Sweeper(clock=clock)
    sweeper.sweep()  # the cache was emptied: no heartbeat for a moment
    heartbeat.beat("blip")
    clock.now += 10
    assert sweeper.sweep().requeued == []
    job.refresh_from_db()
    assert job.status == "RUNNING"


def test_after_three_attempts_the_job_fails_saying_its_workers_died():
    job = running(["w1", "w2", "w3"])
    swept = Sweeper(grace=0).sweep()
    assert swept.failed == [job.pk] and swept.requeued == []
    job.refresh_from_db()
    assert job.status == "FAILED" and job.finished_at is not None
    assert job.exception_class_path == "crocevia.jobs.sweeper.WorkerDied"
    assert "stopped without finishing it" in job.traceback
    assert "w1, w2, w3" in job.traceback
    [error] = job.task_result.errors
    assert error.exception_class_path == "crocevia.jobs.sweeper.WorkerDied"


def test_the_second_attempt_is_still_put_back():
    job = running(["w1", "w2"])
    assert Sweeper(grace=0).sweep().requeued == [job.pk]


def test_a_job_claimed_again_between_two_sweeps_is_not_touched():
    job = running(["dead"])
    clock = Clock()
    sweeper = Sweeper(clock=clock)
    sweeper.sweep()
    # Another sweeper put it back and a live worker claimed it meanwhile.
    DBTaskResult.objects.filter(pk=job.pk).update(
        worker_ids=["dead", "alive"], started_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    heartbeat.beat("alive")
    clock.now += 10
    assert sweeper.sweep().requeued == []
    job.refresh_from_db()
    assert job.status == "RUNNING" and job.worker_ids == ["dead", "alive"]


def test_two_sweepers_put_a_job_back_once():
    job = running(["dead"])
    first, second = Sweeper(grace=0), Sweeper(grace=0)
    assert first.sweep().requeued == [job.pk]
    assert second.sweep().requeued == []


def test_a_worker_stopping_cleanly_removes_its_heartbeat():
    heartbeat.beat("leaving")
    assert heartbeat.alive(["leaving", "never"]) == {"leaving"}
    heartbeat.forget("leaving")
    assert heartbeat.alive(["leaving"]) == set()
