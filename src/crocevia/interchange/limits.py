"""What an imported file may hold, checked before the file is parsed (decompression bombs).

An XLSX is a ZIP of XML: 2 MB can unpack to gigabytes, or to millions of rows that the
reader would walk one by one. So before openpyxl opens it (it reads the shared strings
and the start of every sheet at once):

1. the ZIP's central directory (core.files.check_zip): how many parts, their total and
   each part's uncompressed size, how many times each grows; a part read whole into
   memory (shared strings, styles: everything but the worksheets, which are streamed)
   within CROCEVIA_IMPORT_MAX_PART_MB;
2. every part is streamed once, 1 MB at a time, never held whole: the declared sheet
   dimension, each row's number and each row's cells (by count and by the column of its
   last cell: the reader pads a row up to it), each cell's and each shared string's size.
   The scan stops at the first limit passed.

A CSV is counted the same way (its lines, before parsing; its columns and cells as it is
read). Everything passes through open_table, so the command, the page and the background
worker all refuse the same files, with a FileError in Italian, before any row is written.
"""

import codecs
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from crocevia.core.files import UnsafeArchive, ZipLimits, check_zip

from .errors import FileError

MB = 1024 * 1024
CHUNK = MB
# An XML character takes at most 10 bytes (&#x10FFFF;); a cell's tags a few hundred more.
BYTES_PER_CHAR = 10
CELL_MARKUP = 4096
LONGEST_TAG = 64 * 1024

# The elements that matter, with or without a namespace prefix: row and shared-string
# starts (and ends), the sheet's declared dimension; and cells, inside one row.
_TAGS = re.compile(
    rb"<(?:[\w.-]+:)?(row|si|dimension)(?=[\s/>])([^>]*)>|</(?:[\w.-]+:)?(row|si)\s*>"
)
_CELL = re.compile(rb"<(?:[\w.-]+:)?c(?=[\s/>])([^>]*)>")
_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]*)([0-9]*)["']""")
_DIMENSION = re.compile(rb"""(?:^|\s)ref\s*=\s*["']([^"']*)["']""")
_CELL_NAME = re.compile(r"([A-Za-z]*)([0-9]*)")


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_uncompressed_bytes: int
    max_part_bytes: int
    max_ratio: int
    max_members: int

    @classmethod
    def from_settings(cls) -> "ImportLimits":
        return cls(
            max_rows=settings.CROCEVIA_IMPORT_MAX_ROWS,
            max_columns=settings.CROCEVIA_IMPORT_MAX_COLUMNS,
            max_cell_chars=settings.CROCEVIA_IMPORT_MAX_CELL_CHARS,
            max_uncompressed_bytes=settings.CROCEVIA_IMPORT_MAX_UNCOMPRESSED_MB * MB,
            max_part_bytes=settings.CROCEVIA_IMPORT_MAX_PART_MB * MB,
            max_ratio=settings.CROCEVIA_IMPORT_MAX_ZIP_RATIO,
            max_members=settings.CROCEVIA_IMPORT_MAX_ZIP_MEMBERS,
        )

    @property
    def cell_bytes(self) -> int:
        """The most XML one cell (or one shared string) may take."""
        return self.max_cell_chars * BYTES_PER_CHAR + CELL_MARKUP

    @property
    def zip_limits(self) -> ZipLimits:
        return ZipLimits(
            max_members=self.max_members,
            max_total_bytes=self.max_uncompressed_bytes,
            max_member_bytes=self.max_uncompressed_bytes,
            max_ratio=self.max_ratio,
        )


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def too_many_rows(limits: ImportLimits) -> FileError:
    return FileError(
        _("The file has more than %(max)s rows: split it into smaller files.")
        % {"max": _number(limits.max_rows)},
        code="too_many_rows",
    )


def too_many_columns(limits: ImportLimits, row: int) -> FileError:
    return FileError(
        _("Row %(row)s has more than %(max)s columns.")
        % {"row": _number(row), "max": _number(limits.max_columns)},
        code="too_many_columns",
    )


def too_many_columns_anywhere(limits: ImportLimits) -> FileError:
    return FileError(
        _("A row of the file has more than %(max)s columns.")
        % {"max": _number(limits.max_columns)},
        code="too_many_columns",
    )


