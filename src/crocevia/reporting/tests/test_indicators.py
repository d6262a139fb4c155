"""Every indicator of INDICATORS.md on a tiny network, each value computed by hand below.

The period is the calendar year 2025. Zone ZPI (Pisa, Cascina) has the SdS (desk
SPI-PISA) and the CPI (no desk); zone ZLI (Livorno) has the Comune di Livorno (desk
SPI-LIVORNO). Persons: p1 F IT, p2 M RO (EU), p3 F SN, p4 M unknown, p5 F SN, p6 M MA.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crocevia.core.testing import PersonFactory
from crocevia.desk.models import DeskService
from crocevia.reporting.indicators import KEYS, Scope, indicators

from .conftest import END, START, D, _case, _contact


def _services(**given):
    counts = dict.fromkeys(DeskService.objects.values_list("code", flat=True), 0)
    counts.update(given)
    return counts


def _stats(n, lo, median, mean, hi):
    return {"n": n, "min": lo, "median": Decimal(median), "mean": Decimal(mean), "max": hi}


NO_STATS = {"n": 0, "min": None, "median": None, "mean": None, "max": None}
MEETINGS_NONE = {"team": 0, "coordination": 0, "steering": 0}
SECTORS_NONE = {
    "agriculture": 0, "construction": 0, "manufacturing": 0, "logistics": 0, "catering": 0,
    "care": 0, "cleaning": 0, "health": 0, "retail": 0, "other": 0,
}  # fmt: skip
OUTCOMES_NONE = {
    "employed": 0, "traineeship": 0, "training": 0, "autonomous": 0, "moved_away": 0,
    "dropped_out": 0, "other": 0,
}  # fmt: skip


def _row(accepted=0, lapsed=0, suspended=0, processing=0, rejected=0):
    return {
        "accepted": accepted,
        "lapsed": lapsed,
        "suspended": suspended,
        "processing": processing,
        "rejected": rejected,
        "total": accepted + lapsed + suspended + processing + rejected,
    }


PISA_APPLICATIONS = _row(accepted=4, processing=1, rejected=1)
PISA_PROFILE = {
    "households": 3,
    "size_pct": {
        "1": Decimal("33.3"), "2": Decimal("33.3"), "3": Decimal("0.0"), "4": Decimal("0.0"),
        "5": Decimal("33.3"), "6+": Decimal("0.0"),
    },
    "single_parent_pct": Decimal("33.3"),
    "with_children_0_3": 1,
}  # fmt: skip


@pytest.mark.django_db
def test_organisation_report(net):
    """The SdS: its desk and its cases only; benefit applications of its Comune (Pisa)."""
    got = indicators(START, END, Scope(organisation=net.a.sds))
    expected = {
        "desk.contacts": 5,
        "desk.persons": 4,
        "desk.persons_by_sex": {"M": 2, "F": 2},
        "desk.persons_by_citizenship_group": {"IT": 1, "EU": 1, "non_EU": 1, "unknown": 1},
        "desk.top_citizenships": [["IT", 1], ["RO", 1], ["SN", 1]],
        "desk.services": _services(information=3, legal_advice=2),
        "desk.outcomes": {"solved": 3, "referred": 1, "second_level": 1},
        "cases.opened": 6,
        "cases.taken_in_charge": 3,
        "cases.by_need_class": {"work": 1, "social": 1, "complex": 2},
        "cases.by_citizenship_group": {"IT": 1, "EU": 1, "non_EU": 1, "unknown": 0},
        "cases.targets": {"SDS-PI": {"target": 15, "achieved": 3, "pct": Decimal("20.0")}},
        # [0, 1, 9, 11]: median (1 + 9) / 2, mean 21 / 4 = 5.25 → 5.3.
        "cases.wd_preassessment_to_assessment": _stats(4, 0, "5.0", "5.3", 11),
        "cases.wd_plan_to_start": _stats(2, 0, "0.5", "0.5", 1),
        "cases.plans_by_kind": {"service_pact": 1, "social_project": 1, "inclusion_project": 0},
        "cases.closed_by_outcome": {**OUTCOMES_NONE, "employed": 1},
        "benefit.applications_by_comune": {"Pisa": PISA_APPLICATIONS, "TOTAL": PISA_APPLICATIONS},
        "benefit.households_accepted": 3,
        "benefit.pct_preassessed": Decimal("66.7"),
        "benefit.wd_outcome_to_preassessment": _stats(2, 3, "7.0", "7.0", 11),
        "benefit.pct_with_project": Decimal("33.3"),
        "benefit.service_pacts": 1,
        "benefit.household_profile": PISA_PROFILE,
        # The organisation's zone: Pisa 90,118 + Cascina 45,001; two social workers, one desk.
        "network.population": 135119,
        "network.inhabitants_per_social_worker": 67560,
        "network.inhabitants_per_access_point": 135119,
        "network.meetings_with_minutes": {**MEETINGS_NONE, "coordination": 1},
        "budget.by_action": {
            "P1/A1": {"budget": 100000, "spent": 25050, "pct": Decimal("25.1")},
            "P3/A1": {"budget": 20000, "spent": 20000, "pct": Decimal("100.0")},
        },
        "language.needs_by_sector": {**SECTORS_NONE, "care": 2},
    }
    assert list(got) == list(KEYS)
    for key in KEYS:
        assert got[key] == expected[key], key


@pytest.mark.django_db
def test_zone_report(net):
    got = indicators(START, END, Scope(zone=net.a.zone))
    cascina = _row(lapsed=1)
    assert got["desk.contacts"] == 5  # the CPI has no desk; Livorno's desks never count
    assert got["desk.persons"] == 4
    assert got["cases.opened"] == 7
    assert got["cases.taken_in_charge"] == 4
    assert got["cases.by_need_class"] == {"work": 2, "social": 1, "complex": 2}
    assert got["cases.by_citizenship_group"] == {"IT": 1, "EU": 1, "non_EU": 2, "unknown": 0}
    assert got["cases.targets"] == {
        "CPI-PI": {"target": 4, "achieved": 1, "pct": Decimal("25.0")},
        "SDS-PI": {"target": 15, "achieved": 3, "pct": Decimal("20.0")},
    }
    assert got["cases.closed_by_outcome"] == {**OUTCOMES_NONE, "employed": 1, "dropped_out": 1}
    assert got["cases.wd_preassessment_to_assessment"] == _stats(4, 0, "5.0", "5.3", 11)
    assert got["benefit.applications_by_comune"] == {
        "Cascina": cascina,
        "Pisa": PISA_APPLICATIONS,
        "TOTAL": _row(accepted=4, lapsed=1, processing=1, rejected=1),
    }
    assert list(got["benefit.applications_by_comune"]) == ["Cascina", "Pisa", "TOTAL"]
    assert got["benefit.households_accepted"] == 3
    assert got["benefit.pct_preassessed"] == Decimal("66.7")
    assert got["benefit.household_profile"] == PISA_PROFILE
    assert got["budget.by_action"] == {
        "P1/A1": {"budget": 100000, "spent": 25050, "pct": Decimal("25.1")},
        "A2": {"budget": 30000, "spent": 0, "pct": Decimal("0.0")},
        "P3/A1": {"budget": 20000, "spent": 20000, "pct": Decimal("100.0")},
    }
    assert got["network.population"] == 135119
    assert got["network.meetings_with_minutes"] == {**MEETINGS_NONE, "coordination": 1}


@pytest.mark.django_db
def test_other_zone_report(net):
    got = indicators(START, END, Scope(zone=net.a.other_zone))
    assert got["desk.contacts"] == 2
    assert got["desk.persons_by_citizenship_group"] == {
        "IT": 0, "EU": 0, "non_EU": 2, "unknown": 0,
    }  # fmt: skip
    assert got["cases.taken_in_charge"] == 1
    # Santa Giulia is Livorno's holiday: 1 working day from Wed 21 to Fri 23 May.
    assert got["cases.wd_preassessment_to_assessment"] == _stats(1, 1, "1.0", "1.0", 1)
    assert got["cases.targets"] == {}
    assert got["benefit.applications_by_comune"] == {
        "Livorno": _row(accepted=1),
        "TOTAL": _row(accepted=1),
    }
    assert got["benefit.households_accepted"] == 1
    assert got["benefit.pct_preassessed"] == Decimal("100.0")
    assert got["benefit.pct_with_project"] == Decimal("0.0")
    assert got["network.meetings_with_minutes"] == {**MEETINGS_NONE, "team": 1}
    assert got["budget.by_action"] == {}
    assert got["language.needs_by_sector"] == {**SECTORS_NONE, "logistics": 1}


@pytest.mark.django_db
def test_organisation_without_desk_sees_nothing_of_the_desks_of_others(net):
    got = indicators(START, END, Scope(organisation=net.a.cpi))
    assert got["desk.contacts"] == 0
    assert got["desk.persons"] == 0
    assert got["desk.top_citizenships"] == []
    assert got["cases.opened"] == 1
    assert got["cases.by_citizenship_group"] == {"IT": 0, "EU": 0, "non_EU": 1, "unknown": 0}
    assert got["cases.wd_preassessment_to_assessment"] == NO_STATS
    assert got["benefit.wd_outcome_to_preassessment"] == NO_STATS
    # Pisa's three households accepted; none has a case at the CPI.
    assert got["benefit.pct_preassessed"] == Decimal("0.0")
    assert got["benefit.service_pacts"] == 0
    assert got["budget.by_action"] == {"A2": {"budget": 30000, "spent": 0, "pct": Decimal("0.0")}}
    assert got["language.needs_by_sector"] == SECTORS_NONE


@pytest.mark.django_db
def test_installation_report(net):
    got = indicators(START, END)
    assert got["desk.contacts"] == 7
    assert got["desk.persons"] == 6
    assert got["desk.persons_by_sex"] == {"M": 3, "F": 3}
    assert got["desk.persons_by_citizenship_group"] == {
        "IT": 1, "EU": 1, "non_EU": 3, "unknown": 1,
    }  # fmt: skip
    assert got["desk.top_citizenships"] == [["SN", 2], ["IT", 1], ["MA", 1], ["RO", 1]]
    assert got["desk.services"] == _services(information=5, legal_advice=2)
    assert got["desk.outcomes"] == {"solved": 5, "referred": 1, "second_level": 1}
    assert got["cases.opened"] == 8
    assert got["cases.taken_in_charge"] == 5
    # [0, 1, 1, 9, 11]
    assert got["cases.wd_preassessment_to_assessment"] == _stats(5, 0, "1.0", "4.4", 11)
    assert got["benefit.households_accepted"] == 4
    assert got["benefit.pct_preassessed"] == Decimal("75.0")
    assert got["benefit.household_profile"]["size_pct"]["1"] == Decimal("50.0")
    # Pisa + Cascina + Livorno = 292,119; two social workers; two desks.
    assert got["network.population"] == 292119
    assert got["network.inhabitants_per_social_worker"] == 146060
    assert got["network.inhabitants_per_access_point"] == 146060
    assert got["network.meetings_with_minutes"] == {**MEETINGS_NONE, "team": 1, "coordination": 1}
    assert got["language.needs_by_sector"] == {**SECTORS_NONE, "care": 2, "logistics": 1}


@pytest.mark.django_db
def test_top_citizenships_limit(net):
    from crocevia.reporting.indicators import desk_indicators

    got = desk_indicators(START, END, Scope(), top=2)
    assert got["desk.top_citizenships"] == [["SN", 2], ["IT", 1]]


@pytest.mark.django_db
def test_empty_denominators_are_null(net):
    got = indicators(D(2023, 1, 1), D(2023, 12, 31), Scope(organisation=net.a.sds))
    assert got["benefit.households_accepted"] == 0
    assert got["benefit.pct_preassessed"] is None
    assert got["benefit.pct_with_project"] is None
    assert got["benefit.household_profile"] == {
        "households": 0,
        "size_pct": dict.fromkeys(("1", "2", "3", "4", "5", "6+")),
        "single_parent_pct": None,
        "with_children_0_3": 0,
    }
    assert got["cases.wd_plan_to_start"] == NO_STATS
    assert got["cases.targets"] == {}
    assert got["desk.contacts"] == 0


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_rows(net):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            indicators(START, END)
        return len(ctx.captured_queries)

    before = count()
    assert before <= 45
    a = net.a
    for i in range(5):
        person = PersonFactory(citizenship="AL")
        _contact(person, a.desk, D(2025, 2, 3 + i), ["information"])
        _case(
            person, a.sds, D(2025, 2, 3), preassessed_on=D(2025, 2, 4 + i),
            assessed_on=D(2025, 2, 20), need_class="work",
        )  # fmt: skip
    assert count() == before
