"""No export or error report of the interchange carries a live formula (issue 15, item 5),
and the apostrophe a CSV export puts before a formula-like text is taken off by the import,
so export -> import gives back every name exactly."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils.html import escape

from crocevia.audit.tests.helpers import wipe_trail
from crocevia.interchange.engine import run_import
from crocevia.interchange.models import ImportJob
from crocevia.people.models import Person
from crocevia.testing import (
    FORMULA_PAYLOADS,
    PersonFactory,
    fetch_prepared,
    unsafe_csv_cells,
    workbook_texts,
)

pytestmark = pytest.mark.django_db

# Names that really start with a hyphen, an apostrophe or a formula character, and what
# looks like an escaped export but is a name of its own.
LEGITIMATE = (
    "-Rossi",
    "'t Hooft",
    "D'Angelo",
    "'-Rossi",
    "''=1+1",
    "'",
    "+39 Rossi",
    "@Bianchi",
    "=",
)
PERSON_HEADER = (
    "external_id,family_name,given_names,sex,birth_date,citizenship,birth_country,"
    "codice_fiscale,comune_istat,household_id,languages,needs_mediator,permit_type,"
    "permit_expires_on"
)


def _persons_named(names):
    return {
        f"F{i}": PersonFactory(external_id=f"F{i}", family_name=name)
        for i, name in enumerate(names)
    }


def _csv_rows(text: str, delimiter=",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _family_names(rows) -> dict[str, str]:
    header = rows[0]
    key, name = header.index("external_id"), header.index("family_name")
    return {row[key]: row[name] for row in rows[1:]}


def test_persons_csv_export_prefixes_every_formula_like_family_name_with_an_apostrophe(
    actors, login
):
    persons = _persons_named(FORMULA_PAYLOADS)
    response = login(actors.admin).get(reverse("interchange:export", args=["persons"]))
    rows = _csv_rows(b"".join(response.streaming_content).decode("utf-8"))
    assert unsafe_csv_cells(rows) == []
    names = _family_names(rows)
    for key, person in persons.items():
        assert names[key] == "'" + person.family_name


def test_persons_xlsx_export_holds_every_formula_like_family_name_as_text_not_formula(
    actors, login
):
    _persons_named(FORMULA_PAYLOADS)
    client = login(actors.admin)
    asked = client.get(reverse("interchange:export", args=["persons"]) + "?formato=xlsx")
    texts, unsafe = workbook_texts(fetch_prepared(client, asked).getvalue())
    assert unsafe == []
    for payload in FORMULA_PAYLOADS:
        assert payload in texts  # as typed: the quote prefix is a flag, not a character


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_command_writes_no_formula_and_its_file_imports_back_the_same_names(tmp_path, fmt):
    # Around a value the reader trims spaces (as it always has): names have none there.
    names = [n for n in (*FORMULA_PAYLOADS, *LEGITIMATE) if n == n.strip()]
    _persons_named(names)
    first = tmp_path / f"first.{fmt}"
    call_command("export", "persons", "--format", fmt, "--output", str(first))
    if fmt == "csv":
        rows = _csv_rows(first.read_text(encoding="utf-8"))
        assert unsafe_csv_cells(rows) == []
        assert _family_names(rows)["F0"] == "'" + names[0]
    else:
        texts, unsafe = workbook_texts(first.read_bytes())
        assert unsafe == [] and names[0] in texts

    wipe_trail()
    Person.objects.all().delete()
    call_command("import", "persons", str(first))
    assert dict(Person.objects.values_list("external_id", "family_name")) == {
        f"F{i}": name for i, name in enumerate(names)
    }
    second = tmp_path / f"second.{fmt}"
    call_command("export", "persons", "--format", fmt, "--output", str(second))
    if fmt == "csv":
        assert second.read_bytes() == first.read_bytes()
    else:
        assert workbook_texts(second.read_bytes()) == workbook_texts(first.read_bytes())


def test_importing_an_export_of_its_own_changes_nothing(tmp_path):
    names = [n for n in (*FORMULA_PAYLOADS, *LEGITIMATE) if n == n.strip()]
    _persons_named(names)
    path = tmp_path / "persons.csv"
    call_command("export", "persons", "--output", str(path))
    report = run_import("persons", path)
    assert report.ok
    assert (report.counts.created, report.counts.updated) == (0, 0)
    assert report.counts.unchanged == len(names)


def _file_with_bad_dates() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PERSON_HEADER.split(","))
    for i, payload in enumerate(FORMULA_PAYLOADS):
        writer.writerow([f"E{i}", "Rossi", "Mario", "M", payload, "IT", *[""] * 8])
    return out.getvalue()


def _error_values(rows) -> list[str]:
    return [row[2] for row in rows[1:] if row[1] == "birth_date"]


def test_import_error_report_downloaded_from_the_page_holds_no_formula(actors, login):
    client = login(actors.admin)
    response = client.post(
        reverse("interchange:index"),
        {
            "kind": "persons",
            "file": SimpleUploadedFile("p.csv", _file_with_bad_dates().encode("utf-8")),
        },
    )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    download = client.get(reverse("interchange:job_errors", args=[job.pk]))
    rows = _csv_rows(b"".join(download.streaming_content).decode("utf-8-sig"), delimiter=";")
    assert unsafe_csv_cells(rows) == []
    # The reader trims each cell; the report shows the value it read, escaped.
    expected = [payload.strip() for payload in FORMULA_PAYLOADS]
    assert _error_values(rows) == ["'" + value for value in expected]
    # The page shows the values as they were, without the file's apostrophe.
    page = client.get(response.url).content.decode()
    for value in expected:
        assert escape(value) in page
        assert escape("'" + value) not in page


def test_import_command_error_file_holds_no_formula(tmp_path):
    source = tmp_path / "p.csv"
    source.write_text(_file_with_bad_dates(), encoding="utf-8")
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError):
        call_command(
            "import", "persons", str(source), "--errors", str(errors), stdout=io.StringIO()
        )
    rows = _csv_rows(errors.read_text(encoding="utf-8"))
    assert unsafe_csv_cells(rows) == []
    assert _error_values(rows) == ["'" + payload.strip() for payload in FORMULA_PAYLOADS]
