"""Every CSV and XLSX writer goes through crocevia.core.spreadsheets (issue 15, item 5).

The list of writers is generated from the source: every module of src/crocevia (tests
aside) is parsed, and

- writing CSV or building a workbook any other way (`csv.writer`, `csv.DictWriter`,
  openpyxl's `Workbook`, `ExcelWriter` or `WriteOnlyCell`, another spreadsheet library,
  pandas' `to_csv`/`to_excel`) fails, naming the file and line: only core.spreadsheets
  does it, and it writes no formula;
- each module that writes through core.spreadsheets must be in WRITERS with the test that
  gives it every formula payload (crocevia.testing.FORMULA_PAYLOADS), so a new writer comes
  with its test.
"""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "crocevia"
HELPER = SRC / "core" / "spreadsheets.py"

# The writers' names in core.spreadsheets.
WRITING_HELPERS = {"csv_writer", "SafeCsvWriter", "Workbook", "workbook_bytes", "write_xlsx_table"}

# module -> the test that feeds it every payload and finds no formula in what it writes.
WRITERS = {
    "crocevia.interchange.engine": (
        "src/crocevia/interchange/tests/test_formula_injection.py::"
        "test_export_command_writes_no_formula_and_its_file_imports_back_the_same_names"
    ),
    "crocevia.interchange.views": (
        "src/crocevia/interchange/tests/test_formula_injection.py::"
        "test_persons_csv_export_prefixes_every_formula_like_family_name_with_an_apostrophe"
    ),
    "crocevia.interchange.importjobs": (
        "src/crocevia/interchange/tests/test_formula_injection.py::"
        "test_import_error_report_downloaded_from_the_page_holds_no_formula"
    ),
    "crocevia.interchange.management.commands.import": (
        "src/crocevia/interchange/tests/test_formula_injection.py::"
        "test_import_command_error_file_holds_no_formula"
    ),
    "crocevia.programmes.export": (
        "src/crocevia/programmes/tests/test_export_formulas.py::"
        "test_expenditures_described_by_formulas_are_text_in_the_programme_workbook"
    ),
    "crocevia.site.views": (
        "src/crocevia/site/tests/test_queues.py::test_exports_hold_every_formula_like_name_as_text"
    ),
    "crocevia.benefits.export": (
        "src/crocevia/benefits/tests/test_views.py::"
        "test_exports_hold_every_formula_like_name_and_id_as_text"
    ),
    "crocevia.reporting.xlsx": (
        "src/crocevia/reporting/tests/test_xlsx_formulas.py::"
        "test_report_of_an_organisation_named_by_a_formula_holds_its_name_as_text"
    ),
}

OTHER_WRITERS = {
    "xlsxwriter",
    "xlwt",
    "odf",
    "ezodf",
    "pyexcel",
    "pyexcelerate",
    "tablib",
    "pandas",
}
OPENPYXL_WRITING = {"Workbook", "ExcelWriter", "WriteOnlyCell", "save_workbook"}
CSV_WRITING = {"writer", "DictWriter"}


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        if "tests" in path.relative_to(SRC).parts or path == HELPER:
            continue
        name = ".".join(("crocevia", *path.relative_to(SRC).with_suffix("").parts))
        yield name.removesuffix(".__init__"), path, ast.parse(path.read_text(), str(path))


def _bypasses(tree) -> list[tuple[int, str]]:
    """(line, what) of each way of writing CSV or XLSX that skips core.spreadsheets."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            module = node.value.id if isinstance(node.value, ast.Name) else None
            if (
                (module == "csv" and node.attr in CSV_WRITING)
                or (module == "openpyxl" and node.attr in (*OPENPYXL_WRITING, "writer"))
                or node.attr in ("to_csv", "to_excel")
            ):
                found.append((node.lineno, f"{module or '…'}.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            names = {alias.name for alias in node.names}
            if (
                (node.module == "csv" and names & CSV_WRITING)
                or (root == "openpyxl" and names & OPENPYXL_WRITING)
                or node.module.startswith("openpyxl.writer")
                or root in OTHER_WRITERS
            ):
                found.append((node.lineno, f"from {node.module} import {', '.join(names)}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("openpyxl.writer") or (
                    alias.name.split(".")[0] in OTHER_WRITERS
                ):
                    found.append((node.lineno, f"import {alias.name}"))
    return found


def _uses_writing_helpers(tree) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "crocevia.core.spreadsheets"
        and {alias.name for alias in node.names} & WRITING_HELPERS
        for node in ast.walk(tree)
    )


def test_no_module_writes_csv_or_xlsx_without_core_spreadsheets():
    bypasses = [
        f"{path.relative_to(SRC.parent)}:{line}: {what}"
        for _name, path, tree in _modules()
        for line, what in _bypasses(tree)
    ]
    assert bypasses == [], "write through crocevia.core.spreadsheets instead:\n" + "\n".join(
        bypasses
    )


def test_every_writer_is_listed_with_its_formula_test():
    writers = {name for name, _path, tree in _modules() if _uses_writing_helpers(tree)}
    assert writers == set(WRITERS), (
        "add the new writer to WRITERS with a test that gives it crocevia.testing.FORMULA_PAYLOADS"
    )
    root = SRC.parents[1]
    for test in WRITERS.values():
        path, name = test.split("::")
        assert f"def {name}(" in (root / path).read_text(), test


def test_the_guard_recognises_each_way_round_the_helper():
    source = """
import csv, openpyxl
import xlsxwriter
from csv import DictWriter
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter
from openpyxl.cell import WriteOnlyCell
csv.writer(f)
openpyxl.Workbook()
frame.to_csv(path)
"""
    assert sorted(line for line, _what in _bypasses(ast.parse(source))) == [3, 4, 5, 6, 7, 8, 9, 10]
    harmless = "import csv\nfrom openpyxl import load_workbook\ncsv.reader(f)\n"
    assert _bypasses(ast.parse(harmless)) == []
