"""Random rows never crash an import: each file loads or yields errors (hypothesis)."""

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crocevia.audit.tests.helpers import wipe_trail
from crocevia.interchange import parsers
from crocevia.interchange.engine import run_import, write_export
from crocevia.interchange.errors import CellError
from crocevia.interchange.kinds import get_kind
from crocevia.people.models import Person
from crocevia.testing import PersonFactory

from .helpers import load_all

pytestmark = pytest.mark.django_db

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Plausible and implausible values, so that rows get past some checks and fail others.
SAMPLES = [
    "",
    "ZPI",
    "SDS-PI",
    "CPI-PI",
    "D-PISA",
    "050026",
    "PI",
    "P1",
    "P3",
    "H1",
    "C1",
    "1",
    "2",
    "-1",
    "99999999999999999999",
    "1980-03-15",
    "31/02/2018",
    "2999-01-01",
    "15/03/1980",
    "M",
    "F",
    "IT",
    "MA",
    "it;en",
    "ar|fr",
    "sì",
    "no",
    "true",
    "referred",
    "solved",
    "information;job_search",
    "sds",
    "region",
    "work",
    "RSSMRA80C15G702U",
    "12345678903",
    "x" * 300,
    "a,b",
    'quote"d',
    "line\nbreak",
]
CELL = st.one_of(st.sampled_from(SAMPLES), st.text(max_size=12))


def _csv(header, rows, delimiter):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


KINDS = ["territory", "organisations", "desks", "persons", "contacts"]


@pytest.mark.parametrize("kind_name", KINDS)
def test_random_rows_load_or_yield_row_errors(kind_name, tmp_path):
    load_all(tmp_path)
    kind = get_kind(kind_name)
    header = kind.codes

    @SETTINGS
    @given(
        rows=st.lists(st.lists(CELL, min_size=len(header), max_size=len(header)), max_size=4),
        delimiter=st.sampled_from([",", ";"]),
        bom=st.booleans(),
    )
    def check(rows, delimiter, bom):
        text = _csv(header, rows, delimiter)
        path = tmp_path / "random.csv"
        path.write_bytes((("\ufeff" if bom else "") + text).encode("utf-8", "surrogatepass"))
        report = run_import(kind_name, path)
        if not report.ok:
            assert report.file_error is not None or report.errors
            for error in report.errors:
                assert error.reason and error.line >= 2

    check()


@SETTINGS
@given(value=st.text(max_size=30))
def test_cell_parsers_return_a_value_or_a_cell_error(value):
    for parse in (
        parsers.parse_date,
        parsers.parse_boolean,
        parsers.parse_integer,
        parsers.parse_country,
        parsers.parse_sex,
        parsers.parse_istat,
        lambda v: parsers.parse_text(v, max_length=5),
        lambda v: parsers.parse_choice(v, ["a", "b"]),
    ):
        try:
            parse(value)
        except CellError as exc:
            assert exc.reason and exc.code


# Names made of the characters that start formulas, apostrophes and ordinary ones (no
# spaces around: the reader trims them, and names never carry them).
NAME = st.text(
    alphabet=st.sampled_from([*"'-=+@\uff1d\uff0b\uff0d\uff20\u2212", *'aZè0(;"|!,']),
    min_size=1,
    max_size=12,
)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_back_every_name_exactly(fmt, tmp_path):
    """Issue 15: the apostrophe an export puts before a formula-like name is taken off by
    the import, and nothing else is: export -> import is the identity on names."""

    def fresh():
        wipe_trail()
        Person.objects.all().delete()

    @SETTINGS
    @given(names=st.lists(NAME, min_size=1, max_size=5))
    def check(names):
        fresh()
        expected = {}
        for i, name in enumerate(names):
            PersonFactory(external_id=f"N{i}", family_name=name, given_names=name[::-1])
            expected[f"N{i}"] = (name, name[::-1])
        path = tmp_path / f"persons.{fmt}"
        with open(path, "wb") as stream:
            write_export("persons", stream, fmt=fmt)
        fresh()
        report = run_import("persons", path)
        assert report.ok, (report.file_error, report.errors)
        stored = Person.objects.values_list("external_id", "family_name", "given_names")
        assert {key: (family, given) for key, family, given in stored} == expected

    check()
