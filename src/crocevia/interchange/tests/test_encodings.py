"""CSV files as Italian offices save them: UTF-8 with or without BOM, UTF-16 with BOM
(Excel's "Testo Unicode", tab separated), Windows-1252 (Excel's "CSV (delimitato dal
separatore di elenco)", semicolons); what cannot be read gets an error naming why.

The same persons, saved each way, import to the same records through the command and
through the page; the check says the encoding and separator it found and shows the names
with accents as it read them.
"""

import codecs
import csv
import io
import tracemalloc

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from crocevia.interchange import charset, importjobs, limits
from crocevia.interchange.engine import run_import
from crocevia.interchange.kinds import get_kind
from crocevia.interchange.models import ImportJob
from crocevia.interchange.reader import open_table
from crocevia.people.models import Person

from .helpers import stored_names

pytestmark = pytest.mark.django_db

HEADER = ["external_id", "family_name", "given_names", "sex", "birth_date", "citizenship"]
PEOPLE = [
    ["P1", "Šabani", "Niccolò", "M", "1980-03-15", "AL"],
    ["P2", "Çelik", "Ngoné", "F", "1990-02-01", "SN"],
    ["P3", "Rossi", "Mario", "M", "1975-11-30", "IT"],
    ["P4", "Dubœuf", "Zoë", "F", "2001-07-04", "FR"],
]
# Every name with a letter outside ASCII, in the order the file holds them.
ACCENTED = ["Šabani", "Niccolò", "Çelik", "Ngoné", "Dubœuf"]
# Languages: a list, `;` in a comma or tab file, `|` in a semicolon one.
LANGUAGES = {",": "it;sq", ";": "it|sq", "\t": "it;sq"}


def people_csv(delimiter: str) -> str:
    text = io.StringIO()
    # As Excel writes: CRLF line ends.
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([*HEADER, "languages"])
    for row in PEOPLE:
        writer.writerow([*row, LANGUAGES[delimiter] if row[0] == "P1" else ""])
    return text.getvalue()


def encode(text: str, how: str) -> bytes:
    if how == "utf-16-le":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if how == "utf-16-be":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(how)


# (how the file is saved, separator, encoding found, Italian line of the check)
SAVED = [
    ("utf-8", ",", "utf-8", "Codifica: UTF-8 · Separatore: virgola"),
    ("utf-8-sig", ";", "utf-8-sig", "Codifica: UTF-8 con BOM · Separatore: punto e virgola"),
    ("utf-16-le", "\t", "utf-16", "Codifica: UTF-16 (Testo Unicode) · Separatore: tabulazione"),
    ("utf-16-be", "\t", "utf-16", "Codifica: UTF-16 (Testo Unicode) · Separatore: tabulazione"),
    ("cp1252", ";", "cp1252", "Codifica: Windows-1252 · Separatore: punto e virgola"),
    ("cp1252", ",", "cp1252", "Codifica: Windows-1252 · Separatore: virgola"),
]
SAVED_IDS = ["utf8-comma", "utf8bom-semicolon", "utf16le-tab", "utf16be-tab", "cp1252-semicolon",
             "cp1252-comma"]  # fmt: skip


def saved_file(tmp_path, how, delimiter, name="persone.csv"):
    path = tmp_path / name
    path.write_bytes(encode(people_csv(delimiter), how))
    return path


def imported_people():
    return sorted(
        Person.objects.values_list(
            "external_id", "family_name", "given_names", "citizenship", "languages"
        )
    )


EXPECTED_PEOPLE = [
    ("P1", "Šabani", "Niccolò", "AL", ["it", "sq"]),
    ("P2", "Çelik", "Ngoné", "SN", []),
    ("P3", "Rossi", "Mario", "IT", []),
    ("P4", "Dubœuf", "Zoë", "FR", []),
]


def it(msgid: str) -> str:
    with translation.override("it"):
        text = translation.gettext(msgid)
    assert text != msgid, f"missing Italian translation for {msgid!r}"
    return text


