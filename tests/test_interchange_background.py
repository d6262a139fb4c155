"""Browser imports in a real background thread: check, confirm, stop.

The worker thread has its own database connection, so these tests commit
(transaction=True), and the flush after them removes the rows of the data migrations
(desk services, ...). pytest-django runs transactional tests after the others, in
collection order; this file sits after tests/browser/ so that no test needing those
rows runs after it.
"""

import codecs
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from crocevia.interchange import services
from crocevia.interchange.kinds import get_kind
from crocevia.interchange.models import ImportJob
from crocevia.interchange.tests import bombs
from crocevia.network.models import Desk

pytestmark = pytest.mark.django_db(transaction=True)

GOOD_DESKS = (
    "code,organisation_code,name,level,comune_istat,opening_hours\n"
    "SPI-CPI,CPI-PI,Sportello CPI,1,050026,\n"
)


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


def upload(client, kind, text, name="file.csv"):
    data = {"kind": kind, "file": SimpleUploadedFile(name, text.encode("utf-8"))}
    return client.post(reverse("interchange:index"), data)


def only_job():
    return ImportJob.objects.get()


def test_large_file_is_checked_and_imported_in_a_background_thread(actors, login, settings):
    settings.CROCEVIA_IMPORT_BACKGROUND_BYTES = 10
    client = login(actors.coordinator)
    response = upload(client, "desks", GOOD_DESKS)
    job = only_job()
    assert job.background
    services.wait_for_workers(timeout=30)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALID
    assert not Desk.objects.filter(code="SPI-CPI").exists()
    # The progress poll now sends the browser back to the job page.
    poll = client.get(
        reverse("interchange:job_progress", args=[job.pk]), headers={"HX-Request": "true"}
    )
    assert poll["HX-Redirect"] == response.url

    client.post(reverse("interchange:job_confirm", args=[job.pk]))
    services.wait_for_workers(timeout=30)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Desk.objects.filter(code="SPI-CPI").exists()
    assert not services.upload_path(job).exists()


def test_background_job_can_be_stopped(actors, login, settings):
    settings.CROCEVIA_IMPORT_BACKGROUND_BYTES = 10
    client = login(actors.coordinator)
    job = ImportJob.objects.create(
        kind="desks",
        user=actors.coordinator,
        status=ImportJob.Status.IMPORTING,
        file_name="d.csv",
        background=True,
        started_at=timezone.now(),
    )
    directory = services._private_dir(services.job_dir(job))
    (directory / "upload").write_text(GOOD_DESKS)
    client.post(reverse("interchange:job_cancel", args=[job.pk]))  # the stop marker
    services.import_job_start(job)
    services.wait_for_workers(timeout=30)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert not Desk.objects.filter(code="SPI-CPI").exists()


def _xlsx_bytes(text: str) -> bytes:
    book = openpyxl.Workbook()
    for line in text.splitlines():
        book.active.append(line.split(","))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def test_large_xlsx_from_the_page_is_checked_and_imported_in_the_background(
    actors, login, settings
):
    settings.CROCEVIA_IMPORT_BACKGROUND_BYTES = 10
    client = login(actors.coordinator)
    upload = SimpleUploadedFile("sportelli.xlsx", _xlsx_bytes(GOOD_DESKS))
    client.post(reverse("interchange:index"), {"kind": "desks", "file": upload})
    job = only_job()
    assert job.background
    services.wait_for_workers(timeout=30)
    job.refresh_from_db()
    assert (job.status, job.file_error) == (ImportJob.Status.VALID, "")
    client.post(reverse("interchange:job_confirm", args=[job.pk]))
    services.wait_for_workers(timeout=30)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Desk.objects.filter(code="SPI-CPI").exists()


def test_a_bomb_checked_in_the_background_is_refused_in_italian_and_writes_nothing(
    actors, login, settings, tmp_path
):
    settings.CROCEVIA_IMPORT_BACKGROUND_BYTES = 10
    settings.CROCEVIA_IMPORT_MAX_ROWS = 1000
    path = bombs.many_rows(tmp_path / "righe.xlsx", 50_000, get_kind("desks").codes)
    client = login(actors.coordinator)
    upload = SimpleUploadedFile("sportelli.xlsx", path.read_bytes())
    client.post(reverse("interchange:index"), {"kind": "desks", "file": upload})
    job = only_job()
    assert job.background
    services.wait_for_workers(timeout=30)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.INVALID
    with translation.override("it"):
        expected = gettext("The file has more than %(max)s rows: split it into smaller files.")
    assert job.file_error == expected % {"max": "1.000"}
    assert job.rows == 0
    assert not Desk.objects.filter(code="x").exists()
    assert not services.upload_path(job).exists()


def test_a_unicode_text_file_checked_in_the_background_shows_how_it_was_read(
    actors, login, settings
):
    settings.CROCEVIA_IMPORT_BACKGROUND_BYTES = 10
    # Excel's "Testo Unicode": UTF-16 with its BOM, tab separated, CRLF.
    text = GOOD_DESKS.replace(",", "\t").replace("Sportello CPI", "Sportello Città Nuova")
    data = codecs.BOM_UTF16_LE + text.replace("\n", "\r\n").encode("utf-16-le")
    client = login(actors.coordinator)
    upload = SimpleUploadedFile("sportelli.txt", data)
    response = client.post(reverse("interchange:index"), {"kind": "desks", "file": upload})
    job = only_job()
    assert job.background
    services.wait_for_workers(timeout=30)
    job.refresh_from_db()
    assert (job.status, job.file_error) == (ImportJob.Status.VALID, "")
    assert (job.encoding, job.delimiter) == ("utf-16", "\t")
    page = client.get(response.url).content.decode()
    assert "Codifica: UTF-16 (Testo Unicode) · Separatore: tabulazione" in page
    assert "<strong>Sportello Città Nuova</strong>" in page
    client.post(reverse("interchange:job_confirm", args=[job.pk]))
    services.wait_for_workers(timeout=30)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Desk.objects.get(code="SPI-CPI").name == "Sportello Città Nuova"
