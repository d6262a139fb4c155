"""core.spreadsheets: the escaping of formula-like texts and its exact inverse."""

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from crocevia.core.spreadsheets import (
    FORMULA_STARTS,
    Workbook,
    csv_writer,
    escape_cell,
    looks_like_formula,
    unescape_cell,
    workbook_bytes,
    write_xlsx_table,
)
from crocevia.testing import FORMULA_PAYLOADS, workbook_texts

# Texts made mostly of the characters that matter, so that the edge cases come up often.
TRICKY = st.text(alphabet=st.sampled_from([*FORMULA_STARTS, "'", " ", "a", "1", "\u3000"]))
TEXTS = st.one_of(TRICKY, st.text())


@given(TEXTS)
def test_unescaping_an_escaped_text_gives_it_back_exactly(text):
    assert unescape_cell(escape_cell(text)) == text


@given(TEXTS)
def test_an_escaped_text_is_never_formula_like(text):
    assert not looks_like_formula(escape_cell(text))


@given(TEXTS)
def test_a_text_that_needs_no_apostrophe_is_written_and_read_unchanged(text):
    if not looks_like_formula(text.lstrip("'")):
        assert escape_cell(text) == text
        assert unescape_cell(text) == text


@pytest.mark.parametrize("payload", FORMULA_PAYLOADS)
def test_owasp_payloads_get_an_apostrophe(payload):
    assert escape_cell(payload) == "'" + payload


@pytest.mark.parametrize(
    "value", ["Rossi", "D'Angelo", "'t Hooft", "2+3", "a=b", "", "<3", "—", "€ 12"]
)
def test_ordinary_texts_and_apostrophes_inside_a_value_are_left_alone(value):
    assert escape_cell(value) == value
    assert unescape_cell(value) == value


def test_csv_writer_prefixes_texts_and_leaves_numbers_as_numbers():
    out = io.StringIO()
    csv_writer(out, lineterminator="\n").writerow(
        ["=1+1", "-2+3", -5, Decimal("-1.50"), -2.5, None, "'-x", "Rossi"]
    )
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "'=1+1",
        "'-2+3",
        "-5",
        "-1.50",
        "-2.5",
        "",
        "''-x",
        "Rossi",
    ]


def test_workbook_stores_formula_like_texts_as_quote_prefixed_text_and_numbers_as_numbers():
    book = Workbook()
    sheet = book.active
    values = [*FORMULA_PAYLOADS, "#N/A", "=SUM(B1:B1)", "'=x", "Rossi"]
    for row, value in enumerate(values, start=1):
        sheet.cell(row=row, column=1, value=value)
    sheet["B1"] = -3
    first = workbook_bytes(book)
    assert workbook_bytes(book) == first  # saving twice adds nothing
    for data in (first, _saved(book)):
        texts, unsafe = workbook_texts(data)
        assert unsafe == []
        # "'=x" gains an apostrophe, so that the reader's unescape gives it back.
        assert texts == [*values[:-2], "''=x", "Rossi"]
        assert unescape_cell("''=x") == "'=x"
        assert load_workbook(io.BytesIO(data)).active["B1"].value == -3
    assert sheet["A1"].data_type == "f"  # the caller's book is left as it was built


def test_streamed_table_stores_formula_like_texts_as_quote_prefixed_text():
    stream = io.BytesIO()
    write_xlsx_table(stream, "persons", [["name", "n"], *[[p, -1] for p in FORMULA_PAYLOADS]])
    texts, unsafe = workbook_texts(stream.getvalue())
    assert unsafe == []
    assert texts == ["name", "n", *FORMULA_PAYLOADS]


def _saved(book) -> bytes:
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
