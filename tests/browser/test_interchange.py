"""A coordinator imports a register from the browser: a file with an error, the error
table, the corrected file, the confirmation and the summary; axe-core on every page."""

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext

from crocevia.interchange.models import ImportJob
from crocevia.interchange.tests.helpers import job_world
from crocevia.network.models import Desk
from crocevia.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _job_world(settings, tmp_path_factory):
    job_world(settings, tmp_path_factory.mktemp("jobs"))


HEADER = "codice;ente;denominazione;livello;codice ISTAT;orari\n"
WITH_ERROR = HEADER + (
    "SPI-CPI;CPI-PI;Sportello CPI Pisa;1;050026;Martedì 9-12\n"
    "SPI-LI2;COM-LI;Sportello Livorno nord;1;049009;\n"
)
FIXED = HEADER + "SPI-CPI;CPI-PI;Sportello CPI Pisa;1;050026;Martedì 9-12\n"


def italian(msgid: str) -> str:
    with translation.override("it"):
        text = gettext(msgid)
    assert text != msgid, f"missing Italian translation for {msgid!r}"
    return text


def _upload(page, name, text):
    page.select_option("select[name=kind]", "desks")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}],
    )
    with page.expect_navigation():
        page.get_by_role("button", name=italian("Check the file")).click()


def test_coordinator_corrects_a_file_and_imports_it(page, axe_check, actors):
    page.goto("/accesso/")
    page.fill("input[name=username]", "coordinatore")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Accedi").click()

    with translation.override("it"):
        nav_label = str(pgettext("navigation", "Import/export"))
    page.get_by_role("link", name=nav_label, exact=True).first.click()
    page.wait_for_url("**/scambio/")
    axe_check(page)

    _upload(page, "sportelli.csv", WITH_ERROR)
    page.wait_for_url("**/scambio/importazioni/*/")
    rows = page.locator("#import-errors tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").nth(0).inner_text().strip() == "3"
    assert italian("This organisation is outside your zone.") in rows.first.inner_text()
    assert not Desk.objects.filter(code="SPI-CPI").exists()
    axe_check(page)

    page.get_by_role("link", name=italian("Upload a corrected file")).click()
    page.wait_for_url("**/scambio/?kind=desks")
    _upload(page, "sportelli-corretto.csv", FIXED)
    page.wait_for_url("**/scambio/importazioni/*/")
    assert page.locator("#import-counts").is_visible()
    assert not Desk.objects.filter(code="SPI-CPI").exists()
    axe_check(page)

    with page.expect_navigation():
        page.get_by_role("button", name=italian("Confirm and import")).click()
    assert italian("Imported") in page.locator("#job-status").inner_text()
    desk = Desk.objects.get(code="SPI-CPI")
    assert desk.opening_hours == "Martedì 9-12"
    assert ImportJob.objects.filter(status=ImportJob.Status.DONE).count() == 1
    axe_check(page)


def test_progress_of_a_running_import_is_accessible(page, axe_check, actors):
    from django.utils import timezone
    from playwright.sync_api import expect

    from crocevia.interchange import importjobs

    job = ImportJob.objects.create(
        kind="persons",
        user=actors.coordinator,
        status=ImportJob.Status.IMPORTING,
        file_name="persone.csv",
        started_at=timezone.now(),
    )
    progress = importjobs.Progress(job.pk, "import")
    progress.update(rows=6000, fraction=0.25)
    page.goto("/accesso/")
    page.fill("input[name=username]", "coordinatore")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Accedi").click()
    page.goto(f"/scambio/importazioni/{job.pk}/")
    assert page.locator("progress.import-progress").get_attribute("value") == "25"
    # The page polls: the next figures appear without a reload.
    progress.update(rows=12000, fraction=0.5)
    expect(page.locator("progress.import-progress")).to_have_attribute("value", "50")
    assert "12000" in page.locator("#job-progress-text").inner_text()
    axe_check(page)


def _xlsx_bytes(text: str) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for line in text.splitlines():
        book.active.append(line.split(";"))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def test_coordinator_imports_an_xlsx_workbook_from_the_page(page, actors):
    page.goto("/accesso/")
    page.fill("input[name=username]", "coordinatore")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Accedi").click()
    page.goto("/scambio/")
    page.select_option("select[name=kind]", "desks")
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "sportelli.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": _xlsx_bytes(FIXED),
            }
        ],
    )
    with page.expect_navigation():
        page.get_by_role("button", name=italian("Check the file")).click()
    page.wait_for_url("**/scambio/importazioni/*/")
    assert italian("This is not a CSV or XLSX file.") not in page.content()
    assert page.locator("#import-counts").is_visible()
    with page.expect_navigation():
        page.get_by_role("button", name=italian("Confirm and import")).click()
    assert italian("Imported") in page.locator("#job-status").inner_text()
    assert Desk.objects.get(code="SPI-CPI").opening_hours == "Martedì 9-12"
