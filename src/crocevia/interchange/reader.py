"""Streaming readers: CSV (UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab) and XLSX.

`open_table(path, columns, sheet=None)` returns a Table whose `rows()` yields
(line_number, {column_code: raw_string}) one row at a time; the file is never held in
memory. The header is matched against the kind's column codes and Italian aliases,
case, accents, spaces and underscores ignored; a missing required column, an unknown
or a repeated one is a FileError naming it. A CSV's encoding and separator are told
from its content (charset.py) and are the table's `encoding` and `delimiter`.
"""

import csv
import datetime
import io
import os
import re
from collections.abc import Iterator

from django.utils.translation import gettext as _
from unidecode import unidecode

from crocevia.core.spreadsheets import unescape_cell

from . import charset
from .errors import FileError
from .limits import (
    ImportLimits,
    cell_too_long,
    check_csv,
    check_csv_row,
    check_xlsx,
    not_a_table,
)

_ZIP_MAGIC = b"PK\x03\x04"
_SPACES = re.compile(r"[\s_\-]+")


def header_key(name: str) -> str:
    """'Data di nascita' / 'data_di_nascita' / 'DATA DI NASCITA' -> 'data di nascita'."""
    return _SPACES.sub(" ", unidecode(str(name or "")).strip().lower()).strip()


def map_header(header: list[str], columns) -> list[str | None]:
    """The column code of each header cell (None for a blank trailing cell)."""
    known = {}
    for column in columns:
        known[header_key(column.code)] = column.code
        for alias in column.aliases:
            known[header_key(alias)] = column.code
    codes: list[str | None] = []
    seen = set()
    for cell in header:
        key = header_key(cell)
        if not key:
            codes.append(None)
            continue
        code = known.get(key)
        if code is None:
            raise FileError(
                _("Unknown column %(name)s: the columns of this kind are %(codes)s.")
                % {"name": cell, "codes": ", ".join(c.code for c in columns)},
                code="unknown_column",
            )
        if code in seen:
            raise FileError(
                _("The column %(name)s appears twice.") % {"name": code}, code="repeated_column"
            )
        seen.add(code)
        codes.append(code)
    missing = [c.code for c in columns if c.required and c.code not in seen]
    if missing:
        raise FileError(
            _("Required column missing: %(names)s.") % {"names": ", ".join(missing)},
            code="missing_column",
        )
    return codes


class Table:
    """An open file of rows. `list_separator` is `|` for semicolon CSV, `;` otherwise.
    `encoding` and `delimiter` are a CSV's (charset.py's names), empty for an XLSX."""

    encoding = ""
    delimiter = ""
    list_separator = ";"
    fraction_read = 0.0  # 0..1, for the progress bar

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _cells_to_dict(line, cells, codes, extra_cell_error):
    if len(cells) > len(codes) and any(str(c).strip() for c in cells[len(codes) :]):
        extra_cell_error(line)
    row = {}
    for index, code in enumerate(codes):
        if code is not None:
            value = cells[index].strip() if index < len(cells) else ""
            # The apostrophe an export puts before a formula-like text is not part of it
            # (tested here first: a call per cell is 1% of a large import).
            row[code] = unescape_cell(value) if value[:1] == "'" else value
    return row