def cell_too_long(limits: ImportLimits, row: int | None) -> FileError:
    if row is None:
        message = _("A text of the workbook is longer than %(max)s characters.") % {
            "max": _number(limits.max_cell_chars)
        }
    else:
        message = _("A cell of row %(row)s is longer than %(max)s characters.") % {
            "row": _number(row),
            "max": _number(limits.max_cell_chars),
        }
    return FileError(message, code="cell_too_long")


def not_a_table() -> FileError:
    return FileError(_("This is not a CSV or XLSX file."), code="not_a_table")


# --- CSV -------------------------------------------------------------------------------------


def check_csv(path, limits: ImportLimits, encoding: str = "utf-8") -> None:
    """Refuse a CSV with more lines than the header and CROCEVIA_IMPORT_MAX_ROWS rows,
    counted before parsing (a quoted line break counts too: never fewer than the rows).

    Lines are counted as the reader splits them, at each line feed: a byte 0x0A in UTF-8
    and in 8-bit encodings (where it is never part of another character), a decoded
    character in UTF-16 (where a 0x0A byte is also half of many others: 上, Њ, Ċ)."""
    chunks = _text_chunks(path, encoding) if encoding == "utf-16" else _byte_chunks(path)
    lines = 0
    ends_with_newline = True  # an empty file has no line
    for chunk, newline in chunks:
        lines += chunk.count(newline)
        ends_with_newline = chunk.endswith(newline)
        if lines > limits.max_rows + 1:
            raise too_many_rows(limits)
    if not ends_with_newline:
        lines += 1
    if lines > limits.max_rows + 1:
        raise too_many_rows(limits)


def _byte_chunks(path):
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk, b"\n"


def _text_chunks(path, encoding: str):
    # Undecodable bytes are the encoding check's to name (charset.detect); here they count
    # as a character that is no line end.
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            text = decoder.decode(chunk)
            if text:
                yield text, "\n"


def check_csv_row(cells: list[str], line: int, limits: ImportLimits) -> None:
    """One parsed CSV record: no more cells than CROCEVIA_IMPORT_MAX_COLUMNS, none longer
    than CROCEVIA_IMPORT_MAX_CELL_CHARS."""
    if len(cells) > limits.max_columns:
        raise too_many_columns(limits, line)
    for cell in cells:
        if len(cell) > limits.max_cell_chars:
            raise cell_too_long(limits, line)


# --- XLSX ------------------------------------------------------------------------------------


def check_xlsx(path, limits: ImportLimits) -> None:
    """Refuse, before anything parses it, a workbook beyond `limits` (FileError)."""
    try:
        members = check_zip(path, limits.zip_limits)
    except UnsafeArchive as exc:
        raise FileError(exc.message, code=exc.code) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise not_a_table() from None
    types = next((m for m in members if m.filename == "[Content_Types].xml"), None)
    if types is None or types.file_size > limits.max_part_bytes:
        raise not_a_table()
    try:
        with zipfile.ZipFile(path) as archive:
            streamed = _worksheet_names(archive.read(types))
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError):
        raise not_a_table() from None
    for member in members:
        if member.filename not in streamed and member.file_size > limits.max_part_bytes:
            raise FileError(
                _(
                    "The part %(name)s of the file is %(size)s once uncompressed, "
                    "at most %(max)s are allowed."
                )
                % {
                    "name": member.filename[:100],
                    "size": f"{_number(round(member.file_size / MB))} MB",
                    "max": f"{_number(round(limits.max_part_bytes / MB))} MB",
                },
                code="zip_member_size",
            )
    try:
        with zipfile.ZipFile(path) as archive:
            for member in members:
                if member.file_size and not member.is_dir():
                    with archive.open(member) as part:
                        exact = _quick_scan(part, limits)
                    if exact:  # a rare writer: the slower scan, row by row
                        with archive.open(member) as part:
                            _PartScan(limits).scan(part)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError):
        raise not_a_table() from None


