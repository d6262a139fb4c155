"""The XLSX export of the report (issue 6): one sheet per table, the report's own numbers."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from crocevia.reporting.indicators import Scope, build_report
from crocevia.reporting.tables import (
    CENTS,
    MASKED,
    PCT,
    TEXT,
    Masked,
    Withheld,
    report_sections,
    spreadsheet_value,
)
from crocevia.reporting.xlsx import (
    COUNT_FORMAT,
    DECIMAL_FORMAT,
    EURO_FORMAT,
    HEADER_ROW,
    PCT_FORMAT,
    _sheet_name,
    report_xlsx,
)

START, END = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)
PRODUCED = datetime.date(2026, 2, 3)


@pytest.fixture
def italian():
    with translation.override("it"):
        yield


def _zone_report(net):
    return build_report(START, END, Scope(zone=net.a.zone))


def _book(data: bytes):
    return load_workbook(io.BytesIO(data))


def _expected(value, kind):
    """What openpyxl reads back for a cell written from `value`."""
    written = spreadsheet_value(value, kind)
    if isinstance(written, Decimal):
        return float(written)
    return written


def _tables(report, mask):
    return [table for section in report_sections(report, mask=mask) for table in section.tables]


def _table_sheets(book, report, mask):
    """(table, worksheet) pairs: the sheets after the index, in the layout's order."""
    tables = _tables(report, mask)
    assert len(book.sheetnames) == len(tables) + 1
    return list(zip(tables, book.worksheets[1:], strict=True))


@pytest.mark.django_db
def test_one_sheet_per_table_with_the_reports_numbers(net, italian):
    report = _zone_report(net)
    book = _book(report_xlsx(report, mask=False, produced_on=PRODUCED))
    assert book.sheetnames[0] == translation.gettext("Index")
    checked = 0
    for table, ws in _table_sheets(book, report, mask=False):
        assert ws["A1"].value == table.title
        assert ws["A1"].font.b
        assert "ZPI" in ws["A2"].value and "31/12/2025" in ws["A2"].value
        headers = [ws.cell(row=HEADER_ROW, column=c + 1) for c in range(len(table.columns))]
        assert [cell.value for cell in headers] == [column.label for column in table.columns]
        assert all(cell.font.b and cell.fill.fgColor.rgb.endswith("D9E2F3") for cell in headers)
        assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
        for r, row in enumerate(table.rows, start=HEADER_ROW + 1):
            is_total = table.total_label is not None and row[0] == table.total_label
            for c, (value, column) in enumerate(zip(row, table.columns, strict=True), start=1):
                cell = ws.cell(row=r, column=c)
                assert cell.value == _expected(value, column.kind), (table.key, r, c)
                if column.kind != TEXT and value is not None:
                    assert isinstance(cell.value, int | float), (table.key, r, c)
                assert bool(cell.font.b) == is_total, (table.key, r, c)
                checked += 1
        # Nothing below the table but its notes.
        after = HEADER_ROW + len(table.rows) + 1
        assert all(ws.cell(row=after, column=c + 1).value is None for c in range(6))
        if table.note:
            assert ws.cell(row=after + 1, column=1).value == table.note
        # A native bar chart beside the tables the page charts as bars.
        charted = table.chart in ("bar", "progress", "budget") and len(table.rows) > (
            1 if table.total_label else 0
        )
        assert len(ws._charts) == (1 if charted else 0), table.key
    assert checked > 100


@pytest.mark.django_db
def test_cells_carry_the_number_format_of_their_kind(net, italian):
    report = _zone_report(net)
    book = _book(report_xlsx(report, mask=False, produced_on=PRODUCED))
    sheets = dict((t.key, ws) for t, ws in _table_sheets(book, report, mask=False))
    row = HEADER_ROW + 1
    # Persons by sex: a count; the budget: euros from cents, and a percentage of 0–100.
    assert sheets["desk.persons_by_sex"].cell(row=row, column=2).number_format == COUNT_FORMAT
    budget = sheets["budget.by_action"]
    assert budget.cell(row=row, column=1).value.startswith("P1/A1")
    assert budget.cell(row=row, column=2).value == 1000
    assert budget.cell(row=row, column=3).value == 250.5
    assert budget.cell(row=row, column=4).value == 25.1
    assert budget.cell(row=row, column=2).number_format == EURO_FORMAT
    assert budget.cell(row=row, column=4).number_format == PCT_FORMAT
    # A mixed column: households are whole numbers, the shares have one decimal.
    households = sheets["benefit"]
    assert households.cell(row=row, column=2).value == 3
    assert households.cell(row=row, column=2).number_format == COUNT_FORMAT
    assert households.cell(row=row + 1, column=2).value == 66.7
    assert households.cell(row=row + 1, column=2).number_format == DECIMAL_FORMAT
    # Columns are wide enough for their longest text.
    widths = sheets["budget.by_action"].column_dimensions
    assert widths["A"].width >= len(budget.cell(row=row, column=1).value)


