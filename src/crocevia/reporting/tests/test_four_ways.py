"""Issue 6: "The same numbers in JSON, on the page, in the XLSX and in the PDF (one test
reads all four)".

On the fixture network, for zone ZPI and the year 2025, as an administrator (unmasked)
and as a monitoring officer (masked): the JSON of `crocevia report` (and, for the
administrator, the page's JSON export) is laid out with `tables.report_sections`; then
for every table and every cell
- the page's <table id="{{ table.anchor }}"> shows exactly `format_cell(value, kind)`,
- the XLSX sheet of the table holds `spreadsheet_value(value, kind)`,
- the PDF's text contains the `format_cell` text, the table's rows in order.
"""

import datetime
import io
import json
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from crocevia.network.models import Zone
from crocevia.reporting.indicators import Scope, referral_counts
from crocevia.reporting.tables import (
    TEXT,
    Masked,
    format_cell,
    report_sections,
    spreadsheet_value,
)
from crocevia.reporting.xlsx import HEADER_ROW
from crocevia.testing import fetch_prepared

PERIOD = {"from": "2025-01-01", "to": "2025-12-31", "zone": "ZPI"}


class _Tables(HTMLParser):
    """The text of every cell of every <table id="…"> of a page: {id: [[cell, …], …]}."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _page_tables(client) -> dict:
    response = client.get(reverse("reporting:report"), PERIOD)
    assert response.status_code == 200
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables


def _export(client, fmt: str):
    """The file of the export: the JSON in the answer, the XLSX and the PDF prepared by
    the worker (run here)."""
    response = client.get(reverse("reporting:export", args=[fmt]), PERIOD)
    if fmt == "json":
        assert response.status_code == 200, response.status_code
        return response.content
    return fetch_prepared(client, response).getvalue()


def _command_json() -> dict:
    out = io.StringIO()
    call_command(
        "report", "--from", PERIOD["from"], "--to", PERIOD["to"], "--zone", PERIOD["zone"],
        "--format", "json", stdout=out,
    )  # fmt: skip
    return json.loads(out.getvalue())


def _with_referrals(report: dict) -> dict:
    """The page and its files add the referrals' counts to the contract's JSON object."""
    scope = Scope(zone=Zone.objects.get(code=PERIOD["zone"]))
    start, end = (datetime.date.fromisoformat(PERIOD[k]) for k in ("from", "to"))
    return {**report, "referrals": referral_counts(start, end, scope)}


def _text(value, kind) -> str:
    return " ".join(format_cell(value, kind).split())


def _number(value):
    return float(value) if isinstance(value, Decimal) else value


def _pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def _check_all_four(tables, page, book, pdf) -> int:
    """Every cell of `tables` (laid out from the JSON) against the three other readings."""
    assert len(book.worksheets) == len(tables) + 1
    checked = 0
    for table, ws in zip(tables, book.worksheets[1:], strict=True):
        # The page: headers, then every row exactly as format_cell draws it.
        assert table.anchor in page, table.anchor
        shown = page[table.anchor]
        expected = [[column.label for column in table.columns]] + [
            [_text(value, column.kind) for value, column in zip(row, table.columns, strict=True)]
            for row in table.rows
        ]
        assert shown == expected, table.key
        # The XLSX: the title, then real numbers where the report has numbers.
        assert ws["A1"].value == table.title
        for r, row in enumerate(table.rows, start=HEADER_ROW + 1):
            for c, (value, column) in enumerate(zip(row, table.columns, strict=True), start=1):
                cell = ws.cell(row=r, column=c).value
                assert cell == _number(spreadsheet_value(value, column.kind)), (table.key, r, c)
                if isinstance(value, Masked):
                    assert cell == str(value)  # "<3", or "n.d." for a complementary cell
                elif value is not None and column.kind != TEXT:
                    assert isinstance(cell, int | float), (table.key, r, c)
                checked += 1
        # The PDF: the title, then each row's cells in order after it.
        position = pdf.find(" ".join(table.title.split()))
        assert position >= 0, table.title
        for row in expected[1:]:
            for text in row:
                found = pdf.find(text, position)
                assert found >= 0, (table.key, text)
                position = found + len(text)
    return checked


@pytest.mark.django_db
def test_administrator_sees_the_same_numbers_in_json_page_xlsx_and_pdf(net, login):
    client = login(net.a.admin)
    report = _command_json()
    assert json.loads(_export(client, "json")) == report
    # A few values computed by hand in test_indicators, so that "all equal" is not "all empty".
    assert report["indicators"]["benefit.pct_preassessed"] == 66.7
    assert report["indicators"]["budget.by_action"]["P1/A1"]["spent"] == 25050
    page = _page_tables(client)
    book = load_workbook(io.BytesIO(_export(client, "xlsx")))
    pdf = _pdf_text(_export(client, "pdf"))
    with translation.override("it"):
        tables = [t for s in report_sections(_with_referrals(report), mask=False) for t in s.tables]
        assert _check_all_four(tables, page, book, pdf) > 100
        assert "66,7" in page["t-benefit"][2]
        assert "€ 250,50" in page["t-budget-by-action"][1]
    assert not re.search(r"<3", pdf)


@pytest.mark.django_db
def test_monitoring_officer_sees_the_same_masked_numbers_on_page_xlsx_and_pdf(net, login):
    client = login(net.a.monitoring_officer)
    response = client.get(reverse("reporting:export", args=["json"]), PERIOD)
    assert response.status_code == 404  # the JSON is the unmasked contract
    report = _command_json()
    page = _page_tables(client)
    book = load_workbook(io.BytesIO(_export(client, "xlsx")))
    pdf = _pdf_text(_export(client, "pdf"))
    with translation.override("it"):
        tables = [t for s in report_sections(_with_referrals(report), mask=True) for t in s.tables]
        assert _check_all_four(tables, page, book, pdf) > 100
    masked = [
        cell for table in tables for row in table.rows for cell in row if isinstance(cell, Masked)
    ]
    assert len(masked) >= 4
    assert page["t-desk-persons-by-citizenship-group"][1][1] == "<3"