# --- the same file, saved six ways --------------------------------------------------------------


@pytest.mark.parametrize(("how", "delimiter", "encoding", "said"), SAVED, ids=SAVED_IDS)
def test_the_command_imports_every_saving_alike_and_says_what_it_found(
    tmp_path, capsys, how, delimiter, encoding, said
):
    call_command("import", "persons", str(saved_file(tmp_path, how, delimiter)))
    out = capsys.readouterr().out
    assert said in out
    assert imported_people() == EXPECTED_PEOPLE


@pytest.mark.parametrize(("how", "delimiter", "encoding", "said"), SAVED, ids=SAVED_IDS)
def test_the_check_report_carries_the_encoding_separator_and_names_as_read(
    tmp_path, how, delimiter, encoding, said
):
    report = run_import("persons", saved_file(tmp_path, how, delimiter), dry_run=True)
    assert report.ok, (report.file_error, report.errors)
    assert (report.encoding, report.delimiter) == (encoding, delimiter)
    assert report.sample == ACCENTED
    assert not Person.objects.exists()


@pytest.mark.parametrize(("how", "delimiter", "encoding", "said"), SAVED, ids=SAVED_IDS)
def test_the_page_checks_shows_how_it_read_the_file_and_imports_it(
    actors, login, settings, tmp_path, how, delimiter, encoding, said
):
    client = login(actors.admin)
    upload = SimpleUploadedFile("persone.csv", encode(people_csv(delimiter), how))
    response = client.post(reverse("interchange:index"), {"kind": "persons", "file": upload})
    job = ImportJob.objects.get()
    assert (job.status, job.file_error) == (ImportJob.Status.VALID, "")
    assert (job.encoding, job.delimiter) == (encoding, delimiter)
    page = client.get(response.url).content.decode()
    assert said in page
    assert it("Names with accents as read from the file:") in page
    assert "<strong>Šabani</strong>, <strong>Niccolò</strong>, <strong>Çelik</strong>" in page
    assert not Person.objects.exists()

    client.post(reverse("interchange:job_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert imported_people() == EXPECTED_PEOPLE
    # The names read go with the upload; how the file was read stays on the job's page.
    assert importjobs.check_sample(job) == []
    assert stored_names() == []
    page = client.get(response.url).content.decode()
    assert said in page and "Niccolò" not in page


def test_an_xlsx_check_says_no_encoding(actors, login, settings, tmp_path):
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(people_csv(","))):
        book.active.append(row)
    stream = io.BytesIO()
    book.save(stream)
    client = login(actors.admin)
    upload = SimpleUploadedFile("persone.xlsx", stream.getvalue())
    response = client.post(reverse("interchange:index"), {"kind": "persons", "file": upload})
    job = ImportJob.objects.get()
    assert (job.status, job.encoding, job.delimiter) == (ImportJob.Status.VALID, "", "")
    page = client.get(response.url).content.decode()
    assert 'id="job-encoding"' not in page and 'id="import-sample"' not in page


# --- files that cannot be read --------------------------------------------------------------


def refused(tmp_path, data: bytes):
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    with translation.override("it"):
        report = run_import("persons", path)
    assert report.file_error is not None and not report.written
    assert not Person.objects.exists()
    return report.file_error


GOOD = people_csv(",")
NOT_A_TABLE = "Questo non è un file CSV o XLSX."


@pytest.mark.parametrize(
    ("data", "code", "italian"),
    [
        # Windows-1252 leaves 0x81 undefined: the first bytes are not UTF-8 either.
        (
            GOOD.encode("cp1252") + b"P9,Ng\x81,Ada,F,1990-01-01,IT,\r\n",
            "encoding",
            "Il file non è in UTF-8 né in Windows-1252: la riga 6 contiene un byte (0x81)",
        ),
        # Valid UTF-8 up to a byte that is not; Windows-1252 read from the start finds
        # "Ł" (C5 81) of line 2 undefined: the file is neither.
        (
            GOOD.replace("Šabani", "Łabani").encode() + b"P9,Ng\xe9,Ada,F,1990-01-01,IT,\r\n",
            "encoding",
            "Il file non è in UTF-8 né in Windows-1252: la riga 2 contiene",
        ),
        # It says UTF-8 with its BOM, so a byte that is not is an error, with its line.
        (
            GOOD.encode("utf-8-sig") + b"P9,Ng\xe9,Ada,F,1990-01-01,IT,\r\n",
            "encoding",
            "La riga 6 non è testo UTF-8",
        ),
        (
            codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le") + "P9,".encode("utf-16-le")
            + b"\x00\xd8" + "x\r\n".encode("utf-16-le"),  # a lone surrogate
            "encoding",
            "La riga 6 non è testo UTF-16",
        ),
        (GOOD.encode("utf-16-le"), "utf16_without_bom", "UTF-16 senza il segno iniziale (BOM)"),
        (GOOD.encode("utf-16-be"), "utf16_without_bom", "UTF-16 senza il segno iniziale (BOM)"),
        (GOOD.encode("utf-32"), "utf32", "Il file è in UTF-32"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "xls", "Excel 97-2003 (.xls)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_a_table", NOT_A_TABLE),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "not_a_table", NOT_A_TABLE),
        # A NUL further on than the first bytes: no text file.
        (GOOD.encode() * 200 + b"P9,\x00\r\n", "not_a_table", NOT_A_TABLE),
    ],
    ids=["cp1252-undefined", "utf8-then-not", "bom-then-not-utf8", "utf16-lone-surrogate",
         "utf16le-no-bom", "utf16be-no-bom", "utf32", "xls", "png", "pdf", "late-nul"],
)  # fmt: skip
def test_a_file_that_cannot_be_read_gets_an_error_naming_why(tmp_path, data, code, italian):
    error = refused(tmp_path, data)
    assert error.code == code
    assert italian in error.message