_OVERRIDE = re.compile(rb"<(?:[\w.-]+:)?Override\b([^>]*)>")
_PART_NAME = re.compile(rb"""PartName\s*=\s*["']/?([^"']*)["']""")
_WORKSHEET_TYPE = re.compile(rb"""ContentType\s*=\s*["'][^"']*worksheet\+xml["']""")


def _worksheet_names(content_types: bytes) -> set[str]:
    """The parts [Content_Types].xml declares as worksheets: the only ones the reader
    streams; every other part it reads whole (the shared strings wherever they are)."""
    names = set()
    for attributes in _OVERRIDE.findall(content_types):
        name = _PART_NAME.search(attributes)
        if name and _WORKSHEET_TYPE.search(attributes):
            names.add(name.group(1).decode("utf-8", "replace"))
    return names


def _column_index(letters: bytes | str) -> int:
    """A1-style column letters to a number: A -> 1, Z -> 26, AA -> 27."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    index = 0
    for letter in letters.upper()[:8]:  # more than 3 letters passes any limit already
        index = index * 26 + (ord(letter) - 64)
    return index


_ROW_NUMBER = re.compile(rb"""row\b[^>]*?\sr\s*=\s*["']([0-9]+)""")
# A cell's column when it is named as writers do (` r="AB12"`); any other spelling sends
# the part to the exact scan (_NEEDS_EXACT).
_WIDE_CELL = rb""" r=["']([A-Za-z]{%d,})[0-9]"""
_DIMENSION_TAG = re.compile(rb"dimension\b([^>]*)>")
# What the quick pass cannot count exactly: a cell naming no column (the reader counts
# it after the previous one) or prefixed element names (<x:row>).
# (A cell whose first attribute is not ` r=` counts as one; two patterns: one is slow.)
_NEEDS_EXACT = (re.compile(rb"<c(?=[\s/>])(?! r=)"), re.compile(rb":(?:row|c|si|dimension)[\s/>]"))


def _quick_scan(part, limits: ImportLimits) -> bool:
    """One pass over a part, in C-speed passes over each megabyte: no text between two
    tags longer than a cell may be, no more rows (counted and numbered) than the limit,
    no cell naming a column past the limit, the declared dimension within them. True if
    the part needs the exact scan too (cells without a column, prefixed names)."""
    long_text = re.compile(rb"<[^<]{%d}" % limits.cell_bytes)
    letters = len(_column_letters(limits.max_columns))
    wide = re.compile(_WIDE_CELL % letters)
    rows = 0
    exact = False
    buf = b""
    while chunk := part.read(CHUNK):
        buf += chunk
        # Everything before the last '<' is complete text and tags; from it on, carried.
        end = buf.rfind(b"<")
        if end <= 0:
            if len(buf) > limits.cell_bytes:
                raise cell_too_long(limits, None)
            continue
        region, buf = buf[:end], buf[end:]
        if long_text.search(region):
            raise cell_too_long(limits, None)
        prefixed = _NEEDS_EXACT[1].search(region) is not None
        exact = exact or prefixed or _NEEDS_EXACT[0].search(region) is not None
        rows += region.count(b"<row") + (region.count(b":row") if prefixed else 0)
        if rows > limits.max_rows + 1:
            raise too_many_rows(limits)
        numbers = _ROW_NUMBER.findall(region)
        if numbers and max(map(int, numbers)) > limits.max_rows + 1:
            raise too_many_rows(limits)
        for name in set(wide.findall(region)):
            if _column_index(name) > limits.max_columns:
                raise too_many_columns_anywhere(limits)
        if b"dimension" in region[:4096] or rows == 0:
            dimension = _DIMENSION_TAG.search(region)
            if dimension:
                _check_dimension(dimension.group(1), limits)
    if len(buf) > limits.cell_bytes:
        raise cell_too_long(limits, None)
    return exact


