"""The layout shared by the page, the XLSX and the PDF: every number comes from the report."""

from decimal import Decimal

import pytest
from django.utils import translation

from crocevia.reporting.indicators import KEYS, Scope, build_report
from crocevia.reporting.tables import (
    CENTS,
    COUNT,
    DECIMAL,
    MASKED,
    PCT,
    Withheld,
    format_cell,
    report_sections,
    spreadsheet_value,
)

from .conftest import END, START


def _table(sections, key):
    return next(t for s in sections for t in s.tables if t.key == key)


def _cells(table):
    return {row[0]: row[1:] for row in table.rows}


@pytest.mark.django_db
def test_every_indicator_key_is_laid_out_in_some_table(net):
    report = build_report(START, END, Scope(zone=net.a.zone))
    tables = [t for s in report_sections(report) for t in s.tables]
    shown = [key for t in tables for key in t.shows]
    assert set(shown) == set(KEYS)  # every key, and nothing that is not one
    assert len({t.sheet for t in tables}) == len(tables)  # one sheet per table
    assert len({t.anchor for t in tables}) == len(tables)


@pytest.mark.django_db
def test_monitoring_officers_see_small_citizenship_counts_masked(net):
    report = build_report(START, END, Scope(zone=net.a.zone))
    values = report["indicators"]
    with translation.override("it"):
        plain = report_sections(report, mask=False)
        masked = report_sections(report, mask=True)
    groups = values["desk.persons_by_citizenship_group"]
    plain_cells = _cells(_table(plain, "desk.persons_by_citizenship_group"))
    masked_cells = _cells(_table(masked, "desk.persons_by_citizenship_group"))
    for (label, [n]), [shown] in zip(plain_cells.items(), masked_cells.values(), strict=True):
        assert n in groups.values()
        assert shown == (MASKED if n < 3 else n), label
    assert _table(masked, "desk.persons_by_citizenship_group").masked
    assert not _table(plain, "desk.persons_by_citizenship_group").masked
    # Counts that are not a breakdown by citizenship are never masked.
    assert _table(masked, "desk.persons_by_sex").rows == _table(plain, "desk.persons_by_sex").rows
    top = _table(masked, "desk.top_citizenships")
    # A country of fewer than 3 persons leaves the masked top list (issue 15: listed as
    # "<3" it would tell that its group has at least one person).
    assert [row[1] for row in top.rows] == [
        n for _code, n in values["desk.top_citizenships"] if n >= 3
    ]


def test_cells_are_drawn_in_italian():
    with translation.override("it"):
        assert format_cell(12345, COUNT) == "12.345"
        assert format_cell(Decimal("12.5"), PCT) == "12,5 %"
        assert format_cell(Decimal("3.0"), DECIMAL) == "3,0"
        assert format_cell(7, DECIMAL) == "7"
        assert format_cell(123456, CENTS) == "€ 1.234,56"
        assert format_cell(None, PCT) == "—"
        assert format_cell(MASKED, COUNT) == "<3"


def test_spreadsheet_cells_stay_numbers():
    assert spreadsheet_value(123456, CENTS) == Decimal("1234.56")
    assert spreadsheet_value(Decimal("12.5"), PCT) == 12.5
    assert spreadsheet_value(MASKED, COUNT) == "<3"
    assert spreadsheet_value(None, COUNT) is None


@pytest.mark.django_db
def test_monitoring_officers_get_the_persons_by_area_without_citizenship_groups(net):
    report = build_report(START, END, Scope(zone=net.a.zone))
    with translation.override("it"):
        plain = _table(report_sections(report, mask=False), "cases.by_area")
        masked = _table(report_sections(report, mask=True), "cases.by_area")
    groups = len(plain.columns) - len(masked.columns)
    assert groups == 4
    assert [row[:-groups] for row in plain.rows] == masked.rows
    assert all(len(row) == len(masked.columns) for row in masked.rows)
    assert masked.masked and "cittadinanza" in masked.note
    # The administrator's table has the groups, adding up to the persons of each area.
    for row in plain.rows:
        assert sum(row[-groups:]) == row[2]


@pytest.mark.django_db
def test_an_achievement_withheld_in_its_organisations_report_is_withheld_in_the_zones(net):
    """The CPI took one person in charge: its own masked report withholds the count, so
    the zone's targets must not give it; the SdS's three persons are shown in both."""
    with translation.override("it"):
        own = report_sections(build_report(START, END, Scope(organisation=net.a.cpi)), mask=True)
        zone = report_sections(build_report(START, END, Scope(zone=net.a.zone)), mask=True)
        plain = report_sections(build_report(START, END, Scope(zone=net.a.zone)))
    taken_row = _table(own, "cases").shows.index("cases.taken_in_charge")
    assert isinstance(_table(own, "cases").rows[taken_row][1], Withheld)
    targets = _table(zone, "cases.targets")
    codes = list(build_report(START, END, Scope(zone=net.a.zone))["indicators"]["cases.targets"])
    cpi, sds = targets.rows[codes.index("CPI-PI")], targets.rows[codes.index("SDS-PI")]
    assert isinstance(cpi[2], Withheld) and isinstance(cpi[3], Withheld)
    assert cpi[1] == 4  # the target itself stays
    assert sds[2:] == _table(plain, "cases.targets").rows[codes.index("SDS-PI")][2:]
    assert sds[2] == 3