@pytest.mark.django_db
def test_index_lists_every_sheet_with_a_link(net, italian):
    report = _zone_report(net)
    book = _book(report_xlsx(report, mask=False, produced_on=PRODUCED))
    index = book.worksheets[0]
    text = [str(c.value) for row in index.iter_rows() for c in row if c.value is not None]
    assert text[0] == "Crocevia – " + translation.gettext("Monitoring")
    assert "Zona Pisana (ZPI)" in text
    assert "03/02/2026" in text
    assert any("31/12/2025" in t for t in text)
    links = {
        c.value: c.hyperlink.location
        for row in index.iter_rows()
        for c in row
        if c.hyperlink is not None
    }
    tables = _tables(report, mask=False)
    assert list(links) == [t.title for t in tables]
    assert list(links.values()) == [f"'{name}'!A1" for name in book.sheetnames[1:]]
    assert "<3" not in " ".join(text)


@pytest.mark.django_db
def test_monitoring_officers_version_masks_small_counts_by_citizenship(net, italian):
    report = _zone_report(net)
    plain = _book(report_xlsx(report, mask=False, produced_on=PRODUCED))
    masked = _book(report_xlsx(report, mask=True, produced_on=PRODUCED))
    plain_sheets = dict((t.key, ws) for t, ws in _table_sheets(plain, report, mask=False))
    masked_cells = 0
    for table, ws in _table_sheets(masked, report, mask=True):
        for r, row in enumerate(table.rows, start=HEADER_ROW + 1):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c)
                original = plain_sheets[table.key].cell(row=r, column=c).value
                if isinstance(value, Withheld):  # a complementary cell: any number
                    assert cell.value == "n.d."
                    assert isinstance(original, int | float)
                elif isinstance(value, Masked):
                    masked_cells += 1
                    assert cell.value == "<3"
                    assert isinstance(original, int) and original < 3
                else:
                    assert cell.value == original
    assert masked_cells > 0
    # The citizenship table of the zone: IT 1, EU 1, non-EU 1, unknown 1 person (all < 3).
    groups = report["indicators"]["desk.persons_by_citizenship_group"]
    assert groups == {"IT": 1, "EU": 1, "non_EU": 1, "unknown": 1}
    sheet = dict((t.key, ws) for t, ws in _table_sheets(masked, report, mask=True))[
        "desk.persons_by_citizenship_group"
    ]
    assert [sheet.cell(row=HEADER_ROW + i, column=2).value for i in range(1, 5)] == ["<3"] * 4
    note = [c.value for c in sheet["A"] if isinstance(c.value, str) and c.value.startswith("“<3”")]
    assert note, "the masked sheet explains what <3 means"
    # Sex is not a breakdown by citizenship: not masked even where small.
    by_sex = dict((t.key, ws) for t, ws in _table_sheets(masked, report, mask=True))[
        "desk.persons_by_sex"
    ]
    assert MASKED not in [by_sex.cell(row=HEADER_ROW + 1, column=2).value]
    assert isinstance(by_sex.cell(row=HEADER_ROW + 1, column=2).value, int)
    index_text = " ".join(str(c.value) for row in masked.worksheets[0].iter_rows() for c in row)
    assert "“<3”" in index_text


@pytest.mark.django_db
def test_same_report_gives_the_same_bytes(net, italian):
    report = _zone_report(net)
    first = report_xlsx(report, mask=True, produced_on=PRODUCED)
    second = report_xlsx(build_report(START, END, Scope(zone=net.a.zone)), mask=True,
                         produced_on=PRODUCED)  # fmt: skip
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2025, 12, 31, 0, 0, 0)}
    book = _book(first)
    assert book.properties.created == datetime.datetime(2025, 12, 31)
    assert book.properties.modified == datetime.datetime(2025, 12, 31)
    # Another production date is another file.
    assert report_xlsx(report, mask=True, produced_on=END) != first


@pytest.mark.django_db
def test_whole_installation_with_nulls_and_no_rows(actors, italian):
    report = build_report(START, START, Scope())
    book = _book(report_xlsx(report, mask=True, produced_on=PRODUCED))
    sheets = dict((t.key, (t, ws)) for t, ws in _table_sheets(book, report, mask=True))
    table, ws = sheets["cases.wd"]
    # n = 0: every statistic null, an empty cell (the page draws "—").
    assert [ws.cell(row=HEADER_ROW + 1, column=c).value for c in range(2, 7)] == [
        0, None, None, None, None,
    ]  # fmt: skip
    assert translation.gettext("Whole installation") in ws["A2"].value


def test_sheet_names_are_valid_and_unique():
    taken = {"indice"}
    long = "Persone prese in carico per cittadinanza e classe di bisogno"
    first = _sheet_name(long, taken)
    second = _sheet_name(long, taken)
    assert len(first) <= 31 and len(second) <= 31
    assert first != second and second.endswith("(2)")
    odd = _sheet_name("Spese [2025]: a/b\\c*?", taken)
    assert not set("[]:*?/\\") & set(odd)
    assert _sheet_name("Indice", taken) == "Indice (2)"
    assert _sheet_name("'quoted'", taken) == "quoted"
    assert _sheet_name("", taken)


def test_kinds_used_by_the_layout_have_a_format():
    # Every kind of number gets a spreadsheet format (a guard for new kinds).
    from crocevia.reporting.xlsx import _number_format

    assert _number_format(1, PCT) == PCT_FORMAT
    assert _number_format(150, CENTS) == EURO_FORMAT
    assert _number_format(MASKED, CENTS) is None
    assert _number_format(None, PCT) is None