def _column_letters(index: int) -> str:
    """26 -> Z, 27 -> AA, 100 -> CV."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def _check_dimension(attributes: bytes, limits: ImportLimits) -> None:
    """<dimension ref="A1:G200001"/>: the reader pads every row to its width and yields
    rows up to its last one, so what it declares must fit too."""
    found = _DIMENSION.search(attributes)
    if not found:
        return
    last = found.group(1).decode("ascii", "replace").split(":")[-1]
    cell = _CELL_NAME.fullmatch(last.replace("$", ""))
    if not cell:
        return
    letters, digits = cell.groups()
    if digits and int(digits[:12]) > limits.max_rows + 1:
        raise too_many_rows(limits)
    if letters and _column_index(letters) > limits.max_columns:
        raise too_many_columns_anywhere(limits)


class _PartScan:
    """One streamed pass over an XML part: rows, columns and text sizes within limits."""

    def __init__(self, limits: ImportLimits):
        self.limits = limits
        self.rows_seen = 0
        self.row = 0  # the number of the last row started (the reader's counting)
        self.open_row: int | None = None  # where the open <row>'s content starts in buf
        self.open_string: int | None = None  # the same for a shared string <si>

    def scan(self, part) -> None:
        buf = bytearray()
        scanned = 0
        while chunk := part.read(CHUNK):
            buf += chunk
            # Up to the last '<' whose tag is not complete yet: it waits for the next chunk.
            end = len(buf)
            lt = buf.rfind(b"<", scanned)
            if lt >= 0 and buf.find(b">", lt) < 0:
                end = lt
            for match in _TAGS.finditer(buf, scanned, end):
                self._tag(buf, match)
            scanned = end
            opened = [p for p in (self.open_row, self.open_string) if p is not None]
            keep = min([scanned, *opened])
            del buf[:keep]
            scanned -= keep
            if self.open_row is not None:
                self.open_row -= keep
                if len(buf) - self.open_row > self.limits.max_columns * self.limits.cell_bytes:
                    raise cell_too_long(self.limits, self.row)
            if self.open_string is not None:
                self.open_string -= keep
                if len(buf) - self.open_string > self.limits.cell_bytes:
                    raise cell_too_long(self.limits, None)
            if len(buf) - scanned > LONGEST_TAG:
                raise not_a_table()

    def _tag(self, buf: bytearray, match: re.Match) -> None:
        name, attributes, closing = match.group(1), match.group(2), match.group(3)
        if closing == b"row":
            if self.open_row is not None:
                self._check_row(buf[self.open_row : match.start()])
                self.open_row = None
        elif closing == b"si":
            if self.open_string is not None:
                if match.start() - self.open_string > self.limits.cell_bytes:
                    raise cell_too_long(self.limits, None)
                self.open_string = None
        elif name == b"row":
            if self.open_row is not None:  # a row inside a row: the first ends here
                self._check_row(buf[self.open_row : match.start()])
                self.open_row = None
            self._start_row(attributes)
            if not attributes.rstrip().endswith(b"/"):
                self.open_row = match.end()
        elif name == b"si":
            if not attributes.rstrip().endswith(b"/"):
                self.open_string = match.end()
        elif name == b"dimension":
            _check_dimension(attributes, self.limits)

    def _start_row(self, attributes: bytes) -> None:
        limits = self.limits
        self.rows_seen += 1
        ref = _REF.search(attributes)
        self.row = int(ref.group(2)[:12]) if ref and ref.group(2) else self.row + 1
        # The header and max_rows rows; the reader yields every row up to the highest
        # number (a gap as empty rows), and reads every <row> even when repeated.
        if self.row > limits.max_rows + 1 or self.rows_seen > limits.max_rows + 1:
            raise too_many_rows(limits)

    def _check_row(self, content: bytes) -> None:
        limits = self.limits
        cells = _CELL.findall(content)
        if len(cells) > limits.max_columns:
            raise too_many_columns(limits, self.row)
        if not cells:
            return
        # The reader makes the row as wide as its last cell's column: the column a cell
        # names, or one after the one before it when it names none.
        width, after = 0, 0
        for attributes in reversed(cells):
            ref = _REF.search(attributes)
            if ref and ref.group(1):
                width = _column_index(ref.group(1))
                break
            after += 1
        if width + after > limits.max_columns:
            raise too_many_columns(limits, self.row)
        if len(content) > limits.cell_bytes:
            starts = [m.start() for m in _CELL.finditer(content)] + [len(content)]
            if any(b - a > limits.cell_bytes for a, b in zip(starts, starts[1:], strict=False)):
                raise cell_too_long(limits, self.row)
