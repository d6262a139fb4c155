"""Every CSV file and XLSX workbook Crocevia writes goes through here, so that no text in
them is ever a formula (CSV or formula injection: a family name `=HYPERLINK(...)` or
`+cmd|' /C calc'!A0` that a spreadsheet would evaluate when the file is opened).

A text is *formula-like* when it starts with one of `= + - @`, a tab or a carriage
return (OWASP's list), their full-width and small forms or the minus sign U+2212 (which
some spreadsheets take for the ASCII ones), or with spaces followed by one of them (a
spreadsheet may trim the spaces first).

- **CSV** (OWASP's remedy): a formula-like text gets an apostrophe in front, so a
  spreadsheet shows it as text. So that the prefix can be told from an apostrophe that
  belongs to the value, a text made of apostrophes followed by a formula-like text gets
  one too. `unescape_cell` removes exactly that one apostrophe: the importers call it on
  every cell, and `unescape_cell(escape_cell(s)) == s` for every string (the round trip
  is exact, a name that really starts with a hyphen or an apostrophe included). A value
  changes on import only if it starts with an apostrophe followed by such a text: what
  an escaping export (ours, or another system's that follows OWASP) writes.
- **XLSX**: a formula-like text is stored as a text cell (never `data_type` "f", which
  openpyxl gives every string starting with `=`) carrying the *quote prefix* flag, as
  Excel does when someone types an apostrophe first: it shows as typed, and stays text
  when the cell is edited. A text that starts with apostrophes followed by a
  formula-like text gets one more apostrophe, as in CSV, so the importers (which read
  both formats alike) give it back unchanged. Numbers, dates and booleans stay what they
  are.

Numbers written as numbers (counts, amounts, a negative balance) are not text and are
never prefixed. `tests/test_spreadsheet_writers.py` fails if a module outside core
writes CSV or builds a workbook without these helpers.
"""

import csv
import io
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager
from decimal import Decimal
from typing import BinaryIO

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

APOSTROPHE = "'"
# = + - @ tab CR (OWASP), their full-width (U+FF1D, U+FF0B, U+FF0D, U+FF20) and small
# (U+FE66, U+FE62, U+FE63) forms, and the minus sign U+2212.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\u2212")


def looks_like_formula(text: str) -> bool:
    """True if a spreadsheet could take `text` for a formula."""
    if not text:
        return False
    if text[0] in FORMULA_STARTS:
        return True
    rest = text.lstrip()
    return bool(rest) and rest[0] in FORMULA_STARTS


def _needs_apostrophe(text: str) -> bool:
    # Formula-like, or apostrophes followed by a formula-like text (so that the reader
    # can tell our prefix from an apostrophe of the value's own).
    return looks_like_formula(text.lstrip(APOSTROPHE))


def escape_cell(text: str) -> str:
    """The text as written in a CSV cell: an apostrophe in front when it needs one."""
    return APOSTROPHE + text if _needs_apostrophe(text) else text


def unescape_cell(text: str) -> str:
    """The value of a cell read from a file: `escape_cell` undone (exactly its inverse)."""
    if text[:1] == APOSTROPHE and _needs_apostrophe(text[1:]):
        return text[1:]
    return text


# --- CSV --------------------------------------------------------------------------------------


# The first characters after which a text needs a closer look (whitespace aside).
_SUSPECT_FIRST = FORMULA_STARTS | {APOSTROPHE}


def csv_cell(value):
    """A value for `csv.writer`: text escaped, numbers left as numbers, None empty."""
    if value.__class__ is str:  # the common case first: exports write lots of cells
        first = value[:1]
        if not first or (first not in _SUSPECT_FIRST and not first.isspace()):
            return value
        return escape_cell(value)
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, Decimal)):
        return value
    return escape_cell(str(value))


class SafeCsvWriter:
    """`csv.writer` whose every text cell goes through `csv_cell`."""

    def __init__(self, stream, **fmtparams):
        self._writer = csv.writer(stream, **fmtparams)

    def writerow(self, row: Iterable):
        return self._writer.writerow(map(csv_cell, row))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **fmtparams) -> SafeCsvWriter:
    """The one way to write CSV: like `csv.writer(stream, **fmtparams)`, made safe."""
    return SafeCsvWriter(stream, **fmtparams)


# --- XLSX -------------------------------------------------------------------------------------


def _neutralise(cell) -> None:
    """Make a cell holding text a text cell that no spreadsheet evaluates."""
    value = cell.value
    if not isinstance(value, str):
        return
    if value[:1] == APOSTROPHE and _needs_apostrophe(value):
        cell.value = APOSTROPHE + value
    elif looks_like_formula(value):
        cell.quotePrefix = True
    # openpyxl makes a string starting with "=" a formula and "#N/A" and the like an
    # error value: every string we write is text.
    cell.data_type = "s"


@contextmanager
def _neutralised(book: openpyxl.Workbook):
    """Every text cell of the book's worksheets made safe while the block runs, then
    restored: the book stays as its caller built it, and saving it twice gives the
    same file (neutralising twice would add a second apostrophe)."""
    saved = []
    for sheet in book.worksheets:
        if not isinstance(sheet, Worksheet):
            continue  # a chart sheet has no cells
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell, Cell) and isinstance(cell.value, str):
                    saved.append((cell, cell.value, cell.data_type, cell.quotePrefix))
                    _neutralise(cell)
    try:
        yield
    finally:
        for cell, value, data_type, quote_prefix in saved:
            cell.value = value
            cell.data_type = data_type
            cell.quotePrefix = quote_prefix


class Workbook(openpyxl.Workbook):
    """An openpyxl workbook whose text cells are written safe.

    Cells are written as usual (`ws.cell(row, column, value)`, `ws["A1"] = ...`); `save`
    and `workbook_bytes` write every text cell as a safe text cell. Streaming
    (write-only) books are `write_xlsx_table`'s job."""

    def __init__(self):
        super().__init__(write_only=False)

    def save(self, filename) -> None:
        with _neutralised(self):
            super().save(filename)


def workbook_bytes(book: Workbook) -> bytes:
    """The book's bytes, made safe, with its properties as set (not stamped "modified
    now", as `save` does): the same book gives the same content."""
    buffer = io.BytesIO()
    with _neutralised(book):
        ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return buffer.getvalue()


def _write_only_cell(sheet, value):
    # A plain value is cheaper; a cell only for the texts that need one.
    if isinstance(value, str) and (
        value[:1] == APOSTROPHE or value in ERROR_CODES or looks_like_formula(value)
    ):
        cell = WriteOnlyCell(sheet, value=value)
        _neutralise(cell)
        return cell
    return value


def write_xlsx_table(stream: BinaryIO, title: str, rows: Iterable[Iterable]) -> None:
    """One sheet of rows written as they come (openpyxl's write-only mode, so the rows
    are never all in memory), every text cell safe."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append([_write_only_cell(sheet, value) for value in row])
    book.save(stream)
