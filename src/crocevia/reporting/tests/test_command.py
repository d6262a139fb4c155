import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation import gettext

from crocevia.reporting.indicators import KEYS

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
        assert _error("--from", "2025-01-01", "--to", "2025-12-31", "--format", "xlsx") == gettext(
            "The %(format)s export is not available yet: use --format json."
        ) % {"format": "xlsx"}
        assert _error("--from", "2025-01-01", "--to", "2025-12-31", "--top", "0") == gettext(
            "--top: “%(value)s” is not a whole number of at least 1."
        ) % {"value": "0"}
        assert _error("--from", "2025-01-01", "--to", "2025-12-31", "--format", "csv") == gettext(
            "Unknown format “%(format)s”: use json, xlsx or pdf."
        ) % {"format": "csv"}