def test_the_command_and_the_page_name_the_encoding_problem_in_italian(
    actors, login, settings, tmp_path
):
    data = GOOD.encode("cp1252") + b"P9,Ng\x9d,Ada,F,1990-01-01,IT,\r\n"
    message = "Il file non è in UTF-8 né in Windows-1252: la riga 6 contiene un byte (0x9D)"
    path = tmp_path / "persone.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError) as failure:
        call_command("import", "persons", str(path))
    assert message in str(failure.value)
    assert "Salva il file come «CSV UTF-8 (delimitato da virgole)»." in str(failure.value)

    client = login(actors.admin)
    for content, expected in (
        (data, message),
        (GOOD.encode("utf-16-le"), "Il file sembra testo UTF-16 senza il segno iniziale (BOM)"),
    ):
        upload = SimpleUploadedFile("persone.csv", content)
        response = client.post(reverse("interchange:index"), {"kind": "persons", "file": upload})
        job = ImportJob.objects.latest("pk")
        assert job.status == ImportJob.Status.INVALID
        page = client.get(response.url).content.decode()
        assert expected in page
        assert it("This is not a CSV or XLSX file.") not in page
    assert not Person.objects.exists()


# --- separators -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("id,cognome,nome", ","),
        ("id;cognome;nome", ";"),
        ("id\tcognome\tnome", "\t"),
        ("id\tcognome;nome\tsesso", "\t"),
        ("Cognome, nome;Data", ","),  # as many of each: the comma, as before
        ("id", ","),
    ],
)
def test_the_separator_is_the_most_frequent_in_the_header(header, delimiter):
    assert charset.detect_delimiter(header) == delimiter


# --- limits and streaming in every encoding -------------------------------------------------


