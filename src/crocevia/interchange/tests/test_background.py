"""Large files on the job queue: checked and imported by the worker, followed from any
server, stopped through the shared cache, run again after a kill without importing twice.

The worker is the database backend's own, run in this process (helpers.run_worker); the
queue's task is enqueued once the request's transaction commits (captured here).
"""

import codecs
import io
import tempfile

import openpyxl
import pytest
from asgiref.local import Local
from django.core.cache import caches, close_caches
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.functional import empty
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.interchange import importjobs, services, tasks
from crocevia.interchange.kinds import get_kind
from crocevia.interchange.models import ImportJob
from crocevia.network.models import Desk
from crocevia.people.models import Person

from . import bombs
from .helpers import it, run_worker, stored_names

pytestmark = pytest.mark.django_db

GOOD_DESKS = (
    "code,organisation_code,name,level,comune_istat,opening_hours\n"
    "SPI-CPI,CPI-PI,Sportello CPI,1,050026,\n"
)
OTHER_ZONE_DESKS = GOOD_DESKS + "SPI-LI2,COM-LI,Sportello 2,1,049009,\n"
PERSONS = "external_id,family_name,given_names,sex,birth_date,citizenship\n" + "".join(
    f"B{i},Rossi,Maria {i},F,1980-03-15,IT\n" for i in range(30)
)


@pytest.fixture(autouse=True)
def _every_file_is_large(settings):
    settings.CROCEVIA_IMPORT_BACKGROUND_BYTES = 10


@pytest.fixture
def worker(monkeypatch):
    """worker() -> how many jobs the worker ran (all those ready now)."""
    return lambda: run_worker(monkeypatch)


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """post(client, url, data) as a request does: what it enqueues after its commit."""

    def _post(client, url, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return _post


def upload(post, client, kind, content, name="file.csv"):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content)}
    return post(client, reverse("interchange:index"), data)


def confirm(post, client, job):
    return post(client, reverse("interchange:job_confirm", args=[job.pk]))


def progress_part(client, job):
    return client.get(
        reverse("interchange:job_progress", args=[job.pk]), headers={"HX-Request": "true"}
    )


def only_job():
    return ImportJob.objects.get()


def another_server():
    """What a second app server (or a worker on another host) starts from: none of this
    process's cache connections or storage objects, only what they share."""
    close_caches()
    caches._connections = Local()
    storages._storages = {}
    default_storage._wrapped = empty


@pytest.fixture
def shared_storage(settings, tmp_path):
    """The storage two "servers" of one test share: the default, the database's."""
    assert settings.STORAGES["default"]["BACKEND"] == "crocevia.core.storage.DatabaseStorage"


@pytest.fixture
def during_the_import(monkeypatch):
    """during_the_import(action): call action(job_id) once, as the first chunk's progress
    is recorded (the chunk is written, the transaction still open); at_start: as the run
    records its start instead (before the import's transaction)."""

    def _install(action, at_start=False):
        original = importjobs.Progress.update
        done = []

        def update(self, **values):
            original(self, **values)
            if bool(values.get("rows")) != at_start and not done:
                done.append(True)
                action(self.job_id)

        monkeypatch.setattr(importjobs.Progress, "update", update)

    return _install


