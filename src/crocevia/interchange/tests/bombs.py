"""Hostile workbooks for the tests and bench/bombs.py: small files that unpack to a lot.

Written part by part through zipfile's streaming writer, so even the bench's 12.5 million
rows never sit in memory here either.
"""

import zipfile
from collections.abc import Iterable
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
BOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{BOOK_TYPE}"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/>
</Types>"""
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE_RELS}">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="{RELS}/officeDocument"/></Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{RELS}">
<sheets><sheet name="Foglio1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE_RELS}">
<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="{RELS}/worksheet"/>
<Relationship Id="rId2" Target="sharedStrings.xml" Type="{RELS}/sharedStrings"/>
</Relationships>"""


def _text_cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def header_row(codes: Iterable[str]) -> bytes:
    cells = b"".join(
        _text_cell(f"{chr(65 + i)}1", code) for i, code in enumerate(codes)
    )  # at most 26 columns: enough for any kind
    return b'<row r="1">' + cells + b"</row>"


def workbook(
    path: Path,
    rows: Iterable[bytes],
    *,
    strings: Iterable[Iterable[bytes]] = (),
    dimension: str | None = None,
) -> Path:
    """An XLSX whose first sheet holds `rows` (<row> elements) and whose shared strings
    are `strings` (each the pieces of one <si>'s text), deflated as hard as zlib can."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode())
            for pieces in strings:
                part.write(b"<si><t>")
                for piece in pieces:
                    part.write(piece)
                part.write(b"</t></si>")
            part.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode())
            if dimension:
                part.write(f'<dimension ref="{dimension}"/>'.encode())
            part.write(b"<sheetData>")
            buffer = []
            for row in rows:
                buffer.append(row)
                if len(buffer) >= 10_000:
                    part.write(b"".join(buffer))
                    buffer.clear()
            part.write(b"".join(buffer))
            part.write(b"</sheetData></worksheet>")
    return path


def many_rows(path: Path, count: int, codes: Iterable[str] = ("code",)) -> Path:
    """A header and `count` rows of one short cell each: 12.5 million fit in 2 MB."""
    rows = (f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
            for n in range(2, count + 2))  # fmt: skip
    return workbook(path, _chain(header_row(codes), rows))


def huge_shared_string(path: Path, size: int, codes: Iterable[str] = ("code",)) -> Path:
    """A header and one row whose cell is a shared string of `size` characters."""
    rows = [header_row(codes), b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>']
    return workbook(path, rows, strings=[_chunks(b"A", size)])


def wide_row(path: Path, column: str, codes: Iterable[str] = ("code",)) -> Path:
    """A header and one row whose only cell sits in `column` (XFD: 16,384 columns)."""
    return workbook(path, [header_row(codes), f'<row r="2"><c r="{column}2"/></row>'.encode()])


def declared_dimension(path: Path, ref: str, codes: Iterable[str] = ("code",)) -> Path:
    """A header only, declaring the dimension `ref` (A1:A1048576: a million empty rows)."""
    return workbook(path, [header_row(codes)], dimension=ref)


def deep_member(path: Path, size: int) -> Path:
    """A valid-looking workbook with an extra part of `size` zero bytes (ratio ~1000)."""
    workbook(path, [header_row(["code"])])
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("xl/media/image1.bin", "w", force_zip64=True) as part,
    ):
        for chunk in _chunks(b"\0", size):
            part.write(chunk)
    return path


def _chain(first: bytes, rest: Iterable[bytes]) -> Iterable[bytes]:
    yield first
    yield from rest


def _chunks(byte: bytes, size: int, chunk: int = 1024 * 1024) -> Iterable[bytes]:
    while size > 0:
        yield byte * min(chunk, size)
        size -= chunk
