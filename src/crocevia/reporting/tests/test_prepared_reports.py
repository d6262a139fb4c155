"""The report's XLSX and PDF are prepared by the worker (crocevia.downloads): the request
sends the user to the file's page; the job decides the scope, the period and the mask
again, as the user, when it runs; the file is the one the request used to draw."""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from pypdf import PdfReader

from crocevia.accounts.models import Membership
from crocevia.downloads.models import PreparedFile
from crocevia.reporting.files import render_report
from crocevia.reporting.indicators import Scope, build_report
from crocevia.testing import fetch_prepared, run_queued_jobs

from .conftest import END, START

pytestmark = pytest.mark.django_db

YEAR_2025 = {"from": START.isoformat(), "to": END.isoformat()}


def it(msgid: str) -> str:
    """The Italian of `msgid`: the file and its error are written in the asker's language."""
    with translation.override("it"):
        return gettext(msgid)


def _ask(client, fmt, query):
    return client.get(reverse("reporting:export", args=[fmt]), query)


def _cells(data: bytes) -> list:
    """Every sheet's title and cell values, in order."""
    book = load_workbook(io.BytesIO(data))
    return [
        (sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
        for sheet in book.worksheets
    ]


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _drawn_in_the_request(net, scope: Scope, fmt: str, *, mask: bool) -> bytes:
    """What the export view wrote into its answer before the worker did it."""
    return render_report(build_report(START, END, scope, with_referrals=True), fmt, mask=mask)


@pytest.mark.parametrize(
    ("who", "query", "mask"),
    [
        ("admin", {"organisation": "SDS-PI"}, False),
        ("coordinator", {"zone": "ZPI"}, False),
        ("monitoring_officer", {"zone": "ZPI"}, True),
    ],
)
def test_the_xlsx_downloaded_is_the_workbook_the_request_drew(net, login, who, query, mask):
    client = login(getattr(net.a, who))
    response = fetch_prepared(client, _ask(client, "xlsx", {**YEAR_2025, **query}))
    scope = Scope(organisation=net.a.sds) if "organisation" in query else Scope(zone=net.a.zone)
    expected = _drawn_in_the_request(net, scope, "xlsx", mask=mask)
    assert _cells(response.getvalue()) == _cells(expected)


def test_the_pdf_downloaded_is_the_report_the_request_drew(net, login):
    client = login(net.a.monitoring_officer)
    response = fetch_prepared(client, _ask(client, "pdf", {**YEAR_2025, "zone": "ZPI"}))
    expected = _drawn_in_the_request(net, Scope(zone=net.a.zone), "pdf", mask=True)
    text = _pdf_text(response.getvalue())
    assert text == _pdf_text(expected)
    assert "<3" in text  # masked: the officer's rule, decided by the job


def test_the_file_waits_on_its_page_named_as_before(net, login):
    client = login(net.a.coordinator)
    asked = _ask(client, "pdf", {**YEAR_2025, "zone": "ZPI"})
    prepared = PreparedFile.objects.get(user=net.a.coordinator)
    assert asked.status_code == 302
    assert asked["Location"] == reverse("downloads:file", args=[prepared.pk])
    assert prepared.file_name == "monitoraggio-ZPI-2025-01-01-2025-12-31.pdf"
    assert prepared.arguments == {"fmt": "pdf", "query": {**YEAR_2025, "zone": "ZPI"}}
    assert prepared.status == PreparedFile.Status.QUEUED


def test_a_coordinator_who_lost_the_zone_before_the_job_ran_gets_no_data(net, login):
    client = login(net.a.coordinator)
    asked = _ask(client, "xlsx", {**YEAR_2025, "zone": "ZPI"})
    assert asked.status_code == 302
    Membership.objects.filter(user=net.a.coordinator).update(active=False)
    run_queued_jobs()
    prepared = PreparedFile.objects.get(user=net.a.coordinator)
    assert prepared.status == PreparedFile.Status.FAILED
    assert prepared.error == it(
        "The monitoring report is for administrators, coordinators and monitoring officers."
    )
    assert prepared.storage_name == ""
    download = client.get(reverse("downloads:download", args=[prepared.pk]))
    assert download.status_code == 302  # back to the page, which says why


def test_the_job_decides_the_scope_again_and_trusts_no_scope_in_its_arguments(net, login):
    client = login(net.a.coordinator)
    _ask(client, "xlsx", {**YEAR_2025, "zone": "ZPI"})
    # Whatever the row says was asked, the job asks the access rules: ZLI is not theirs.
    PreparedFile.objects.update(arguments={"fmt": "xlsx", "query": {**YEAR_2025, "zone": "ZLI"}})
    run_queued_jobs()
    prepared = PreparedFile.objects.get()
    assert prepared.status == PreparedFile.Status.FAILED
    assert prepared.error == it("You may no longer report on this scope.")


def test_a_monitoring_officer_never_gets_the_json_from_a_job_either(net, login):
    client = login(net.a.monitoring_officer)
    _ask(client, "xlsx", {**YEAR_2025, "zone": "ZPI"})
    PreparedFile.objects.update(arguments={"fmt": "json", "query": {**YEAR_2025, "zone": "ZPI"}})
    run_queued_jobs()
    assert PreparedFile.objects.get().status == PreparedFile.Status.FAILED


def test_the_json_stays_in_the_answer(net, login):
    response = login(net.a.admin).get(reverse("reporting:export", args=["json"]), YEAR_2025)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert not PreparedFile.objects.exists()


def test_an_invalid_period_is_refused_in_the_request_and_nothing_is_asked(net, login):
    response = _ask(login(net.a.coordinator), "pdf", {"from": "2025-12-31", "to": "2025-01-01"})
    assert response.status_code == 400
    assert not PreparedFile.objects.exists()