class CsvTable(Table):
    """A CSV in `encoding`, which charset.detect found the whole file decodes in."""

    def __init__(self, path, columns, limits: ImportLimits | None = None, encoding=charset.UTF8):
        self._limits = limits or ImportLimits.from_settings()
        self.encoding = encoding
        raw = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._size = max(os.fstat(raw.fileno()).st_size, 1)
        self._bytes_per_char = 2 if encoding == charset.UTF16 else 1  # for the progress bar
        # Lines end at a line feed only, as check_csv counts them; the csv module tells a
        # line break inside quotes from the end of a record.
        self._file = io.TextIOWrapper(raw, encoding=encoding, newline="\n")
        self._chars = 0
        self._line = 0
        try:
            self._read_header(columns)
        except BaseException:
            self._file.close()
            raise

    def _read_header(self, columns):
        first = self._next_line()
        if first is None:
            raise FileError(_("The file is empty."), code="empty")
        header_line = first.removeprefix("\ufeff").rstrip("\r\n")
        self.delimiter = charset.detect_delimiter(header_line)
        self.list_separator = "|" if self.delimiter == ";" else ";"
        header = next(csv.reader([header_line], delimiter=self.delimiter))
        check_csv_row(header, 1, self._limits)
        self.codes = map_header(header, columns)
        self.extra_cells: list[int] = []

    def _next_line(self):
        try:
            line = self._file.readline()
        except UnicodeDecodeError:  # not after charset.detect, unless the file changed since
            raise FileError(
                _("Line %(line)d cannot be read as %(encoding)s.")
                % {"line": self._line + 1, "encoding": charset.encoding_label(self.encoding)},
                code="encoding",
            ) from None
        if not line:
            return None
        self._chars += len(line)
        self._line += 1
        if "\x00" in line:
            raise not_a_table()
        return line

    def _fraction(self) -> float:
        return min(self._chars * self._bytes_per_char / self._size, 1.0)

    def _lines(self):
        while True:
            line = self._next_line()
            if line is None:
                return
            yield line

    def rows(self):
        reader = csv.reader(self._lines(), delimiter=self.delimiter)
        try:
            # line_num counts the physical lines read after the header; a record may span
            # several (a quoted newline): it is named by its first line.
            line = 2
            for cells in reader:
                self.fraction_read = self._fraction()
                start, line = line, reader.line_num + 2
                check_csv_row(cells, start, self._limits)
                if not any(c.strip() for c in cells):
                    continue
                line_of_record = start
                yield (
                    line_of_record,
                    _cells_to_dict(line_of_record, cells, self.codes, self.extra_cells.append),
                )
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):  # the csv module's own cap
                raise cell_too_long(self._limits, reader.line_num + 1) from None
            raise FileError(
                _("Line %(line)d cannot be read as CSV: %(error)s")
                % {"line": reader.line_num + 1, "error": exc},
                code="bad_csv",
            ) from None
        self.fraction_read = 1.0

    def close(self):
        self._file.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class XlsxTable(Table):
    def __init__(self, path, columns, sheet=None):
        import openpyxl

        # A file, not a path: given a path openpyxl refuses a name without .xlsx (the page
        # stores every upload as "upload"); the content was told apart by open_table.
        self._file = open(path, "rb")  # noqa: SIM115 (closed by close())
        try:
            self._book = openpyxl.load_workbook(self._file, read_only=True, data_only=True)
        except Exception:  # a corrupt zip or not a workbook: openpyxl raises many kinds
            self._file.close()
            raise FileError(_("This is not a CSV or XLSX file."), code="not_a_table") from None
        if sheet:
            if sheet not in self._book.sheetnames:
                raise FileError(
                    _("No sheet named %(name)s; the workbook has %(names)s.")
                    % {"name": sheet, "names": ", ".join(self._book.sheetnames)},
                    code="no_sheet",
                )
            self._sheet = self._book[sheet]
        else:
            self._sheet = self._book.worksheets[0]
        self._iter = self._sheet.iter_rows(values_only=True)
        header = next(self._iter, None)
        if header is None:
            raise FileError(_("The file is empty."), code="empty")
        header = [_cell_text(c) for c in header]
        while header and not header[-1].strip():
            header.pop()
        self.codes = map_header(header, columns)
        self._total = max(self._sheet.max_row or 1, 1)
        self.extra_cells: list[int] = []

    def rows(self):
        line = 1
        for values in self._iter:
            line += 1
            self.fraction_read = min(line / self._total, 1.0)
            cells = [_cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            yield line, _cells_to_dict(line, cells, self.codes, self.extra_cells.append)
        self.fraction_read = 1.0

    def close(self):
        self._book.close()
        self._file.close()


def open_table(path, columns, sheet=None) -> Table:
    """A CSV or XLSX table, told apart by content (an XLSX is a zip), not by name."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise FileError(
            _("The file cannot be opened: %(error)s") % {"error": exc.strerror}, code="open"
        ) from None
    limits = ImportLimits.from_settings()
    if head[:4] == _ZIP_MAGIC:
        check_xlsx(path, limits)  # a decompression bomb stops here, before openpyxl
        return XlsxTable(path, columns, sheet=sheet)
    encoding = charset.sniff(head)
    if sheet:
        raise FileError(_("--sheet applies only to XLSX files."), code="sheet_on_csv")
    check_csv(path, limits, encoding or charset.UTF8)  # a bomb of rows stops here, quickly
    encoding = charset.detect(path, encoding)
    return CsvTable(path, columns, limits, encoding)