def test_a_large_file_is_checked_and_imported_by_the_worker_not_the_request(
    actors, login, post, worker
):
    client = login(actors.coordinator)
    response = upload(post, client, "desks", GOOD_DESKS.encode())
    job = only_job()
    assert job.background and job.status == ImportJob.Status.CHECKING
    assert DBTaskResult.objects.get(pk=job.task_id).status == "READY"
    # No worker yet: the page says the file waits for it, and the job is not failed.
    part = progress_part(client, job).content.decode()
    assert it("Waiting for the worker…") in part

    assert worker() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALID
    assert not Desk.objects.filter(code="SPI-CPI").exists()
    assert progress_part(client, job)["HX-Redirect"] == response.url

    confirm(post, client, job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING
    assert not Desk.objects.filter(code="SPI-CPI").exists()
    assert worker() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Desk.objects.get(code="SPI-CPI").organisation == actors.cpi
    assert DBTaskResult.objects.get(pk=job.task_id).return_value == ImportJob.Status.DONE
    assert stored_names() == []
    assert importjobs.read_progress(job.pk) is None


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_the_task_is_queued_after_the_request_commits(actors, login, worker):
    """No test transaction around it: the request's on_commit enqueues the task, the
    worker's run commits the import."""
    client = login(actors.coordinator)
    response = upload(lambda c, url, data: c.post(url, data), client, "desks", GOOD_DESKS.encode())
    job = only_job()
    assert DBTaskResult.objects.get(pk=job.task_id).status == "READY"
    assert worker() == 1
    client.post(reverse("interchange:job_confirm", args=[job.pk]))
    assert worker() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Desk.objects.filter(code="SPI-CPI").exists()
    assert it("Imported") in client.get(response.url).content.decode()


def test_a_job_started_on_one_server_is_followed_from_another(
    actors, login, post, worker, shared_storage
):
    """Progress through the shared cache, files through the shared storage: the second
    server knows nothing of the first but what they share."""
    client = login(actors.coordinator)
    upload(post, client, "desks", OTHER_ZONE_DESKS.encode())
    invalid = only_job()
    upload(post, client, "desks", GOOD_DESKS.replace("Sportello CPI", "Sportello Città").encode())
    job = ImportJob.objects.exclude(pk=invalid.pk).get()
    another_server()
    worker()  # on a third host
    another_server()
    # The error report of one and the names as read of the other, from the storage.
    page = client.get(reverse("interchange:job", args=[invalid.pk])).content.decode()
    assert it("This organisation is outside your zone.") in page
    download = client.get(reverse("interchange:job_errors", args=[invalid.pk]))
    assert "COM-LI" in b"".join(download.streaming_content).decode("utf-8-sig")
    page = client.get(reverse("interchange:job", args=[job.pk])).content.decode()
    assert "<strong>Sportello Città</strong>" in page

    confirm(post, client, job)
    job.refresh_from_db()
    # A worker on its host took the task and has read a chunk: this server shows it.
    DBTaskResult.objects.filter(pk=job.task_id).update(status="RUNNING")
    importjobs.Progress(job.pk, "import").update(rows=12000, fraction=0.4)
    another_server()
    page = client.get(reverse("interchange:job", args=[job.pk])).content.decode()
    assert '<progress class="import-progress" max="100" value="40"' in page
    assert "12000" in page
    assert it("Waiting for the worker…") not in page

    DBTaskResult.objects.filter(pk=job.task_id).update(status="READY")
    worker()
    another_server()
    assert progress_part(client, job).status_code == 204
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Desk.objects.get(code="SPI-CPI").name == "Sportello Città"


def test_a_running_import_is_stopped_from_any_server_through_the_cache(
    actors, login, post, worker, during_the_import
):
    client = login(actors.admin)
    upload(post, client, "persons", PERSONS.encode())
    worker()
    job = only_job()
    confirm(post, client, job)

    def user_clicks_stop(job_id):
        another_server()
        response = client.post(reverse("interchange:job_cancel", args=[job_id]))
        assert response.status_code == 302
        assert importjobs.stop_requested(job_id)

    during_the_import(user_clicks_stop)
    worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert not Person.objects.exists()
    assert stored_names() == []
    assert not importjobs.stop_requested(job.pk)  # the flag goes with the phase


def test_an_import_stopped_while_waiting_for_the_worker_never_starts(actors, login, post, worker):
    client = login(actors.admin)
    upload(post, client, "persons", PERSONS.encode())
    worker()
    job = only_job()
    confirm(post, client, job)
    client.post(reverse("interchange:job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING  # until a worker takes it
    worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert not Person.objects.exists()


def test_a_stop_asked_during_the_check_does_not_stop_the_import(actors, login, post, worker):
    client = login(actors.admin)
    upload(post, client, "persons", PERSONS.encode())
    job = only_job()
    worker()
    importjobs.request_stop(job.pk)  # too late: the check had ended
    confirm(post, client, job)
    worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE


def imported_state():
    return (
        Person.objects.count(),
        AuditEvent.objects.filter(object_type="people.person").count(),
        AuditEvent.objects.filter(action=AuditAction.IMPORT_COMPLETE).count(),
    )


def test_an_import_run_again_after_its_worker_was_killed_imports_once(
    actors, login, post, worker, during_the_import
):
    """The worker dies with the first chunk written: its transaction goes with it. The
    queue runs the task again (its sweeper puts a dead worker's task back): the phase runs
    from the stored upload and imports every row once; a further run finds the job
    settled and does nothing."""
    client = login(actors.admin)
    upload(post, client, "persons", PERSONS.encode())
    worker()
    job = only_job()
    confirm(post, client, job)
    job.refresh_from_db()

    def killed(job_id):
        raise KeyboardInterrupt  # as good as SIGKILL for the database: no commit

    during_the_import(killed)
    with pytest.raises(KeyboardInterrupt):
        tasks.run_import_job.call(job.pk, False, "it")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING
    assert imported_state() == (0, 0, 0)
    assert importjobs.read_progress(job.pk)["rows"] == 30  # the dead run's last figures
    assert importjobs.has_upload(job)

    during_the_import(lambda job_id: None)
    assert worker() == 1  # the queue's task, run again
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.created_count, job.updated_count, job.unchanged_count) == (30, 0, 0)
    once = imported_state()
    assert once == (30, 30, 1)

    # Killed after its commit, the task is run once more: the job is settled already.
    DBTaskResult.objects.filter(pk=job.task_id).update(status="READY")
    assert worker() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.created_count, job.unchanged_count) == (30, 0)
    assert imported_state() == once


def test_the_checks_task_run_again_after_the_confirmation_does_nothing(actors, login, post, worker):
    client = login(actors.admin)
    upload(post, client, "persons", PERSONS.encode())
    worker()
    job = only_job()
    check_task = job.task_id
    events = AuditEvent.objects.count()
    assert tasks.run_import_job.call(job.pk, True, "it") == ImportJob.Status.VALID
    confirm(post, client, job)
    DBTaskResult.objects.filter(pk=check_task).update(status="READY")
    assert worker() == 2  # the check's again (nothing), then the import
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert DBTaskResult.objects.get(pk=check_task).return_value == ImportJob.Status.IMPORTING
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT_CHECK).count() == 1
    assert AuditEvent.objects.count() > events


