"""The report as an XLSX workbook: an "Indice" sheet, then one sheet per table.

Every sheet is laid out like the tables the services compile by hand in the seeds: a title
row, the period and scope row, the column headers, the rows, the total in bold and the
table's note underneath. The tables, and every number in them, come from
`tables.report_sections`, the one layout shared with the page and the PDF; cells hold real
numbers (`tables.spreadsheet_value`) with a number format per column kind, so a reader can
sum and chart them. A masked cell is the text "<3".

The output is deterministic: the same report (and production date) gives the same bytes.
The workbook's created/modified dates and the timestamps of the zip entries are the end of
the report's period, not the time of the export.
"""

import datetime
import io
import re
import zipfile

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from crocevia.core.spreadsheets import Workbook, workbook_bytes

from .tables import (
    CENTS,
    COUNT,
    DECIMAL,
    MASK_BELOW,
    MASKED,
    PCT,
    TEXT,
    WITHHELD,
    Masked,
    Table,
    Withheld,
    format_cell,
    period_label,
    report_sections,
    spreadsheet_value,
)

COUNT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0"
PCT_FORMAT = '0.0" %"'  # the value is the report's 0–100 number, not a fraction
EURO_FORMAT = '"€" #,##0.00'

TITLE_FONT = Font(bold=True, size=13)
BOLD = Font(bold=True)
LINK_FONT = Font(color="0563C1", underline="single")
NOTE_FONT = Font(italic=True, size=9)
HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")

# Rows of a table sheet: title, period and scope, a blank row, then the headers.
TITLE_ROW, PERIOD_ROW, HEADER_ROW = 1, 2, 4

SHEET_NAME_MAX = 31
_FORBIDDEN_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
MIN_WIDTH, MAX_WIDTH = 8, 60


def report_xlsx(
    report: dict, *, mask: bool, produced_on: datetime.date | None = None, data_note: str = ""
) -> bytes:
    """The workbook of `report` (the object of `indicators.build_report`).

    `mask`: the version for monitoring officers, small citizenship counts shown as "<3".
    `produced_on`: the production date printed on the index sheet (default: today).
    `data_note`: where the data was read (core.dbrouter.ReadSource.note), on the index.
    """
    produced_on = produced_on or timezone.localdate()
    sections = report_sections(report, mask=mask)
    end = datetime.date.fromisoformat(report["period"]["to"])
    stamp = datetime.datetime.combine(end, datetime.time())

    book = Workbook()
    book.properties.created = stamp
    book.properties.modified = stamp
    book.properties.creator = "Crocevia"
    book.properties.title = _title()
    index = book.active
    index.title = _sheet_name(_("Index"), set())

    heading = _heading(report)
    taken = {index.title.casefold()}
    sheets = []  # (section title, table, sheet name)
    for section in sections:
        for table in section.tables:
            name = _sheet_name(table.sheet or table.title, taken)
            _table_sheet(book.create_sheet(name), table, heading)
            sheets.append((section.title, table, name))

    _index_sheet(index, report, sheets, mask=mask, produced_on=produced_on, data_note=data_note)
    # Not `book.save()`: it stamps the workbook "modified now".
    return _fixed_zip_times(workbook_bytes(book), stamp)


# --- sheets ----------------------------------------------------------------------------------


def _heading(report: dict) -> str:
    """The period and scope row of every table sheet."""
    return f"{period_label(report)} · {_scope_label(report['scope'])}"


def _scope_label(scope: dict) -> str:
    if scope.get("code"):
        return f"{scope['name']} ({scope['code']})"
    return str(scope["name"])


def _index_sheet(
    ws, report, sheets, *, mask: bool, produced_on: datetime.date, data_note: str
) -> None:
    ws["A1"] = _title()
    ws["A1"].font = Font(bold=True, size=15)
    facts = [
        (_("Scope"), _scope_label(report["scope"])),
        (_("Period"), period_label(report)),
        (_("Produced on"), produced_on.strftime("%d/%m/%Y")),
    ]
    row = 2
    for label, value in facts:
        row += 1
        ws.cell(row=row, column=1, value=label).font = BOLD
        ws.cell(row=row, column=2, value=value)
    if data_note:
        row += 1
        ws.cell(row=row, column=1, value=data_note).font = NOTE_FONT
    if mask:
        row += 2
        ws.cell(row=row, column=1, value=_masked_note()).font = NOTE_FONT
        if any(_withholds(table) for _s, table, _n in sheets):
            row += 1
            ws.cell(row=row, column=1, value=_withheld_note()).font = NOTE_FONT
    row += 2
    for column, label in enumerate((_("Table"), _("Sheet")), start=1):
        _header_cell(ws.cell(row=row, column=column, value=label))
    header_row = row
    current = None
    for section_title, table, name in sheets:
        if section_title != current:
            current = section_title
            row += 1
            ws.cell(row=row, column=1, value=section_title).font = BOLD
        row += 1
        link = ws.cell(row=row, column=1, value=table.title)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"{_quoted(name)}!A1")
        link.font = LINK_FONT
        ws.cell(row=row, column=2, value=name)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    width = max(len(t.title) for _s, t, _n in sheets) + 4 if sheets else 40
    ws.column_dimensions["A"].width = min(max(width, 24), MAX_WIDTH + 20)
    ws.column_dimensions["B"].width = max(len(n) for _s, _t, n in sheets) + 4 if sheets else 24


