"""A programme's budget and expenditure as an XLSX workbook, laid out like a funder's report:
a "Budget" sheet (one row per action, totals at the foot) and a "Spese" sheet (every
expenditure). Money is written as numbers with the euro format, never as text."""

import io

from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from crocevia.core.spreadsheets import Workbook

from .models import Expenditure, Programme
from .selectors import ZERO, actions_with_spending, programme_total

EURO_FORMAT = '"€" #,##0.00'
PCT_FORMAT = "0.0%"
DATE_FORMAT = "DD/MM/YYYY"
BOLD = Font(bold=True)


def _header(ws, row: int, titles: list[str]) -> None:
    for col, title in enumerate(titles, start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _widths(ws, widths: list[int]) -> None:
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def programme_workbook(programme: Programme) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Budget"
    ws["A1"] = f"{programme.code} – {programme.name}"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = _("Fund: %(fund)s · Period: %(start)s – %(end)s · Lead: %(lead)s") % {
        "fund": programme.get_fund_display(),
        "start": programme.start_date.strftime("%d/%m/%Y"),
        "end": programme.end_date.strftime("%d/%m/%Y"),
        "lead": programme.lead_organisation.name,
    }
    header_row = 4
    _header(
        ws,
        header_row,
        [
            _("Code"),
            _("Title"),
            _("Priority code"),
            _("Responsible organisation"),
            _("Budget"),
            _("Spent"),
            _("Remaining"),
            _("Share spent"),
            _("Committed by interventions"),
        ],
    )
    row = header_row
    actions = actions_with_spending(programme)
    for action in actions:
        row += 1
        ws.cell(row=row, column=1, value=action.code)
        ws.cell(row=row, column=2, value=action.title)
        ws.cell(row=row, column=3, value=action.priority_code or None)
        ws.cell(row=row, column=4, value=action.responsible_organisation.name)
        for col, value in (
            (5, action.line.budget),
            (6, action.line.spent),
            (7, action.line.remaining),
        ):
            ws.cell(row=row, column=col, value=value).number_format = EURO_FORMAT
        ws.cell(row=row, column=8, value=action.line.pct / 100).number_format = PCT_FORMAT
        ws.cell(row=row, column=9, value=action.line.committed).number_format = EURO_FORMAT
    total = programme_total(programme, actions)
    row += 1
    ws.cell(row=row, column=1, value=_("Total")).font = BOLD
    for col, value in ((5, total.budget), (6, total.spent), (7, total.remaining)):
        cell = ws.cell(row=row, column=col, value=value)
        cell.number_format = EURO_FORMAT
        cell.font = BOLD
    ws.cell(row=row, column=8, value=total.pct / 100).number_format = PCT_FORMAT
    cell = ws.cell(row=row, column=9, value=total.committed)
    cell.number_format = EURO_FORMAT
    cell.font = BOLD
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    _widths(ws, [10, 60, 12, 40, 16, 16, 16, 10, 16])

    sheet = wb.create_sheet("Spese")
    _header(
        sheet,
        1,
        [
            _("Date"),
            _("Action"),
            _("Responsible organisation"),
            _("Description"),
            _("Supporting document"),
            _("Amount"),
            _("Over-budget justification"),
            _("Recorded by"),
        ],
    )
    expenditures = (
        Expenditure.objects.filter(action__programme=programme)
        .select_related("action", "action__responsible_organisation", "recorded_by")
        .order_by("spent_on", "action__position", "id")
    )
    row = 1
    recorded = ZERO
    for expenditure in expenditures:
        row += 1
        recorded += expenditure.amount
        sheet.cell(row=row, column=1, value=expenditure.spent_on).number_format = DATE_FORMAT
        sheet.cell(row=row, column=2, value=expenditure.action.code)
        sheet.cell(row=row, column=3, value=expenditure.action.responsible_organisation.name)
        sheet.cell(row=row, column=4, value=expenditure.description)
        sheet.cell(row=row, column=5, value=expenditure.document_reference or None)
        sheet.cell(row=row, column=6, value=expenditure.amount).number_format = EURO_FORMAT
        sheet.cell(row=row, column=7, value=expenditure.over_budget_justification or None)
        sheet.cell(row=row, column=8, value=str(expenditure.recorded_by))
    row += 1
    sheet.cell(row=row, column=1, value=_("Total")).font = BOLD
    # The expenditures' own total: "Spent" above also counts the interventions that ended.
    cell = sheet.cell(row=row, column=6, value=recorded)
    cell.number_format = EURO_FORMAT
    cell.font = BOLD
    sheet.freeze_panes = "A2"
    _widths(sheet, [12, 10, 40, 50, 24, 16, 40, 24])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
