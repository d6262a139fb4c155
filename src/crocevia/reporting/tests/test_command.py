import datetime
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from pypdf import PdfReader

from crocevia.reporting.indicators import KEYS, Scope, build_report
from crocevia.reporting.management.commands.report import _write_atomically
from crocevia.reporting.xlsx import report_xlsx

REPO = Path(__file__).resolve().parents[4]
CONTRACT = REPO.parent / "shared" / "domain" / "INDICATORS.md"


def _run(*args) -> dict:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return json.loads(out.getvalue())


def test_keys_are_the_contract_keys():
    if not CONTRACT.exists():
        pytest.skip("../shared/domain/INDICATORS.md is not next to the repository")
    keys = re.findall(r"^\| `([a-z_]+\.[a-z_0-9]+)` \|", CONTRACT.read_text(), flags=re.M)
    assert keys, "no key found in the contract's tables"
    assert list(KEYS) == keys


@pytest.mark.django_db
def test_json_report_of_a_zone(net):  # noqa: F811
    report = _run("--from", "2025-01-01", "--to", "2025-12-31", "--zone", "ZPI", "--format", "json")
    assert report["period"] == {"from": "2025-01-01", "to": "2025-12-31"}
    assert report["scope"] == {"kind": "zone", "code": "ZPI", "name": "Zona Pisana"}
    assert list(report["indicators"]) == list(KEYS)
    got = report["indicators"]
    assert got["cases.taken_in_charge"] == 4
    assert got["benefit.pct_preassessed"] == 66.7
    assert got["cases.wd_preassessment_to_assessment"] == {
        "n": 4, "min": 0, "median": 5.0, "mean": 5.3, "max": 11,
    }  # fmt: skip
    assert got["budget.by_action"]["P1/A1"] == {"budget": 100000, "spent": 25050, "pct": 25.1}


@pytest.mark.django_db
def test_json_report_of_an_organisation_to_a_file(net, tmp_path):  # noqa: F811
    target = tmp_path / "report.json"
    call_command(
        "report", "--from", "2025-01-01", "--to", "2025-12-31", "--organisation", "CPI-PI",
        "--output", str(target),
    )  # fmt: skip
    report = json.loads(target.read_text(encoding="utf-8"))
    assert report["scope"]["kind"] == "organisation" and report["scope"]["code"] == "CPI-PI"
    assert report["indicators"]["desk.contacts"] == 0
    assert report["indicators"]["cases.opened"] == 1
    assert report["indicators"]["cases.wd_plan_to_start"]["median"] is None


@pytest.mark.django_db
def test_top_citizenships_length(net):  # noqa: F811
    report = _run("--from", "2025-01-01", "--to", "2025-12-31", "--top", "2")
    assert report["indicators"]["desk.top_citizenships"] == [["SN", 2], ["IT", 1]]


@pytest.mark.django_db
def test_whole_installation_and_empty_denominator_is_null(actors):
    report = _run("--from", "2025-01-01", "--to", "2025-01-01")
    assert report["scope"]["kind"] == "installation"
    assert report["indicators"]["benefit.pct_preassessed"] is None
    assert set(report["indicators"]) == set(KEYS)


def _error(*args) -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("report", *args, stdout=io.StringIO())
    return str(excinfo.value)


@pytest.mark.django_db
def test_bad_input_is_refused_in_italian(actors):
    with translation.override("it"):
        assert _error("--from", "2025-13-01", "--to", "2025-12-31") == gettext(
            "%(option)s: “%(value)s” is not a date in the form YYYY-MM-DD."
        ) % {"option": "--from", "value": "2025-13-01"}
        assert _error("--from", "2025-12-31", "--to", "2025-01-01") == gettext(
            "The start of the period (%(start)s) is after its end (%(end)s)."
        ) % {"start": "2025-12-31", "end": "2025-01-01"}
        assert _error("--from", "2025-01-01", "--to", "2025-12-31", "--zone", "NOPE") == gettext(
            "There is no zone with code “%(code)s”."
        ) % {"code": "NOPE"}
        assert _error(
            "--from", "2025-01-01", "--to", "2025-12-31", "--organisation", "NOPE"
        ) == gettext("There is no organisation with code “%(code)s”.") % {"code": "NOPE"}
        assert _error(
            "--from", "2025-01-01", "--to", "2025-12-31", "--zone", "ZPI", "--organisation",
            "SDS-PI",
        ) == gettext("Give --zone or --organisation, not both.")  # fmt: skip
        # A StringIO takes no bytes: like a terminal, the binary formats need --output.
        assert _error("--from", "2025-01-01", "--to", "2025-12-31", "--format", "xlsx") == gettext(
            "The %(format)s export is binary: give --output FILE, or redirect the standard "
            "output to a file."
        ) % {"format": "xlsx"}
        assert _error("--from", "2025-01-01", "--to", "2025-12-31", "--masked") == gettext(
            "--masked is for the xlsx and pdf exports: the JSON report is never masked."
        )
        assert _error("--from", "2025-01-01", "--to", "2025-12-31", "--top", "0") == gettext(
            "--top: “%(value)s” is not a whole number of at least 1."
        ) % {"value": "0"}
        assert _error("--from", "2025-01-01", "--to", "2025-12-31", "--format", "csv") == gettext(
            "Unknown format “%(format)s”: use json, xlsx or pdf."
        ) % {"format": "csv"}


