"""The periodic jobs are enqueued by the workers: once per slot, whichever worker ticks."""

import datetime
import logging

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from crocevia.jobs.models import PeriodicRun
from crocevia.jobs.scheduler import Scheduler
from crocevia.jobs.testing import run_jobs

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
RECORD = "crocevia.jobs.tests.tasks.record"


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def periodic(settings):
    settings.TIME_ZONE = "Europe/Rome"
    settings.CROCEVIA_PERIODIC_JOBS = {
        "often": {"task": RECORD, "every": 60, "kwargs": {"label": "often"}},
        "morning": {"task": RECORD, "daily_at": "07:00", "kwargs": {"label": "morning"}},
    }


def jobs(label: str):
    return DBTaskResult.objects.filter(task_path=RECORD, args_kwargs__kwargs__label=label)


def test_two_workers_ticking_enqueue_each_slot_once(periodic):
    first, second = Scheduler("worker-1"), Scheduler("worker-2")
    now = at("2026-12-05 09:00:10")
    assert sorted(first.tick(now)) == ["morning", "often"]
    assert second.tick(now) == []
    assert second.tick(now + datetime.timedelta(seconds=30)) == []
    assert jobs("often").count() == 1 and jobs("morning").count() == 1
    run = PeriodicRun.objects.get(name="morning")
    assert run.slot == at("2026-12-05 06:00") and run.worker_id == "worker-1"
    assert str(run.job_id) == str(jobs("morning").get().id)

    run_jobs()  # the jobs ran: the next minute's slot is due, the morning's is not
    later = now + datetime.timedelta(minutes=1)
    assert second.tick(later) == ["often"]
    assert first.tick(later) == []
    assert jobs("often").count() == 2 and jobs("morning").count() == 1


def test_a_restarted_worker_does_not_enqueue_a_slot_again(periodic):
    now = at("2026-12-05 09:00:10")
    Scheduler("before").tick(now)
    assert Scheduler("after").tick(now + datetime.timedelta(seconds=20)) == []
    assert DBTaskResult.objects.count() == 2


def test_a_run_missed_while_no_worker_ran_is_made_up_once(periodic):
    # The worker was down at 07:00 (06:00 UTC) and comes back at 10:00: one run now.
    scheduler = Scheduler("late")
    assert "morning" in scheduler.tick(at("2026-12-05 09:00"))
    assert "morning" not in scheduler.tick(at("2026-12-05 12:00"))
    run_jobs()
    assert "morning" in scheduler.tick(at("2026-12-06 06:00"))
    assert jobs("morning").count() == 2


def test_a_job_still_waiting_is_not_enqueued_again(periodic):
    scheduler = Scheduler("busy")
    now = at("2026-12-05 09:00:10")
    scheduler.tick(now)
    # The worker is busy with a long job: the next slots find the job still waiting.
    scheduler.tick(now + datetime.timedelta(minutes=1))
    scheduler.tick(now + datetime.timedelta(minutes=2))
    assert jobs("often").count() == 1
    runs = PeriodicRun.objects.filter(name="often").order_by("slot")
    assert [r.job_id is not None for r in runs] == [True, False, False]


def test_a_periodic_job_whose_task_is_missing_is_logged_and_the_others_run(settings, caplog):
    settings.CROCEVIA_PERIODIC_JOBS = {
        "gone": {"task": "crocevia.jobs.tests.tasks.no_such_task", "every": 60},
        "often": {"task": RECORD, "every": 60, "kwargs": {"label": "often"}},
    }
    scheduler = Scheduler("w")
    with caplog.at_level(logging.ERROR, logger="crocevia.jobs.scheduler"):
        assert scheduler.tick(at("2026-12-05 09:00:10")) == ["often"]
        scheduler.tick(at("2026-12-05 09:00:20"))  # said once per slot
    assert [r.getMessage() for r in caplog.records if "gone" in r.getMessage()] == [
        "periodic job gone: task crocevia.jobs.tests.tasks.no_such_task not found: "
        'Module "crocevia.jobs.tests.tasks" does not define a "no_such_task" '
        "attribute/class"
    ]
    assert not PeriodicRun.objects.filter(name="gone").exists()


@pytest.mark.parametrize("name", sorted(django_settings.CROCEVIA_PERIODIC_JOBS))
def test_every_periodic_job_of_the_settings_names_a_task(name):
    path = django_settings.CROCEVIA_PERIODIC_JOBS[name]["task"]
    assert isinstance(import_string(path), Task)
