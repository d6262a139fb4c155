"""Every indicator of INDICATORS.md on a tiny network, each value computed by hand below.

The period is the calendar year 2025. Zone ZPI (Pisa, Cascina) has the SdS (desk
SPI-PISA) and the CPI (no desk); zone ZLI (Livorno) has the Comune di Livorno (desk
SPI-LIVORNO). Persons: p1 F IT, p2 M RO (EU), p3 F SN, p4 M unknown, p5 F SN, p6 M MA.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crocevia.cases.models import Case, ServiceArea, Stage, TeamMember
from crocevia.desk.models import DeskService
from crocevia.interventions.models import Intervention, InterventionType
from crocevia.network.lep import required_access_points
from crocevia.network.models import Agreement, AgreementParty, Organisation
from crocevia.reporting.indicators import KEYS, Scope, indicators
from crocevia.testing import PersonFactory, make_case

from .conftest import END, START, D, _contact


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


AREAS_NONE = {
    area: dict.fromkeys(("persons", "M", "F", "IT", "EU", "non_EU", "unknown"), 0)
    for area in ServiceArea.values
}
KINDS_NONE = dict.fromkeys(Organisation.Kind.values, 0)


def _area(**counts) -> dict:
    return {**AREAS_NONE["other"], **counts}


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
        # k1 (p1) economic hardship, k4 (p1 again) families; k2 (p2) and k3 (p3) have no
        # area (as imported from a register without one): not counted in any.
        "cases.by_area": {
            **AREAS_NONE,
            "economic_hardship": _area(persons=1, F=1, IT=1),
            "families_prevention": _area(persons=1, F=1, IT=1),
        },
        "network.partner_organisations_in_teams": {**KINDS_NONE, "total": 0},
        "network.agreements_active": {"total": 0, "with_data_sharing": 0},
        # Pisa 90,118 and Cascina 45,001 are both over 40,000: 3 + 2 access points; one
        # level-1 desk. 135,119 / 5,000 → 28 social workers; two.
        "lep.access_points": {"ZPI": {"required": 5, "present": 1, "met": False}},
        "lep.social_workers": {"ZPI": {"required": 28, "present": 2, "met": False}},
        "lep.teams": {"ZPI": {"active": 0, "met": False}},
        # k4: complex, assessed 16 June 2025, no intervention; h1 has a toddler born
        # 1 March 2023 (837 days old).
        "lep.assessed_with_intervention": {
            "ZPI": {"households": 1, "with_intervention": 0, "pct": Decimal("0.0")}
        },
        "lep.first_1000_days_parenting": {
            "ZPI": {"households": 1, "with_support": 0, "pct": Decimal("0.0")}
        },
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
        make_case(
            a, stage=Stage.ASSESSED, person=person, opened_by=a.admin, preassess=False,
            referred_on=D(2025, 2, 3), preassessed_on=D(2025, 2, 4 + i), assessed_on=D(2025, 2, 20),
        )  # fmt: skip
    assert count() == before


def _intervention(case, code, status, starts_on, provider, actor):
    return Intervention.objects.create(
        case=case,
        type=InterventionType.objects.get(code=code),
        provider=provider,
        status=status,
        starts_on=starts_on,
        created_by=actor,
    )


def _agreement(title, valid_from, valid_until, parties):
    agreement = Agreement.objects.create(
        title=title, kind="convention", signed_on=valid_from, valid_from=valid_from,
        valid_until=valid_until,
    )  # fmt: skip
    for organisation, parts in parties:
        AgreementParty.objects.create(
            agreement=agreement, organisation=organisation, shared_parts=parts
        )
    return agreement


@pytest.mark.django_db
def test_teams_partners_agreements_and_the_household_obligations(net):
    a = net.a
    Case.objects.filter(pk=net.k4.pk).update(team_formed_on=D(2025, 6, 16))
    for user, organisation in ((a.social_worker, a.sds), (a.cpi_consultant, a.cpi)):
        TeamMember.objects.create(
            case=net.k4, user=user, organisation=organisation, role="member",
            added_on=D(2025, 6, 16), added_by=a.coordinator,
        )  # fmt: skip
    # Left before the period: not a partner of 2025.
    TeamMember.objects.create(
        case=net.k4, user=a.outsider, organisation=a.other_org, role="member",
        added_on=D(2024, 12, 1), removed_on=D(2024, 12, 31), added_by=a.coordinator,
    )  # fmt: skip
    _intervention(net.k4, "mediazione-familiare", "active", D(2025, 7, 1), a.sds, a.admin)
    _agreement(
        "In vigore", D(2024, 1, 1), D(2025, 3, 31), [(a.sds, ["registry"]), (a.other_org, [])]
    )
    _agreement("Scaduto", D(2023, 1, 1), D(2024, 12, 31), [(a.sds, ["plan"]), (a.cpi, [])])
    _agreement("Futuro", D(2026, 1, 1), None, [(a.sds, []), (a.cpi, [])])
    _agreement("Aperto", D(2025, 6, 1), None, [(a.sds, []), (a.cpi, [])])

    got = indicators(START, END, Scope(zone=a.zone))
    assert got["network.partner_organisations_in_teams"] == {
        **KINDS_NONE, "sds": 1, "cpi": 1, "total": 2,
    }  # fmt: skip
    assert got["network.agreements_active"] == {"total": 2, "with_data_sharing": 1}
    assert got["lep.teams"] == {"ZPI": {"active": 1, "met": True}}
    assert got["lep.assessed_with_intervention"] == {
        "ZPI": {"households": 1, "with_intervention": 1, "pct": Decimal("100.0")}
    }
    assert got["lep.first_1000_days_parenting"] == {
        "ZPI": {"households": 1, "with_support": 1, "pct": Decimal("100.0")}
    }
    other = indicators(START, END, Scope(zone=a.other_zone))
    assert other["network.agreements_active"] == {"total": 1, "with_data_sharing": 1}
    assert other["network.partner_organisations_in_teams"]["total"] == 0
    assert other["lep.teams"] == {"ZLI": {"active": 0, "met": False}}
    # An intervention started after the period does not meet the obligation of the period.
    until_june = indicators(START, D(2025, 6, 30), Scope(zone=a.zone))
    assert until_june["lep.assessed_with_intervention"]["ZPI"]["with_intervention"] == 0
    # The installation: one row per zone.
    assert set(indicators(START, END)["lep.access_points"]) == {"ZLI", "ZPI"}


def test_required_access_points_follow_the_three_population_rules():
    # (population, in a metropolitan city): Comuni of 40,000 or fewer share one pool,
    # metropolitan or not: 45,000 → 3.
    assert required_access_points([(30000, True), (15000, False)]) == 3
    # A large Comune of a metropolitan city (Florence): 1 per 70,000; elsewhere per 40,000.
    assert required_access_points([(382000, True), (30000, True), (15000, False)]) == 3 + 6
    assert required_access_points([(382000, False)]) == 10
    assert required_access_points([(40000, False)]) == 2
    assert required_access_points([(40001, False)]) == 2
    assert required_access_points([]) == 0