# --- XLSX and PDF -----------------------------------------------------------------------------

YEAR = ("--from", "2025-01-01", "--to", "2025-12-31")


def _values(data: bytes) -> dict:
    """Every cell of every table sheet (the index carries the production date)."""
    book = load_workbook(io.BytesIO(data))
    return {
        ws.title: [[cell.value for cell in row] for row in ws.iter_rows()]
        for ws in book.worksheets[1:]
    }


@pytest.mark.django_db
def test_xlsx_to_a_file_is_the_workbook_of_the_report(net, tmp_path):
    target = tmp_path / "report.xlsx"
    call_command("report", *YEAR, "--zone", "ZPI", "--format", "xlsx", "--output", str(target))
    with translation.override("it"):
        report = build_report(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31),
                              Scope(zone=net.a.zone), with_referrals=True)  # fmt: skip
        expected = report_xlsx(report, mask=False)
    assert _values(target.read_bytes()) == _values(expected)
    assert "Invii" in _values(expected)  # the referrals' sheet
    assert "<3" not in str(_values(expected))
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]  # no temporary file left


@pytest.mark.django_db
def test_masked_xlsx_for_monitoring_officers(net, tmp_path):
    target = tmp_path / "masked.xlsx"
    call_command(
        "report", *YEAR, "--zone", "ZPI", "--format", "xlsx", "--masked", "--output", str(target)
    )
    book = load_workbook(target)
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert cells.count("<3") >= 4


@pytest.mark.django_db
def test_binary_export_goes_to_standard_output_when_it_is_not_a_terminal(net):
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    call_command("report", *YEAR, "--format", "xlsx", stdout=out)
    out.flush()
    data = out.buffer.getvalue()
    assert data.startswith(b"PK")
    with translation.override("it"):
        assert load_workbook(io.BytesIO(data)).sheetnames[0] == gettext("Index")


class _Terminal(io.TextIOWrapper):
    def isatty(self):
        return True


@pytest.mark.django_db
def test_binary_export_to_a_terminal_asks_for_output(actors):
    out = _Terminal(io.BytesIO(), encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("report", *YEAR, "--format", "xlsx", stdout=out)
    with translation.override("it"):
        assert str(excinfo.value) == gettext(
            "The %(format)s export is binary: give --output FILE, or redirect the standard "
            "output to a file."
        ) % {"format": "xlsx"}
    assert out.buffer.getvalue() == b""


@pytest.mark.django_db
def test_unwritable_output_is_refused_and_leaves_nothing(actors, tmp_path):
    missing = tmp_path / "no-such-dir" / "report.xlsx"
    message = _error(*YEAR, "--format", "xlsx", "--output", str(missing))
    assert message.startswith("Impossibile scrivere " + str(missing))
    message = _error(*YEAR, "--format", "json", "--output", str(tmp_path))
    assert message.startswith("Impossibile scrivere")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_no_partial_file(tmp_path):
    (tmp_path / "report.xlsx").mkdir()  # the rename onto a directory fails
    with pytest.raises(CommandError):
        _write_atomically(str(tmp_path / "report.xlsx"), b"PK" + b"x" * 1000)
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]
    assert list((tmp_path / "report.xlsx").iterdir()) == []


def test_bad_output_path_exits_non_zero_with_an_italian_message(tmp_path):
    # The output is checked before the report is computed: no database is touched.
    missing = tmp_path / "no-such-dir" / "report.xlsx"
    env = {**os.environ, "CROCEVIA_INSECURE_DEV_KEY": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "crocevia", "report", *YEAR, "--format", "xlsx",
         "--output", str(missing)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Impossibile scrivere" in result.stderr
    assert not missing.parent.exists()


@pytest.mark.django_db
def test_pdf_to_a_file(net, tmp_path):
    pytest.importorskip("crocevia.reporting.pdf")
    target = tmp_path / "report.pdf"
    call_command(
        "report", *YEAR, "--zone", "ZPI", "--format", "pdf", "--masked", "--output", str(target)
    )
    text = "".join(page.extract_text() for page in PdfReader(target).pages)
    assert target.read_bytes().startswith(b"%PDF")
    assert "Zona Pisana" in text and "<3" in text
