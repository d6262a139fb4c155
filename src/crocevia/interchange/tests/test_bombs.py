"""Decompression bombs and oversized files are refused before parsing, with an Italian
error, and nothing is written: through run_import, the command and the page.

The bombs are generated here (bombs.py); the limits are the settings' defaults unless a
test lowers one to keep its file small. Time and memory until refusal: bench/bombs.py.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from crocevia.interchange import importjobs
from crocevia.interchange.engine import run_import
from crocevia.interchange.kinds import get_kind
from crocevia.interchange.models import ImportJob
from crocevia.network.models import Desk, Zone

from . import bombs
from .helpers import write, xlsx

pytestmark = pytest.mark.django_db

TERRITORY = get_kind("territory").codes
DESKS = get_kind("desks").codes


def it(msgid: str, **values) -> str:
    with translation.override("it"):
        text = gettext(msgid)
    assert text != msgid, f"missing Italian translation for {msgid!r}"
    return text % values if values else text


def rows_message(limit: str) -> str:
    return it("The file has more than %(max)s rows: split it into smaller files.", max=limit)


def refused(tmp_path, path, kind="territory"):
    """The FileError of importing `path`, having checked that nothing was written."""
    report = run_import(kind, path)
    assert report.file_error is not None, "the file was not refused"
    assert not report.written and report.rows == 0
    assert not Zone.objects.exists() and not Desk.objects.filter(code="x").exists()
    return report.file_error


# --- XLSX ----------------------------------------------------------------------------------


def test_a_workbook_of_millions_of_rows_in_a_small_file_is_refused_before_parsing(
    tmp_path, settings
):
    settings.CROCEVIA_IMPORT_MAX_ROWS = 1000
    path = bombs.many_rows(tmp_path / "righe.xlsx", 50_000, TERRITORY)
    error = refused(tmp_path, path)
    assert error.code == "too_many_rows"
    with translation.override("it"):
        assert refused(tmp_path, path).message == rows_message("1.000")


def test_rows_are_counted_by_their_numbers_too(tmp_path, settings):
    """One row numbered a million: the reader would yield the empty rows before it."""
    settings.CROCEVIA_IMPORT_MAX_ROWS = 1000
    path = bombs.workbook(
        tmp_path / "salto.xlsx",
        [bombs.header_row(TERRITORY), b'<row r="1048576"><c r="A1048576"/></row>'],
    )
    assert refused(tmp_path, path).code == "too_many_rows"


def test_a_declared_dimension_beyond_the_limits_is_refused(tmp_path):
    path = bombs.declared_dimension(tmp_path / "dimensione.xlsx", "A1:A1048576", TERRITORY)
    assert refused(tmp_path, path).code == "too_many_rows"
    path = bombs.declared_dimension(tmp_path / "larga.xlsx", "A1:XFD2", TERRITORY)
    assert refused(tmp_path, path).code == "too_many_columns"


def test_a_cell_in_column_xfd_is_refused(tmp_path):
    path = bombs.wide_row(tmp_path / "larga.xlsx", "XFD", TERRITORY)
    error = refused(tmp_path, path)
    assert error.code == "too_many_columns"


def test_cells_naming_no_column_are_counted_row_by_row(tmp_path, settings):
    settings.CROCEVIA_IMPORT_MAX_COLUMNS = 20
    row = b'<row r="2">' + b"<c/>" * 21 + b"</row>"
    path = bombs.workbook(tmp_path / "senza-colonna.xlsx", [bombs.header_row(TERRITORY), row])
    error = refused(tmp_path, path)
    assert error.code == "too_many_columns"
    with translation.override("it"):
        assert refused(tmp_path, path).message == it(
            "Row %(row)s has more than %(max)s columns.", row="2", max="20"
        )


def test_unusual_spellings_do_not_slip_past_the_quick_scan(tmp_path, settings):
    """A column named after a tab, rows with a namespace prefix: the reader reads both."""
    path = bombs.workbook(
        tmp_path / "tab.xlsx", [bombs.header_row(TERRITORY), b'<row r="2"><c\tr="XFD2"/></row>']
    )
    assert refused(tmp_path, path).code == "too_many_columns"
    settings.CROCEVIA_IMPORT_MAX_ROWS = 1000
    prefixed = (
        f'<x:row xmlns:x="{bombs.MAIN}"><x:c t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></x:row>'
    )
    path = bombs.workbook(
        tmp_path / "prefisso.xlsx", [bombs.header_row(TERRITORY), prefixed.encode() * 2000]
    )
    assert refused(tmp_path, path).code == "too_many_rows"


def test_one_huge_shared_string_is_refused_by_its_compression_ratio(tmp_path):
    """The issue's bomb, smaller: 40 MB of one letter in 40 KB (the issue's: 400 MB)."""
    path = bombs.huge_shared_string(tmp_path / "stringa.xlsx", 40 * 1024 * 1024, TERRITORY)
    error = refused(tmp_path, path)
    assert error.code == "zip_ratio"
    with translation.override("it"):
        message = refused(tmp_path, path).message
    assert "xl/sharedStrings.xml" in message
    assert "bomba di decompressione" in message


def test_a_shared_string_longer_than_a_cell_is_refused_even_when_it_compresses_little(
    tmp_path,
):
    path = bombs.workbook(
        tmp_path / "stringa.xlsx",
        [bombs.header_row(TERRITORY), b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'],
        strings=[[bytes(range(65, 91)) * 20_000]],  # 520,000 characters, ratio below 200
    )
    error = refused(tmp_path, path)
    assert error.code == "cell_too_long"
    with translation.override("it"):
        assert refused(tmp_path, path).message == it(
            "A text of the workbook is longer than %(max)s characters.", max="32.767"
        )


def test_shared_strings_larger_than_a_part_may_be_are_refused(tmp_path, settings):
    settings.CROCEVIA_IMPORT_MAX_PART_MB = 1
    strings = [[f"nome {n}".encode()] for n in range(200_000)]  # 3.6 MB of <si>
    path = bombs.workbook(
        tmp_path / "stringhe.xlsx", [bombs.header_row(TERRITORY)], strings=strings
    )
    assert refused(tmp_path, path).code == "zip_member_size"


def test_a_part_that_grows_a_thousand_times_is_refused(tmp_path):
    path = bombs.deep_member(tmp_path / "profonda.xlsx", 5 * 1024 * 1024)
    assert refused(tmp_path, path).code == "zip_ratio"


def test_a_workbook_larger_than_the_limit_once_uncompressed_is_refused(tmp_path, settings):
    settings.CROCEVIA_IMPORT_MAX_UNCOMPRESSED_MB = 1
    path = bombs.many_rows(tmp_path / "grande.xlsx", 30_000, TERRITORY)
    error = refused(tmp_path, path)
    assert error.code == "zip_total_size"
    with translation.override("it"):
        assert refused(tmp_path, path).message == it(
            "The file is more than %(max)s once uncompressed.", max="1 MB"
        )


def test_an_archive_of_too_many_parts_is_refused_before_zipfile_lists_them(tmp_path, settings):
    import zipfile

    settings.CROCEVIA_IMPORT_MAX_ZIP_MEMBERS = 10
    path = bombs.workbook(tmp_path / "parti.xlsx", [bombs.header_row(TERRITORY)])
    with zipfile.ZipFile(path, "a") as archive:
        for n in range(20):
            archive.writestr(f"xl/media/{n}.bin", b"")
    assert refused(tmp_path, path).code == "zip_members"


def test_a_workbook_within_the_limits_is_imported(tmp_path, settings):
    settings.CROCEVIA_IMPORT_MAX_ROWS = 2
    settings.CROCEVIA_IMPORT_MAX_COLUMNS = len(TERRITORY)
    text = ",".join(TERRITORY) + "\nZPI,Zona Pisana,050026,Pisa,PI,90118\n"
    text += "ZPI,Zona Pisana,050008,Cascina,PI,45212\n"
    report = run_import("territory", xlsx(tmp_path, text))
    assert report.ok, (report.file_error, report.errors)
    assert Zone.objects.filter(code="ZPI").exists()


# --- CSV -----------------------------------------------------------------------------------


def test_a_csv_with_more_rows_than_the_limit_is_refused_before_parsing(tmp_path, settings):
    settings.CROCEVIA_IMPORT_MAX_ROWS = 2
    header = ",".join(TERRITORY) + "\n"
    path = write(tmp_path, header + "ZPI,Zona Pisana,050026,Pisa,PI,90118\n" * 3)
    error = refused(tmp_path, path)
    assert error.code == "too_many_rows"
    path = write(tmp_path, header + "ZPI,Zona Pisana,050026,Pisa,PI,90118\n" * 2)
    assert run_import("territory", path).file_error is None


def test_a_csv_row_with_too_many_columns_or_a_too_long_cell_is_refused(tmp_path, settings):
    settings.CROCEVIA_IMPORT_MAX_COLUMNS = 10
    header = ",".join(TERRITORY) + "\n"
    path = write(tmp_path, header + "ZPI,Zona Pisana,050026,Pisa,PI,90118" + "," * 10 + "\n")
    error = refused(tmp_path, path)
    assert error.code == "too_many_columns"
    with translation.override("it"):
        assert refused(tmp_path, path).message == it(
            "Row %(row)s has more than %(max)s columns.", row="2", max="10"
        )
    settings.CROCEVIA_IMPORT_MAX_CELL_CHARS = 100
    path = write(tmp_path, header + "ZPI," + "Z" * 101 + ",050026,Pisa,PI,90118\n")
    error = refused(tmp_path, path)
    assert error.code == "cell_too_long"
    # Longer than the csv module itself reads (131,072): the same Italian error.
    path = write(tmp_path, header + 'ZPI,"' + "Z" * 200_000 + '",050026,Pisa,PI,90118\n')
    with translation.override("it"):
        assert refused(tmp_path, path).message == it(
            "A cell of row %(row)s is longer than %(max)s characters.", row="2", max="100"
        )


# --- the command and the page --------------------------------------------------------------


def test_the_command_refuses_a_bomb_in_italian_and_writes_nothing(tmp_path, settings):
    settings.CROCEVIA_IMPORT_MAX_ROWS = 1000
    path = bombs.many_rows(tmp_path / "righe.xlsx", 50_000, TERRITORY)
    with pytest.raises(CommandError) as failure:
        call_command("import", "territory", str(path))
    assert str(failure.value) == rows_message("1.000")
    assert not Zone.objects.exists()


def upload_bomb(client, path, name="sportelli.xlsx"):
    data = {"kind": "desks", "file": SimpleUploadedFile(name, path.read_bytes())}
    return client.post(reverse("interchange:index"), data)


def test_the_page_refuses_a_bomb_in_italian_and_writes_nothing(actors, login, settings, tmp_path):
    settings.CROCEVIA_IMPORT_MAX_ROWS = 1000
    path = bombs.many_rows(tmp_path / "righe.xlsx", 50_000, DESKS)
    client = login(actors.coordinator)
    response = upload_bomb(client, path)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    assert job.file_error == rows_message("1.000")
    assert job.rows == 0
    page = client.get(response.url).content.decode()
    assert rows_message("1.000") in page
    assert it("Confirm and import") not in page
    assert not Desk.objects.filter(code="x").exists()
    assert not importjobs.has_upload(job)