def test_of_two_runs_at_once_the_second_to_settle_rolls_back(
    actors, login, post, worker, during_the_import
):
    """Another run settled the job while this one imported (a worker wrongly taken for
    dead, its task run again): this one's rows go, the other's outcome stays."""
    client = login(actors.admin)
    upload(post, client, "persons", PERSONS.encode())
    worker()
    job = only_job()
    confirm(post, client, job)

    def settled_elsewhere(job_id):
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.DONE, created_count=30)

    during_the_import(settled_elsewhere, at_start=True)
    worker()
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 30)
    assert not Person.objects.exists()  # (the other run's would be there)
    assert not AuditEvent.objects.filter(action=AuditAction.IMPORT_COMPLETE).exists()


def test_nothing_is_written_on_the_servers_disk(
    actors, login, post, worker, settings, tmp_path, monkeypatch
):
    """VAR_DIR stays empty (the conftest checks it after every interchange test), and the
    temporary copy the engine reads goes when the phase ends."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    client = login(actors.coordinator)
    upload(post, client, "desks", OTHER_ZONE_DESKS.encode())
    upload(post, client, "desks", GOOD_DESKS.encode())
    worker()
    job = ImportJob.objects.get(status=ImportJob.Status.VALID)
    confirm(post, client, job)
    worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert list(temporary.iterdir()) == []
    assert list(settings.VAR_DIR.iterdir()) == []
    assert [name.rsplit("/", 1)[1] for name in stored_names()] == ["errors.csv"]


def test_the_hourly_expiry_is_a_task(actors, login, post, worker):
    import datetime

    from django.utils import timezone

    client = login(actors.coordinator)
    upload(post, client, "desks", GOOD_DESKS.encode())
    worker()
    job = only_job()
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    result = tasks.expire_import_jobs.enqueue()
    worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert DBTaskResult.objects.get(pk=result.id).return_value == 1
    assert stored_names() == []


def test_a_job_a_dead_process_left_running_fails_on_expiry(actors, worker):
    """Nobody looked at it again: the expiry fails it and drops its upload."""
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    job = ImportJob.objects.create(
        kind="desks",
        user=actors.coordinator,
        status=ImportJob.Status.CHECKING,
        file_name="d.csv",
        started_at=timezone.now() - datetime.timedelta(days=2),
        files_kept=True,
    )
    default_storage.save(f"imports/{job.pk}/upload", ContentFile(b"x"))
    importjobs.import_jobs_expire()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert stored_names() == []


def _xlsx_bytes(text: str) -> bytes:
    book = openpyxl.Workbook()
    for line in text.splitlines():
        book.active.append(line.split(","))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def test_a_large_xlsx_is_checked_and_imported_by_the_worker(actors, login, post, worker):
    client = login(actors.coordinator)
    upload(post, client, "desks", _xlsx_bytes(GOOD_DESKS), "sportelli.xlsx")
    job = only_job()
    worker()
    job.refresh_from_db()
    assert (job.status, job.file_error) == (ImportJob.Status.VALID, "")
    confirm(post, client, job)
    worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Desk.objects.filter(code="SPI-CPI").exists()


def test_a_bomb_checked_by_the_worker_is_refused_in_italian_and_writes_nothing(
    actors, login, post, worker, settings, tmp_path
):
    settings.CROCEVIA_IMPORT_MAX_ROWS = 1000
    path = bombs.many_rows(tmp_path / "righe.xlsx", 50_000, get_kind("desks").codes)
    client = login(actors.coordinator)
    upload(post, client, "desks", path.read_bytes(), "sportelli.xlsx")
    job = only_job()
    worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.INVALID
    with translation.override("it"):
        expected = gettext("The file has more than %(max)s rows: split it into smaller files.")
    assert job.file_error == expected % {"max": "1.000"}
    assert job.rows == 0
    assert not importjobs.has_upload(job)


def test_a_unicode_text_file_checked_by_the_worker_shows_how_it_was_read(
    actors, login, post, worker
):
    # Excel's "Testo Unicode": UTF-16 with its BOM, tab separated, CRLF.
    text = GOOD_DESKS.replace(",", "\t").replace("Sportello CPI", "Sportello Città Nuova")
    data = codecs.BOM_UTF16_LE + text.replace("\n", "\r\n").encode("utf-16-le")
    client = login(actors.coordinator)
    response = upload(post, client, "desks", data, "sportelli.txt")
    job = only_job()
    worker()
    job.refresh_from_db()
    assert (job.status, job.file_error) == (ImportJob.Status.VALID, "")
    assert (job.encoding, job.delimiter) == ("utf-16", "\t")
    page = client.get(response.url).content.decode()
    assert "Codifica: UTF-16 (Testo Unicode) · Separatore: tabulazione" in page
    assert "<strong>Sportello Città Nuova</strong>" in page
    confirm(post, client, job)
    worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Desk.objects.get(code="SPI-CPI").name == "Sportello Città Nuova"


def test_small_files_still_run_in_their_request(actors, login, settings):
    settings.CROCEVIA_IMPORT_BACKGROUND_BYTES = 1024 * 1024
    client = login(actors.coordinator)
    client.post(
        reverse("interchange:index"),
        {"kind": "desks", "file": SimpleUploadedFile("d.csv", GOOD_DESKS.encode())},
    )
    job = only_job()
    assert (job.background, job.task_id, job.status) == (False, "", ImportJob.Status.VALID)
    assert not DBTaskResult.objects.exists()
    services.import_job_confirm(job=job, user=actors.coordinator)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
