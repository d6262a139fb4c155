"""Which encoding a CSV file is in, and which separator: as Italian offices save them.

- a UTF-16 BOM (Excel's "Testo Unicode", little or big endian): UTF-16;
- a UTF-8 BOM (Excel's "CSV UTF-8"): UTF-8, and every byte after it must be UTF-8;
- otherwise UTF-8 if the whole file is, else Windows-1252 (Excel's "CSV (delimitato dal
  separatore di elenco)" on an Italian Windows), provided no byte of the file is one of
  the five that code page leaves undefined.

`sniff(head)` decides what the first bytes decide (a BOM, or no text at all: an old
.xls, UTF-32, UTF-16 without a BOM, a binary file) and `detect(path, sniffed)` reads the
file once, a megabyte at a time (an incremental decoder, never the file in memory), and
returns the encoding the reader will then decode without an error. A file it cannot read
gets a FileError that names the problem (the encoding, and the line), not "not a CSV".
The separator is the most frequent of comma, semicolon and tab in the header line.
"""

import codecs
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import FileError
from .limits import CHUNK, not_a_table

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
UTF16 = "utf-16"
CP1252 = "cp1252"

# Proper names stay as they are in every language.
ENCODING_LABELS = {
    UTF8: "UTF-8",
    UTF8_BOM: gettext_lazy("UTF-8 with BOM"),
    UTF16: gettext_lazy("UTF-16 (Unicode Text)"),
    CP1252: "Windows-1252",
}
DELIMITER_LABELS = {
    ",": gettext_lazy("comma"),
    ";": gettext_lazy("semicolon"),
    "\t": gettext_lazy("tab"),
}
DELIMITERS = tuple(DELIMITER_LABELS)  # in this order when two are as frequent

_UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
# An Excel 97-2003 workbook (.xls) and any other OLE2 compound file.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A PDF may have no NUL in its first bytes, and would pass for Windows-1252 text.
_PDF_MAGIC = b"%PDF-"
# The bytes Windows-1252 does not define (Python's codec refuses them, as it should).
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def encoding_label(encoding: str) -> str:
    return str(ENCODING_LABELS.get(encoding, encoding))


def delimiter_label(delimiter: str) -> str:
    return str(DELIMITER_LABELS.get(delimiter, delimiter))


def detect_delimiter(header_line: str) -> str:
    """The most frequent of `,` `;` and tab in the header line (`,` when there is none)."""
    return max(DELIMITERS, key=header_line.count)


# --- errors ------------------------------------------------------------------------------------


def neither_utf8_nor_cp1252(line: int, byte: int) -> FileError:
    return FileError(
        _(
            "The file is not in UTF-8 nor in Windows-1252: line %(line)s holds a byte "
            "(%(byte)s) that neither encoding allows there. Save the file as "
            "“CSV UTF-8 (Comma delimited)”."
        )
        % {"line": line, "byte": f"0x{byte:02X}"},
        code="encoding",
    )


def not_utf8(line: int) -> FileError:
    return FileError(
        _("Line %(line)d is not UTF-8 text: save the file as CSV UTF-8.") % {"line": line},
        code="encoding",
    )


def not_utf16(line: int) -> FileError:
    return FileError(
        _("Line %(line)s is not UTF-16 text: save the file as “CSV UTF-8 (Comma delimited)”.")
        % {"line": line},
        code="encoding",
    )


def utf16_without_bom() -> FileError:
    return FileError(
        _(
            "The file seems to be UTF-16 text without the mark at its start (BOM) that says "
            "so, and cannot be read safely: save it as “CSV UTF-8 (Comma delimited)” or, "
            "from Excel, as “Unicode Text”."
        ),
        code="utf16_without_bom",
    )


def utf32() -> FileError:
    return FileError(
        _("The file is in UTF-32, which cannot be read: save it as “CSV UTF-8 (Comma delimited)”."),
        code="utf32",
    )


def old_excel() -> FileError:
    return FileError(
        _(
            "This is an Excel 97-2003 workbook (.xls), which cannot be read: save it as "
            "“Excel Workbook (.xlsx)” or as “CSV UTF-8 (Comma delimited)”."
        ),
        code="xls",
    )


# --- detection ---------------------------------------------------------------------------------


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file (not a ZIP) say: UTF16 or UTF8_BOM by their BOM,
    None when the content must decide; a FileError when they show no readable text."""
    if head.startswith(_UTF32_BOMS):  # before UTF-16: FF FE 00 00 starts like its BOM
        raise utf32()
    if head[:2] in _UTF16_BOMS:
        return UTF16
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if head.startswith(_OLE2_MAGIC):
        raise old_excel()
    if head.startswith(_PDF_MAGIC):
        raise not_a_table()
    if b"\x00" in head:
        raise utf16_without_bom() if _looks_like_utf16(head) else not_a_table()
    return None


def _looks_like_utf16(head: bytes) -> bool:
    """Text of Latin letters in UTF-16 has a NUL in every other byte, and in the others
    hardly any; a binary file has its NULs anywhere."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    return max(even, odd) >= half * 0.3 and min(even, odd) <= max(even, odd) * 0.1


def detect(path, sniffed: str | None) -> str:
    """The encoding of the file at `path` (UTF8, UTF8_BOM, UTF16 or CP1252), having read
    it whole once: the reader decodes it without an error. A FileError otherwise."""
    if sniffed == UTF16:
        _check_utf16(path)
        return UTF16
    bad = _first_non_utf8(path)
    if bad is None:
        return sniffed or UTF8
    if sniffed == UTF8_BOM:  # it says it is UTF-8: a byte that is not is an error
        raise not_utf8(_line_at(path, bad))
    _check_cp1252(path)
    return CP1252


def _first_non_utf8(path) -> int | None:
    """The offset of the first byte that is not UTF-8, None if every byte is."""
    decoder = codecs.getincrementaldecoder(UTF8)()
    offset = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            if b"\x00" in chunk:
                raise not_a_table()  # not at the start (sniff): a binary file, not text
            pending = len(decoder.getstate()[0])  # bytes of a character cut by the chunk
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start
            if not chunk:
                return None
            offset += len(chunk)


def _check_cp1252(path) -> None:
    """Every byte of the file is one Windows-1252 defines (NUL is no text either)."""
    offset = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            if b"\x00" in chunk:
                raise not_a_table()
            found = _CP1252_UNDEFINED.search(chunk)
            if found:
                position = offset + found.start()
                raise neither_utf8_nor_cp1252(_line_at(path, position), chunk[found.start()])
            offset += len(chunk)


def _check_utf16(path) -> None:
    """The file after its BOM is UTF-16 to the end (no lone surrogate, no odd byte)."""
    with open(path, "rb") as f:
        codec = _UTF16_BOMS[f.read(2)]
        decoder = codecs.getincrementaldecoder(codec)()
        lines = 1
        while True:
            chunk = f.read(CHUNK)
            data = decoder.getstate()[0] + chunk
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # Up to the bad unit the text is good: its line ends are those before it.
                good = data[: exc.start - exc.start % 2].decode(codec, errors="replace")
                raise not_utf16(lines + good.count("\n")) from None
            lines += text.count("\n")
            if not chunk:
                return


def _line_at(path, offset: int) -> int:
    """The line (from 1) of the byte at `offset` of an 8-bit or UTF-8 file."""
    lines = 1
    with open(path, "rb") as f:
        while offset > 0 and (chunk := f.read(min(CHUNK, offset))):
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines
