"""The import/export page: permissions, check → report → confirm, jobs, files, exports."""

import csv
import datetime
import io
import time

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.desk.models import Contact
from crocevia.interchange import importjobs
from crocevia.interchange.models import ImportJob
from crocevia.network.models import Desk
from crocevia.people.models import Person
from crocevia.testing import fetch_prepared

from .helpers import it, stored_names

pytestmark = pytest.mark.django_db

DESK_HEADER = "code,organisation_code,name,level,comune_istat,opening_hours"
GOOD_DESKS = DESK_HEADER + "\nSPI-CPI,CPI-PI,Sportello CPI,1,050026,\n"
OTHER_ZONE_DESKS = (
    DESK_HEADER + "\nSPI-CPI,CPI-PI,Sportello CPI,1,050026,\nSPI-LI2,COM-LI,Sportello 2,1,049009,\n"
)
PERSON_HEADER = (
    "external_id,family_name,given_names,sex,birth_date,citizenship,birth_country,"
    "codice_fiscale,comune_istat,household_id,languages,needs_mediator,permit_type,"
    "permit_expires_on"
)


def upload(client, kind, text, name="file.csv", **extra):
    data = {"kind": kind, "file": SimpleUploadedFile(name, text.encode("utf-8")), **extra}
    return client.post(reverse("interchange:index"), data)


def only_job():
    return ImportJob.objects.get()


# --- permissions ----------------------------------------------------------------------------