def _table_sheet(ws, table: Table, heading: str) -> None:
    ws.cell(row=TITLE_ROW, column=1, value=table.title).font = TITLE_FONT
    ws.cell(row=PERIOD_ROW, column=1, value=heading)
    widths = [len(column.label) for column in table.columns]
    for col, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=column.label)
        _header_cell(cell)
        if column.kind != TEXT:
            cell.alignment = Alignment(horizontal="right", vertical="top", wrap_text=True)
    row = HEADER_ROW
    for values in table.rows:
        row += 1
        is_total = table.total_label is not None and values[0] == table.total_label
        for col, (value, column) in enumerate(zip(values, table.columns, strict=True), start=1):
            cell = ws.cell(row=row, column=col, value=spreadsheet_value(value, column.kind))
            number_format = _number_format(value, column.kind)
            if number_format:
                cell.number_format = number_format
            if isinstance(value, Masked):
                cell.alignment = Alignment(horizontal="right")
            if is_total:
                cell.font = BOLD
            widths[col - 1] = max(widths[col - 1], len(format_cell(value, column.kind)))
    last_row = row
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(
            max(width + 2, MIN_WIDTH), MAX_WIDTH
        )
    notes = [table.note] if table.note else []
    if table.masked:
        notes.append(_masked_note())
    if _withholds(table):
        notes.append(_withheld_note())
    row = last_row + 1
    for note in notes:
        row += 1
        ws.cell(row=row, column=1, value=note).font = NOTE_FONT
    _chart(ws, table, last_row)


def _header_cell(cell) -> None:
    cell.font = BOLD
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(vertical="top", wrap_text=True)


def _number_format(value, kind: str) -> str | None:
    if value is None or isinstance(value, Masked) or kind == TEXT:
        return None
    if kind == CENTS:
        return EURO_FORMAT
    if kind == PCT:
        return PCT_FORMAT
    if kind == DECIMAL and not isinstance(value, int):
        return DECIMAL_FORMAT
    if kind in (COUNT, DECIMAL):
        return COUNT_FORMAT
    return None


def _title() -> str:
    return "Crocevia – " + _("Monitoring")  # as on the page and in the PDF


def _masked_note() -> str:
    # The msgid of the page's and the PDF's note (reporting/_masked_note.html).
    return _(
        "“%(shown)s” means fewer than %(n)s persons: small counts by citizenship are not "
        "shown, so that nobody can be recognised from them."
    ) % {"shown": str(MASKED), "n": MASK_BELOW}


def _withholds(table: Table) -> bool:
    return any(isinstance(cell, Withheld) for values in table.rows for cell in values)


def _withheld_note() -> str:
    # The msgid of the page's and the PDF's note (reporting/_masked_note.html).
    return _(
        "“%(shown)s” means a figure hidden so that the counts below %(n)s cannot be worked "
        "out from the totals and the other figures: it may be any number."
    ) % {"shown": str(WITHHELD), "n": MASK_BELOW}


def _chart(ws, table: Table, last_row: int) -> None:
    """A native bar chart beside the charted tables (the page's charts, for Excel users)."""
    if table.chart not in ("bar", "progress", "budget"):
        return
    data_last = last_row - (1 if table.total_label is not None else 0)
    if data_last <= HEADER_ROW:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = table.title
    if table.chart == "budget":
        first_col, last_col = 2, 3  # budget and spent, side by side
        chart.legend.position = "b"
    else:
        first_col = last_col = table.chart_column + 1
        chart.legend = None
    data = Reference(ws, min_col=first_col, max_col=last_col, min_row=HEADER_ROW, max_row=data_last)
    labels = Reference(ws, min_col=1, min_row=HEADER_ROW + 1, max_row=data_last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    chart.height = max(6, 1 + 0.8 * (data_last - HEADER_ROW))
    chart.width = 16
    anchor_col = get_column_letter(len(table.columns) + 2)
    ws.add_chart(chart, f"{anchor_col}{HEADER_ROW}")


# --- names and bytes -------------------------------------------------------------------------


def _sheet_name(wanted: str, taken: set) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\, not quoted."""
    base = _FORBIDDEN_IN_SHEET_NAMES.sub(" ", str(wanted))
    base = re.sub(r"\s+", " ", base).strip().strip("'").strip() or _("Table")
    name = base[:SHEET_NAME_MAX].rstrip()
    n = 1
    while name.casefold() in taken or name.casefold() == "history":
        n += 1
        suffix = f" ({n})"
        name = base[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
    taken.add(name.casefold())
    return name


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _fixed_zip_times(data: bytes, stamp: datetime.datetime) -> bytes:
    """The same archive with every entry dated `stamp` (zipfile dates entries 'now')."""
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
