"""The jobs in the admin: state, times, attempts, the error of a failed one; the periodic
runs; read-only."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crocevia.jobs.models import PeriodicRun
from crocevia.jobs.testing import run_jobs
from crocevia.jobs.tests.tasks import fail, record

pytestmark = pytest.mark.django_db


def test_an_administrator_sees_the_jobs_their_state_and_errors(actors, login):
    done = record.enqueue("done").db_result
    failed = fail.enqueue().db_result
    run_jobs(worker_id="host-1-abc")
    client = login(actors.admin)
    page = client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "RuntimeError: the test job failed" in text
    assert "host-1-abc" in text
    url = reverse("admin:django_tasks_database_dbtaskresult_change", args=[failed.pk])
    detail = client.get(url)
    assert detail.status_code == 200 and "the test job failed" in detail.content.decode()
    assert DBTaskResult.objects.get(pk=done.pk).status == "SUCCESSFUL"


def test_an_administrator_sees_the_periodic_runs_and_their_jobs(actors, login):
    job = record.enqueue("x").db_result
    PeriodicRun.objects.create(
        name="audit-seal", slot=timezone.now(), task_path="x", worker_id="w", job_id=job.pk
    )
    PeriodicRun.objects.create(
        name="audit-seal",
        slot=timezone.now() - datetime.timedelta(minutes=1),
        task_path="x",
        worker_id="w",
    )
    page = login(actors.admin).get(reverse("admin:jobs_periodicrun_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("admin:django_tasks_database_dbtaskresult_change", args=[job.pk]) in text


def test_jobs_cannot_be_added_changed_or_deleted_in_the_admin(actors, login):
    job = record.enqueue("x").db_result
    client = login(actors.admin)
    assert client.get(reverse("admin:django_tasks_database_dbtaskresult_add")).status_code == 403
    assert client.get(reverse("admin:jobs_periodicrun_add")).status_code == 403
    client.post(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        {"action": "delete_selected", "_selected_action": [job.pk], "post": "yes"},
    )
    assert DBTaskResult.objects.filter(pk=job.pk).exists()


def test_operators_who_are_not_staff_get_no_jobs_admin(actors, login):
    page = login(actors.social_worker).get(
        reverse("admin:django_tasks_database_dbtaskresult_changelist")
    )
    assert page.status_code == 302 and "/admin/login/" in page["Location"]