def test_rows_of_a_utf16_file_are_counted_as_characters_not_bytes(tmp_path, settings):
    settings.CROCEVIA_IMPORT_MAX_ROWS = 2
    # "上" is 0A 4E in UTF-16 LE, "Њ" 0A 04, "Ċ" 0A 01: bytes 0x0A that are no line end.
    text = (
        "\t".join(HEADER)
        + "\r\nP1\t上上上上\tЊЊ\tM\t1980-01-01\tCN\r\nP2\tĊĊĊ\tA\tF\t1990-01-01\tMT\r\n"
    )
    path = tmp_path / "file.csv"
    path.write_bytes(encode(text, "utf-16-le"))
    assert run_import("persons", path, dry_run=True).ok
    path.write_bytes(encode(text + "P3\tX\tY\tM\t1980-01-01\tIT\r\n", "utf-16-le"))
    assert refused(tmp_path, path.read_bytes()).code == "too_many_rows"


@pytest.mark.parametrize("how", ["utf-16-le", "cp1252", "utf-8-sig"])
def test_cells_are_limited_in_characters_whatever_the_encoding(tmp_path, settings, how):
    settings.CROCEVIA_IMPORT_MAX_CELL_CHARS = 12  # the longest header, given_names, is 11
    settings.CROCEVIA_IMPORT_MAX_COLUMNS = 8
    name = "Niccolò" + "ò" * 5  # 12 characters, 18 bytes in UTF-8, 24 in UTF-16
    fits = people_csv("\t").replace("Niccolò", name)
    path = tmp_path / "file.csv"
    path.write_bytes(encode(fits, how))
    assert run_import("persons", path, dry_run=True).ok
    too_long = fits.replace(name, name + "ò")
    assert refused(tmp_path, encode(too_long, how)).code == "cell_too_long"
    wide = fits.replace("\r\nP2\t", "\t\t\t\r\nP2\t")  # row 2 now has 10 cells
    assert refused(tmp_path, encode(wide, how)).code == "too_many_columns"


@pytest.mark.parametrize("how", ["utf-8", "utf-16-le", "cp1252"])
def test_chunks_cutting_characters_and_lines_change_nothing(tmp_path, monkeypatch, how):
    """Detection and row count read the file in chunks: cut anywhere, same answer."""
    monkeypatch.setattr(charset, "CHUNK", 7)
    monkeypatch.setattr(limits, "CHUNK", 7)
    text = people_csv("\t" if how.startswith("utf-16") else ";")
    path = tmp_path / "file.csv"
    path.write_bytes(encode(text, how))
    report = run_import("persons", path, dry_run=True)
    assert report.ok, report.file_error
    assert report.encoding == ("utf-16" if how == "utf-16-le" else how)
    assert report.sample == ACCENTED and report.rows == len(PEOPLE)
    # An error is found on its line however the chunks fall.
    path.write_bytes(encode(text, "cp1252") + b"P9;\x8f;A;F;1990-01-01;IT;\r\n")
    assert "riga 6 " in refused(tmp_path, path.read_bytes()).message


@pytest.mark.parametrize("how", ["utf-16-le", "cp1252"])
def test_a_large_file_is_read_in_chunks_never_whole(tmp_path, monkeypatch, how):
    """Detection, row count and reading hold a chunk and a line at a time: with 64 KiB
    chunks, opening and reading a file of 1.2 MB (2.3 MB in UTF-16) peaks at about
    200-260 KB (the whole file would be its size, or more once decoded)."""
    monkeypatch.setattr(charset, "CHUNK", 64 * 1024)
    monkeypatch.setattr(limits, "CHUNK", 64 * 1024)
    row = "\t".join(["P{}", "Šabani", "Niccolò", "M", "1980-03-15", "AL"]) + "\r\n"
    text = "\t".join(HEADER) + "\r\n" + "".join(row.format(n) for n in range(30_000))
    path = tmp_path / "big.csv"
    path.write_bytes(encode(text, how))
    size = path.stat().st_size
    assert size > 1_000_000
    columns = get_kind("persons").columns  # the kinds' modules are imported before counting
    tracemalloc.start()
    try:
        table = open_table(path, columns)
        rows = sum(1 for _ in table.rows())
        table.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (table.encoding, rows) == (("utf-16" if how == "utf-16-le" else how), 30_000)
    assert peak < size / 4, (peak, size)