def test_anonymous_user_is_sent_to_login(client):
    for url in (reverse("interchange:index"), reverse("interchange:export", args=["persons"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# Monitoring officers export pseudonymised data only: test_monitoring_exports.py.
@pytest.mark.parametrize("who", ["desk_operator", "social_worker", "cpi_consultant", "outsider"])
def test_operators_who_do_not_coordinate_get_403(actors, login, who):
    client = login(getattr(actors, who))
    assert client.get(reverse("interchange:index")).status_code == 403
    assert upload(client, "desks", GOOD_DESKS).status_code == 403
    assert client.get(reverse("interchange:export", args=["persons"])).status_code == 403
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("who", ["coordinator", "admin"])
def test_coordinator_and_administrator_see_the_page(actors, login, who):
    response = login(getattr(actors, who)).get(reverse("interchange:index"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert reverse("interchange:export", args=["cases"]) + "?formato=xlsx" in content


def test_link_and_export_buttons_only_for_those_who_may_export(actors, login):
    index = reverse("interchange:index")
    export = reverse("interchange:export", args=["persons"])
    content = login(actors.coordinator).get(reverse("people:search")).content.decode()
    assert f'href="{index}"' in content and export in content
    content = login(actors.desk_operator).get(reverse("people:search")).content.decode()
    assert f'href="{index}"' not in content and export not in content


@pytest.mark.parametrize(
    ("url_name", "kind"),
    [
        ("people:search", "persons"),
        ("desk:register", "contacts"),
        ("cases:coordination", "cases"),
        ("cases:followup_zone_cases", "cases"),
    ],
)
def test_lists_carry_their_export_buttons(actors, login, url_name, kind):
    content = login(actors.coordinator).get(reverse(url_name)).content.decode()
    assert reverse("interchange:export", args=[kind]) + "?formato=csv" in content


# --- check, report, confirm -----------------------------------------------------------------


def test_check_writes_nothing_and_confirm_writes(actors, login):
    client = login(actors.coordinator)
    response = upload(client, "desks", GOOD_DESKS)
    job = only_job()
    assert response.status_code == 302
    assert response.url == reverse("interchange:job", args=[job.pk])
    assert job.status == ImportJob.Status.VALID
    assert (job.rows, job.created_count) == (1, 1)
    assert not Desk.objects.filter(code="SPI-CPI").exists()
    page = client.get(response.url).content.decode()
    assert it("Confirm and import") in page
    assert 'id="import-counts"' in page

    response = client.post(reverse("interchange:job_confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.finished_at is not None
    desk = Desk.objects.get(code="SPI-CPI")
    assert desk.organisation == actors.cpi
    assert AuditEvent.objects.filter(
        actor=actors.coordinator, object_type="network.desk", object_id=str(desk.pk)
    ).exists()
    actions = set(
        AuditEvent.objects.filter(object_type="interchange.importjob").values_list(
            "action", flat=True
        )
    )
    assert actions == {AuditAction.IMPORT_CHECK, AuditAction.IMPORT_COMPLETE}
    assert it("Imported") in client.get(response.url).content.decode()
    # The upload is deleted once the job has ended.
    assert not importjobs.has_upload(job)
    # A second confirm does nothing.
    client.post(reverse("interchange:job_confirm", args=[job.pk]))
    assert Desk.objects.filter(code="SPI-CPI").count() == 1


def xlsx_upload(text: str, name: str) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(text)):
        book.active.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return SimpleUploadedFile(name, stream.getvalue())


# The page stores every upload as "upload": the format is told by the content, whatever
# name (or none) the browser sends, and the name never becomes a path.
@pytest.mark.parametrize("name", ["sportelli.xlsx", "sportelli.csv", "../../sportelli"])
def test_an_xlsx_uploaded_through_the_page_is_checked_and_imported(actors, login, name):
    client = login(actors.coordinator)
    response = client.post(
        reverse("interchange:index"),
        {"kind": "desks", "file": xlsx_upload(GOOD_DESKS, name)},
    )
    job = only_job()
    assert not job.background
    assert (job.status, job.file_error) == (ImportJob.Status.VALID, "")
    assert (job.rows, job.created_count) == (1, 1)
    assert default_storage.exists(f"imports/{job.pk}/upload")
    assert not Desk.objects.filter(code="SPI-CPI").exists()
    client.post(reverse("interchange:job_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Desk.objects.get(code="SPI-CPI").organisation == actors.cpi
    assert it("Imported") in client.get(response.url).content.decode()


def test_a_write_the_database_refuses_tells_the_user_what_to_do(actors, login, monkeypatch):
    """Checked fine, refused by the database when confirmed (a record the file refers to
    removed meanwhile): the job fails with a message the user can act on, not "internal
    error", and nothing is written."""
    from django.db import IntegrityError

    client = login(actors.coordinator)
    upload(client, "desks", GOOD_DESKS)
    job = only_job()
    assert job.status == ImportJob.Status.VALID

    def refused(*args, **kwargs):
        raise IntegrityError('insert violates foreign key constraint "desk_org_fk"')

    monkeypatch.setattr(importjobs, "run_import", refused)
    client.post(reverse("interchange:job_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.message == it(
        "Another user changed or removed data this file refers to while it was being "
        "written: nothing was written. Check the file again."
    )
    assert (
        escape(job.message)
        in client.get(reverse("interchange:job", args=[job.pk])).content.decode()
    )
    assert not Desk.objects.filter(code="SPI-CPI").exists()


def test_row_of_another_zone_is_refused_and_nothing_is_written(actors, login):
    client = login(actors.coordinator)
    response = upload(client, "desks", OTHER_ZONE_DESKS)
    job = only_job()
    assert job.status == ImportJob.Status.INVALID
    assert job.error_count == 1
    page = client.get(response.url).content.decode()
    assert it("This organisation is outside your zone.") in page
    assert it("Confirm and import") not in page
    assert not Desk.objects.filter(code__in=["SPI-CPI", "SPI-LI2"]).exists()
    # Nothing to confirm.
    client.post(reverse("interchange:job_confirm", args=[job.pk]))
    assert not Desk.objects.filter(code="SPI-CPI").exists()
    assert not importjobs.has_upload(job)


def test_error_table_shows_200_rows_and_the_csv_holds_them_all(actors, login):
    lines = [PERSON_HEADER] + [f"E{i},Rossi,Mario,X,1980-03-15,IT,,,,,,,," for i in range(250)]
    client = login(actors.admin)
    response = upload(client, "persons", "\n".join(lines) + "\n")
    job = only_job()
    assert (job.status, job.error_count) == (ImportJob.Status.INVALID, 250)
    page = client.get(response.url).content.decode()
    body = page.split('id="import-errors"')[1].split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 200
    assert "250" in page
    download = client.get(reverse("interchange:job_errors", args=[job.pk]))
    assert download.status_code == 200
    assert 'filename="errori-persone-' in download["Content-Disposition"]
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 251
    assert rows[1][:3] == ["2", "sex", "X"]
    assert not Person.objects.exists()


def test_file_that_is_not_a_table_gets_a_clear_message(actors, login):
    client = login(actors.admin)
    response = client.post(
        reverse("interchange:index"),
        {"kind": "persons", "file": SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n\0\0")},
    )
    job = only_job()
    assert job.status == ImportJob.Status.INVALID and job.file_error
    page = client.get(response.url).content.decode()
    assert it("The file cannot be read, so nothing was written.") in page


def test_missing_column_is_a_file_error(actors, login):
    client = login(actors.admin)
    upload(client, "desks", "code,name\nX,Y\n")
    assert "organisation_code" in only_job().file_error


def test_too_large_or_empty_file_is_refused_by_the_form(actors, login, settings):
    settings.CROCEVIA_IMPORT_MAX_BYTES = 10
    client = login(actors.admin)
    response = upload(client, "desks", GOOD_DESKS)
    assert response.status_code == 400
    assert not ImportJob.objects.exists()
    response = client.post(
        reverse("interchange:index"), {"kind": "desks", "file": SimpleUploadedFile("e.csv", b"")}
    )
    assert response.status_code == 400


def test_cancel_deletes_the_upload_and_writes_nothing(actors, login):
    client = login(actors.coordinator)
    upload(client, "desks", GOOD_DESKS)
    job = only_job()
    assert importjobs.has_upload(job)
    client.post(reverse("interchange:job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert not importjobs.has_upload(job)
    assert not job.files_kept
    client.post(reverse("interchange:job_confirm", args=[job.pk]))
    assert not Desk.objects.filter(code="SPI-CPI").exists()


def test_uploads_are_kept_under_the_jobs_own_names_in_the_storage(actors, login, settings):
    """Whatever the browser calls the file, the storage holds it as imports/<id>/upload,
    and the sample of names the check read beside it, until the job ends."""
    client = login(actors.coordinator)
    upload(client, "desks", GOOD_DESKS.replace("Sportello CPI", "Sportello Città"), "../x.csv")
    job = only_job()
    _, names = default_storage.listdir(f"imports/{job.pk}")
    assert sorted(names) == ["sample.json", "upload"]
    assert importjobs.check_sample(job) == ["Sportello Città"]
    assert job.files_kept


def test_another_user_cannot_see_confirm_cancel_or_download_a_job(actors, login, django_user_model):
    client = login(actors.coordinator)
    upload(client, "desks", OTHER_ZONE_DESKS)
    invalid = only_job()
    upload(client, "desks", GOOD_DESKS)
    valid = ImportJob.objects.get(status=ImportJob.Status.VALID)
    other = login(actors.admin)
    assert other.get(reverse("interchange:job", args=[valid.pk])).status_code == 404
    assert other.get(reverse("interchange:job_errors", args=[invalid.pk])).status_code == 404
    assert other.post(reverse("interchange:job_confirm", args=[valid.pk])).status_code == 404
    assert other.post(reverse("interchange:job_cancel", args=[valid.pk])).status_code == 404
    valid.refresh_from_db()
    assert valid.status == ImportJob.Status.VALID
    assert not Desk.objects.filter(code="SPI-CPI").exists()
    # A desk operator cannot reach it either.
    operator = login(actors.desk_operator)
    assert operator.get(reverse("interchange:job_errors", args=[invalid.pk])).status_code == 403


def test_recent_imports_are_listed_for_their_user_only(actors, login):
    client = login(actors.coordinator)
    upload(client, "desks", GOOD_DESKS, name="sportelli-cpi.csv")
    assert "sportelli-cpi.csv" in client.get(reverse("interchange:index")).content.decode()
    assert (
        "sportelli-cpi.csv"
        not in login(actors.admin).get(reverse("interchange:index")).content.decode()
    )


# --- running jobs ---------------------------------------------------------------------------
# Jobs run by the worker, end to end: test_background.py.


def running_job(user, *, status=ImportJob.Status.IMPORTING, started_ago=0, **fields):
    """A job in the middle of a phase, its upload in the storage."""
    job = ImportJob.objects.create(
        kind="persons",
        user=user,
        status=status,
        file_name="big.csv",
        background=True,
        started_at=timezone.now() - datetime.timedelta(seconds=started_ago),
        files_kept=True,
        **fields,
    )
    default_storage.save(f"imports/{job.pk}/upload", ContentFile(b"x"))
    return job


def poll(client, job):
    return client.get(
        reverse("interchange:job_progress", args=[job.pk]), headers={"HX-Request": "true"}
    )


def test_running_job_shows_its_progress(actors, login):
    job = running_job(actors.coordinator)
    importjobs.Progress(job.pk, "import").update(rows=12000, fraction=0.4)
    client = login(actors.coordinator)
    page = client.get(reverse("interchange:job", args=[job.pk])).content.decode()
    assert '<progress class="import-progress" max="100" value="40"' in page
    assert "12000" in page
    partial = poll(client, job)
    assert partial.status_code == 200
    assert 'hx-trigger="every 1s"' in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_job_whose_process_died_shows_as_failed(actors, login, settings):
    """A phase run in its request (no task) whose heartbeat stopped: the process died, and
    its transaction with it."""
    settings.CROCEVIA_IMPORT_STALE_SECONDS = 60
    job = running_job(actors.coordinator, status=ImportJob.Status.CHECKING, started_ago=600)
    progress = importjobs.Progress(job.pk, "check")
    progress.update(rows=2000, fraction=0.1)
    progress.state["beat"] = time.time() - 600
    importjobs._cache().set(importjobs._progress_key(job.pk), progress.state)
    client = login(actors.coordinator)
    response = poll(client, job)
    assert response["HX-Redirect"] == reverse("interchange:job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.message == it(
        "The import stopped without finishing (the server was restarted?). "
        "Nothing was written: upload the file again."
    )
    assert not importjobs.has_upload(job)
    assert importjobs.read_progress(job.pk) is None
    page = client.get(reverse("interchange:job", args=[job.pk])).content.decode()
    assert it("Upload a corrected file") in page


def queued(job, status="READY"):
    """Give the job a task of the queue in that state."""
    from django_tasks_db.models import DBTaskResult

    from crocevia.interchange import tasks

    result = tasks.run_import_job.enqueue(job.pk, job.status == "checking", "it")
    DBTaskResult.objects.filter(pk=result.id).update(status=status)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.refresh_from_db()
    return job


def test_a_job_waiting_for_a_worker_says_so_and_is_not_failed(actors, login, settings):
    settings.CROCEVIA_IMPORT_STALE_SECONDS = 60
    job = queued(running_job(actors.coordinator, started_ago=3600))
    client = login(actors.coordinator)
    partial = poll(client, job).content.decode()
    assert it("Waiting for the worker…") in partial
    assert 'id="job-progress-waiting"' in partial
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING
    assert importjobs.has_upload(job)


def test_a_job_whose_task_runs_is_not_failed_without_a_heartbeat(actors, login, settings):
    """Whether the worker running it died is the queue's to tell (it runs the task again)."""
    settings.CROCEVIA_IMPORT_STALE_SECONDS = 60
    job = queued(running_job(actors.coordinator, started_ago=3600), status="RUNNING")
    partial = poll(login(actors.coordinator), job).content.decode()
    assert it("Importing…") in partial
    assert it("Waiting for the worker…") not in partial
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING


@pytest.mark.parametrize("task", ["FAILED", "SUCCESSFUL", "gone"])
def test_a_job_whose_task_ended_without_settling_it_shows_as_failed(actors, login, task):
    """The queue gave up on the task (killed too often, or stopped by force), or no longer
    has it: the job will never settle by itself. At once, not after a delay."""
    job = running_job(actors.coordinator)
    if task == "gone":
        ImportJob.objects.filter(pk=job.pk).update(task_id="00000000-0000-0000-0000-000000000000")
    else:
        queued(job, status=task)
    response = poll(login(actors.coordinator), job)
    assert response.status_code == 204
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert not importjobs.has_upload(job)
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT_FAIL, object_id=str(job.pk)).exists()


# --- exports --------------------------------------------------------------------------------


@pytest.fixture
def two_zones(actors):
    from crocevia.testing import PersonFactory

    pisa_person = PersonFactory(external_id="P-PI")
    livorno_person = PersonFactory(external_id="P-LI")
    for external_id, person, desk in (
        ("C-PI", pisa_person, actors.desk),
        ("C-LI", livorno_person, actors.other_desk),
    ):
        Contact.objects.create(
            external_id=external_id, person=person, desk=desk, date=timezone.localdate()
        )
    return actors


def test_coordinator_exports_only_their_zone(two_zones, login):
    client = login(two_zones.coordinator)
    response = client.get(reverse("interchange:export", args=["persons"]) + "?formato=csv")
    assert response.status_code == 200
    assert response.streaming
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="persone-{today}.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("external_id,family_name,")
    assert "P-PI" in text and "P-LI" not in text
    text = b"".join(
        client.get(reverse("interchange:export", args=["contacts"])).streaming_content
    ).decode()
    assert "C-PI" in text and "C-LI" not in text
    event = AuditEvent.objects.get(
        action=AuditAction.DATA_EXPORT, actor=two_zones.coordinator, object_id="persons"
    )
    assert event.kind == AuditEvent.Kind.ACCESS
    assert event.changes["zones"] == [two_zones.zone.pk]


def test_administrator_exports_everything_as_xlsx(two_zones, login):
    client = login(two_zones.admin)
    asked = client.get(reverse("interchange:export", args=["contacts"]) + "?formato=xlsx")
    response = fetch_prepared(client, asked)
    assert "accessi-" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.getvalue()))
    keys = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert keys == ["C-LI", "C-PI"]


def test_pseudonymised_export_needs_the_key(two_zones, login, monkeypatch):
    client = login(two_zones.admin)
    url = reverse("interchange:export", args=["persons"]) + "?formato=csv&pseudonimi=1"
    monkeypatch.delenv("CROCEVIA_PSEUDONYM_KEY", raising=False)
    assert "pseudonimi=1" not in client.get(reverse("interchange:index")).content.decode()
    assert client.get(url).status_code == 400
    monkeypatch.setenv("CROCEVIA_PSEUDONYM_KEY", "test-key")
    assert "pseudonimi=1" in client.get(reverse("interchange:index")).content.decode()
    response = client.get(url)
    assert "persone-pseudonimi-" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    assert "P-PI" not in text and "PE-" in text


def _protected(client, **fields):
    data = {
        "protetto-kind": "persons",
        "protetto-format": "csv",
        "protetto-password": "archivio-di-prova-2026",
        "protetto-password_again": "archivio-di-prova-2026",
    }
    data.update({f"protetto-{k}": v for k, v in fields.items()})
    return client.post(reverse("interchange:export_protected"), data)


def test_coordinator_downloads_a_password_protected_archive_of_their_zone(two_zones, login):
    import pyzipper

    from crocevia.core.archive import read_protected_zip

    client = login(two_zones.coordinator)
    response = _protected(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    today = timezone.localdate().isoformat()
    assert f'filename="persone-{today}.zip"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    # Encrypted: the names are not in the archive's bytes, and no password opens nothing.
    assert b"P-PI" not in data
    with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
        info = archive.infolist()[0]
        assert info.filename == f"persone-{today}.csv"
        assert info.flag_bits & 0x1  # encrypted entry
        with pytest.raises(RuntimeError):
            archive.read(info.filename)
    content = read_protected_zip(io.BytesIO(data), "archivio-di-prova-2026")
    text = content[f"persone-{today}.csv"].decode("utf-8")
    assert "P-PI" in text and "P-LI" not in text
    with pytest.raises(RuntimeError):
        read_protected_zip(io.BytesIO(data), "un-altra-password-x")
    event = AuditEvent.objects.get(action=AuditAction.DATA_EXPORT, actor=two_zones.coordinator)
    assert event.changes["password_protected"] is True
    assert event.changes["zones"] == [two_zones.zone.pk]


def test_protected_archive_refuses_a_weak_or_mismatched_password(two_zones, login):
    client = login(two_zones.coordinator)
    response = _protected(client, password="corta", password_again="corta")
    assert response.status_code == 400
    page = response.content.decode()
    message = it("The archive password must be at least %(n)d characters long.") % {"n": 12}
    assert escape(message) in page
    response = _protected(client, password_again="archivio-di-prova-2027")
    assert response.status_code == 400
    assert escape(it("The two passwords differ.")) in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.DATA_EXPORT).exists()


def test_protected_archive_is_refused_to_those_who_may_not_export(two_zones, login):
    for user in (two_zones.desk_operator, two_zones.outsider):
        assert _protected(login(user)).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.DATA_EXPORT).exists()


def test_unknown_kind_or_format(actors, login):
    client = login(actors.admin)
    assert client.get(reverse("interchange:export", args=["nope"])).status_code == 404
    url = reverse("interchange:export", args=["persons"]) + "?formato=pdf"
    assert client.get(url).status_code == 400


def test_unconfirmed_jobs_expire_and_old_reports_are_removed(actors, login):
    client = login(actors.coordinator)
    upload(client, "desks", GOOD_DESKS)
    upload(client, "desks", OTHER_ZONE_DESKS)
    waiting = ImportJob.objects.get(status=ImportJob.Status.VALID)
    invalid = ImportJob.objects.get(status=ImportJob.Status.INVALID)
    assert importjobs.has_errors_file(invalid) and invalid.files_kept
    long_ago = timezone.now() - datetime.timedelta(days=8)
    ImportJob.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    ImportJob.objects.filter(pk=invalid.pk).update(finished_at=long_ago)
    assert importjobs.import_jobs_expire() == 1
    waiting.refresh_from_db()
    assert waiting.status == ImportJob.Status.CANCELLED
    assert not importjobs.has_upload(waiting)
    invalid.refresh_from_db()
    assert not importjobs.has_errors_file(invalid) and not invalid.files_kept
    assert stored_names() == []
    page = client.get(reverse("interchange:job", args=[invalid.pk])).content.decode()
    assert str(invalid.error_count) in page


def test_downloading_the_error_report_is_audited(actors, login):
    client = login(actors.coordinator)
    upload(client, "desks", OTHER_ZONE_DESKS)
    job = only_job()
    client.get(reverse("interchange:job_errors", args=[job.pk]))
    assert AuditEvent.objects.filter(
        kind=AuditEvent.Kind.ACCESS, actor=actors.coordinator, object_id=str(job.pk)
    ).exists()


def test_page_and_job_page_queries_do_not_grow_with_jobs(
    actors, login, django_assert_max_num_queries
):
    client = login(actors.coordinator)
    for _ in range(3):
        upload(client, "desks", OTHER_ZONE_DESKS)
    job = ImportJob.objects.first()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("interchange:index")).status_code == 200
    # 13: the error report read from the database storage (whether it is there, its row,
    # its one chunk), the same for any number of jobs.
    with django_assert_max_num_queries(13):
        assert client.get(reverse("interchange:job", args=[job.pk])).status_code == 200


def test_reading_the_page_expires_nothing_an_upload_and_the_command_do(actors, login, capsys):
    from django.core.management import call_command

    client = login(actors.coordinator)
    upload(client, "desks", GOOD_DESKS)
    waiting = ImportJob.objects.get(status=ImportJob.Status.VALID)
    long_ago = timezone.now() - datetime.timedelta(days=2)
    ImportJob.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    assert client.get(reverse("interchange:index")).status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == ImportJob.Status.VALID  # a GET writes nothing
    call_command("import_jobs_expire")
    assert "1" in capsys.readouterr().out
    waiting.refresh_from_db()
    assert waiting.status == ImportJob.Status.CANCELLED
    # A new upload expires the stale jobs of everyone as it goes.
    upload(client, "desks", GOOD_DESKS)
    second = ImportJob.objects.filter(status=ImportJob.Status.VALID).get()
    ImportJob.objects.filter(pk=second.pk).update(created_at=long_ago)
    upload(client, "desks", GOOD_DESKS)
    second.refresh_from_db()
    assert second.status == ImportJob.Status.CANCELLED
