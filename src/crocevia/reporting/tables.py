"""The report laid out as sections of tables: one layout for the page, the XLSX and the PDF.

`report_sections(report, mask=...)` turns the object of `indicators.build_report` into
`Section`s of `Table`s. Every number shown anywhere comes from the report object through
this layout, so the page, the spreadsheet and the PDF cannot disagree with the JSON; they
differ only in how a cell is drawn (`format_cell` for text, raw values for XLSX).

Masking (issue 6): for monitoring officers a count below `MASK_BELOW` persons in a
breakdown by citizenship is replaced by `MASKED` ("<3"); the JSON of administrators is
never masked. Zero is a count below three too and is masked as well: showing zeros beside
"<3" would tell a reader which small groups are empty and which are not. Secondary
suppression (issue 15): the figures from which a "<3" could be worked out (the total and
the other parts of the same relation, in this table or another) are replaced by
`WITHHELD` ("n.d."), see `_suppress` and `suppression.py`.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django_countries import countries

from crocevia.benefits.models import Status as ApplicationStatus
from crocevia.cases.models import SIUSS_AREA, NeedClass, Outcome, PlanKind, ServiceArea
from crocevia.desk.models import Contact, DeskService, Referral, WorkSector
from crocevia.meetings.models import Meeting
from crocevia.network.models import Organisation
from crocevia.people.models import Sex
from crocevia.programmes.models import BudgetAction

from .indicators import (
    APPLICATION_STATUSES,
    CITIZENSHIP_GROUPS,
    HOUSEHOLD_SIZES,
    citizenship_group,
    organisation_case_figures,
)
from .suppression import PRIMARY, SHOWN, Figure, Relation, additive, at_most, not_less, protect
from .suppression import WITHHELD as WITHHELD_STATE

MASK_BELOW = 3
# The breakdowns by citizenship whose small cells are masked for monitoring officers.
MASKED_KEYS = frozenset(
    {"desk.persons_by_citizenship_group", "desk.top_citizenships", "cases.by_citizenship_group"}
)


class Masked:
    """A count hidden from monitoring officers: fewer than MASK_BELOW persons."""

    def __str__(self):
        return f"<{MASK_BELOW}"

    def __repr__(self):
        return "MASKED"

    def __eq__(self, other):
        return isinstance(other, Masked) and not isinstance(other, Withheld)

    def __hash__(self):
        return hash(Masked)


MASKED = Masked()


class Withheld(Masked):
    """A figure hidden so that the masked counts cannot be worked out from the totals and
    the other cells (secondary suppression, `suppression.py`). Not "<3": it may be any
    number, and a table that adds up must not claim it is small."""

    def __str__(self):
        return "n.d."

    def __repr__(self):
        return "WITHHELD"

    def __eq__(self, other):
        return isinstance(other, Withheld)

    def __hash__(self):
        return hash(Withheld)


WITHHELD = Withheld()

# Column kinds: how a cell is drawn and which number format it gets in a spreadsheet.
# DECIMAL: a Decimal with one decimal (a median, a percentage in a mixed column); an int in
# such a column is still drawn as a count.
TEXT, COUNT, PCT, DECIMAL, CENTS = "text", "count", "pct", "decimal", "cents"


@dataclass
class Column:
    label: str
    kind: str = COUNT


@dataclass
class Table:
    """One table of the report. `key` is the indicator key it shows (or a section's key
    figures); rows are lists of cells, the first one a label."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    sheet: str
    # "bar": a bar per row of `chart_column`; "range": min–max with median (working days);
    # "progress": achieved against target; "budget": spent against budget.
    chart: str | None = None
    chart_column: int = 1
    total_label: str | None = None  # a last row that is a total, drawn in bold
    note: str = ""
    masked: bool = False  # some cells were masked for this reader
    # The indicator keys whose values the table shows (default: its own key).
    shows: tuple[str, ...] = ()

    def __post_init__(self):
        if not self.shows:
            self.shows = (self.key,)

    @property
    def anchor(self) -> str:
        return "t-" + self.key.replace(".", "-").replace("_", "-")


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)


def mask_count(value, mask: bool):
    if mask and isinstance(value, int) and value < MASK_BELOW:
        return MASKED
    return value


def format_cell(value, kind: str) -> str:
    """A cell as text for the page and the PDF, in the active language's number format."""
    if value is None:
        return "—"
    if isinstance(value, Masked):
        return str(value)
    if kind == TEXT:
        return str(value)
    if kind == CENTS:
        return "€ " + number_format(Decimal(value) / 100, 2, force_grouping=True)
    if kind == PCT:
        return number_format(value, 1, force_grouping=True) + " %"
    if kind == DECIMAL and not isinstance(value, int):
        return number_format(value, 1, force_grouping=True)
    return number_format(value, 0, force_grouping=True)


def spreadsheet_value(value, kind: str):
    """A cell for openpyxl: numbers stay numbers (euros, not cents), masks and nulls text."""
    if value is None:
        return None
    if isinstance(value, Masked):
        return str(value)
    if kind == CENTS:
        return Decimal(value) / 100
    if isinstance(value, Decimal):
        return float(value)
    return value


# --- labels ----------------------------------------------------------------------------------


def _group_labels() -> dict:
    return {
        "IT": _("Italy"),
        "EU": _("Other EU countries"),
        "non_EU": _("Non-EU countries and stateless"),
        "unknown": _("Not known"),
    }


def _country(code: str) -> str:
    name = countries.name(code)
    return f"{name} ({code})" if name else code


def _choice_rows(values: dict, choices, mask: bool = False) -> list[list]:
    labels = dict(choices.choices)
    return [[str(labels.get(k, k)), mask_count(n, mask)] for k, n in values.items()]


def _stats_rows(pairs) -> list[list]:
    return [[label, s["n"], s["min"], s["median"], s["mean"], s["max"]] for label, s in pairs]


def _stats_columns() -> list[Column]:
    return [
        Column(_("Interval"), TEXT),
        Column(_("Cases"), COUNT),
        Column(_("Minimum"), COUNT),
        Column(_("Median"), DECIMAL),
        Column(_("Mean"), DECIMAL),
        Column(_("Maximum"), COUNT),
    ]


# --- sections --------------------------------------------------------------------------------


def report_sections(report: dict, *, mask: bool = False) -> list[Section]:
    """The report as sections of tables; `mask` hides small citizenship counts ("<3") and
    the cells that would give them away by subtraction ("n.d.", `_suppress`)."""
    values = report["indicators"]
    sections = [
        _desk_section(values),
        _cases_section(values),
        _benefit_section(values),
        _network_section(values),
        _areas_section(values),
        _lep_section(values, report["period"]),
    ]
    if mask:
        _suppress(sections, report)
    if "referrals" in report:
        sections.append(_referrals_section(report["referrals"]))
    return sections


def _referrals_section(counts: dict) -> Section:
    """Referrals by the receiver's kind of organisation and state (not an indicator of
    INDICATORS.md: indicators.referral_counts). Counts of referrals, not of persons."""
    states = list(Referral.State)
    kinds = dict(Organisation.Kind.choices)
    rows = []
    for kind, by_state in counts.items():
        label = str(kinds.get(kind) or _("Organisation not named"))
        cells = [by_state[state.value] for state in states]
        rows.append([label, *cells, sum(cells)])
    totals = [sum(row[i] for row in rows) for i in range(1, len(states) + 2)]
    rows.append([_("Total"), *totals])
    columns = [
        Column(_("Receiving organisation"), TEXT),
        *[Column(str(state.label)) for state in states],
        Column(_("Total")),
    ]
    table = Table(
        key="referrals.by_receiver_kind_and_state",
        title=_("Referrals by kind of receiving organisation and state"),
        columns=columns,
        rows=rows,
        sheet=_("Referrals"),
        chart=None,
        total_label=_("Total"),
        note=_("Referrals sent in the period by or to the organisations of the scope."),
    )
    return Section(key="referrals", title=_("Referrals between services"), tables=[table])


def _count_table(key, title, rows, sheet, *, chart="bar", total=None, first=None, note=""):
    first = first or _("Item")
    columns = [Column(first, TEXT), Column(_("Number"), COUNT)]
    if total is not None:
        rows = [*rows, [_("Total"), total]]
    return Table(
        key=key,
        title=title,
        columns=columns,
        rows=rows,
        sheet=sheet,
        chart=chart,
        total_label=_("Total") if total is not None else None,
        note=note,
    )


def any_withheld(sections: list[Section]) -> bool:
    """Whether a figure was withheld (secondary suppression): the note then explains it."""
    return any(
        isinstance(cell, Withheld)
        for section in sections
        for table in section.tables
        for row in table.rows
        for cell in row
    )


def _flag_masked(table: Table) -> Table:
    table.masked = any(isinstance(cell, Masked) for row in table.rows for cell in row)
    return table


def _figures_table(key, title, sheet, figures: list[tuple[str, str]], values: dict) -> Table:
    """A family's single figures as one table: (label, indicator key) per row."""
    return Table(
        key=key,
        title=title,
        columns=[Column(_("Indicator"), TEXT), Column(_("Value"), COUNT)],
        rows=[[label, values[indicator]] for label, indicator in figures],
        sheet=sheet,
        shows=tuple(indicator for _label, indicator in figures),
    )


def _groups_table(key, title, sheet, values: dict) -> Table:
    """A breakdown by citizenship group (masked for monitoring officers by `_suppress`)."""
    labels = _group_labels()
    groups = values[key]
    return _count_table(
        key,
        title,
        [[labels[g], groups.get(g, 0)] for g in CITIZENSHIP_GROUPS],
        sheet,
        first=_("Citizenship"),
    )


def _desk_section(values: dict) -> Section:
    section = Section("desk", _("Desk activity (level 1)"))
    section.tables.append(
        _figures_table(
            "desk",
            _("Desk activity: key figures"),
            _("Desk key figures"),
            [(_("Contacts"), "desk.contacts"), (_("Persons served"), "desk.persons")],
            values,
        )
    )
    sex_labels = dict(Sex.choices)
    section.tables.append(
        _count_table(
            "desk.persons_by_sex",
            _("Persons served by sex"),
            [[str(sex_labels.get(k, k)), n] for k, n in values["desk.persons_by_sex"].items()],
            _("Persons by sex"),
            total=values["desk.persons"],
            first=_("Sex"),
        )
    )
    section.tables.append(
        _groups_table(
            "desk.persons_by_citizenship_group",
            _("Persons served by citizenship"),
            _("Persons by citizenship"),
            values,
        )
    )
    section.tables.append(
        _count_table(
            "desk.top_citizenships",
            _("Most frequent citizenships"),
            [[_country(code), n] for code, n in values["desk.top_citizenships"]],
            _("Top citizenships"),
            first=_("Citizenship"),
            note=_("Persons served, by citizenship, most persons first."),
        )
    )
    services = values["desk.services"]
    names = dict(DeskService.objects.filter(code__in=list(services)).values_list("code", "name"))
    section.tables.append(
        _count_table(
            "desk.services",
            _("Services given, by type"),
            [[names.get(code, code), n] for code, n in services.items()],
            _("Services by type"),
            first=_("Service"),
            note=_("Number of contacts in which each service was given."),
        )
    )
    section.tables.append(
        _count_table(
            "desk.outcomes",
            _("Outcome of the contacts"),
            _choice_rows(values["desk.outcomes"], Contact.Outcome),
            _("Contact outcomes"),
            total=values["desk.contacts"],
            first=_("Outcome"),
        )
    )
    return section


def _cases_section(values: dict) -> Section:
    section = Section("cases", _("Cases (level 2)"))
    section.tables.append(
        _figures_table(
            "cases",
            _("Cases: key figures"),
            _("Cases key figures"),
            [
                (_("Cases opened"), "cases.opened"),
                (_("Persons taken in charge"), "cases.taken_in_charge"),
            ],
            values,
        )
    )
    section.tables.append(
        _count_table(
            "cases.by_need_class",
            _("Cases pre-assessed, by need class"),
            _choice_rows(values["cases.by_need_class"], NeedClass),
            _("Cases by need class"),
            first=_("Need class"),
        )
    )
    section.tables.append(
        _groups_table(
            "cases.by_citizenship_group",
            _("Persons taken in charge, by citizenship"),
            _("Taken in charge by citizenship"),
            values,
        )
    )
    targets = values["cases.targets"]
    names = dict(Organisation.objects.filter(code__in=list(targets)).values_list("code", "name"))
    section.tables.append(
        Table(
            key="cases.targets",
            title=_("Targets: persons taken in charge per organisation"),
            columns=[
                Column(_("Organisation"), TEXT),
                Column(_("Target"), COUNT),
                Column(_("Achieved"), COUNT),
                Column(_("% achieved"), PCT),
            ],
            rows=[
                [names.get(code, code), t["target"], t["achieved"], t["pct"]]
                for code, t in targets.items()
            ],
            sheet=_("Targets"),
            chart="progress",
            chart_column=3,
        )
    )
    section.tables.append(
        Table(
            key="cases.wd",
            shows=("cases.wd_preassessment_to_assessment", "cases.wd_plan_to_start"),
            title=_("Working days between milestones"),
            columns=_stats_columns(),
            rows=_stats_rows(
                [
                    (
                        _("From pre-assessment to assessment"),
                        values["cases.wd_preassessment_to_assessment"],
                    ),
                    (_("From plan signature to start"), values["cases.wd_plan_to_start"]),
                ]
            ),
            sheet=_("Case working days"),
            chart="range",
            note=_(
                "Working days: Monday to Friday, except national holidays and the patron "
                "day of the Comune of the case's organisation."
            ),
        )
    )
    section.tables.append(
        _count_table(
            "cases.plans_by_kind",
            _("Plans signed, by kind"),
            _choice_rows(values["cases.plans_by_kind"], PlanKind),
            _("Plans by kind"),
            first=_("Kind of plan"),
        )
    )
    section.tables.append(
        _count_table(
            "cases.closed_by_outcome",
            _("Cases closed, by outcome"),
            _choice_rows(values["cases.closed_by_outcome"], Outcome),
            _("Closed by outcome"),
            first=_("Outcome"),
        )
    )
    return section


def _benefit_section(values: dict) -> Section:
    section = Section("benefit", _("Income-support measures (REI / RdC / ADI)"))
    status_labels = dict(ApplicationStatus.choices)
    rows = []
    total = None
    for comune, line in values["benefit.applications_by_comune"].items():
        cells = [line[s] for s in APPLICATION_STATUSES] + [line["total"]]
        if comune == "TOTAL":
            total = [_("Total"), *cells]
        else:
            rows.append([comune, *cells])
    if total is not None:
        rows.append(total)
    section.tables.append(
        Table(
            key="benefit.applications_by_comune",
            title=_("Applications by Comune and status"),
            columns=[
                Column(_("Comune"), TEXT),
                *[Column(str(status_labels[s])) for s in APPLICATION_STATUSES],
                Column(_("Total")),
            ],
            rows=rows,
            sheet=_("Applications by Comune"),
            total_label=_("Total"),
            chart="bar",
            chart_column=len(APPLICATION_STATUSES) + 1,
            note=_("Applications submitted on or before the end of the period."),
        )
    )
    section.tables.append(
        Table(
            key="benefit",
            shows=(
                "benefit.households_accepted",
                "benefit.pct_preassessed",
                "benefit.pct_with_project",
                "benefit.service_pacts",
            ),
            title=_("Households accepted in the period"),
            columns=[Column(_("Indicator"), TEXT), Column(_("Value"), DECIMAL)],
            rows=[
                [
                    _("Households with an accepted application"),
                    values["benefit.households_accepted"],
                ],
                [_("% pre-assessed"), values["benefit.pct_preassessed"]],
                [
                    _("% with a social or inclusion project"),
                    values["benefit.pct_with_project"],
                ],
                [_("Households with a service pact"), values["benefit.service_pacts"]],
            ],
            sheet=_("Households accepted"),
        )
    )
    section.tables.append(
        Table(
            key="benefit.wd_outcome_to_preassessment",
            title=_("Working days from the INPS outcome to the pre-assessment"),
            columns=_stats_columns(),
            rows=_stats_rows(
                [
                    (
                        _("From INPS outcome to pre-assessment"),
                        values["benefit.wd_outcome_to_preassessment"],
                    )
                ]
            ),
            sheet=_("Benefit working days"),
            chart="range",
        )
    )
    profile = values["benefit.household_profile"]
    profile_rows = [[_("Households"), profile["households"]]]
    for size in HOUSEHOLD_SIZES:
        if size == "1":
            label = _("1 member (%)")
        elif size == "6+":
            label = _("More than 5 members (%)")
        else:
            label = _("%(n)s members (%%)") % {"n": size}
        profile_rows.append([label, profile["size_pct"][size]])
    profile_rows.append([_("Single-parent households (%)"), profile["single_parent_pct"]])
    profile_rows.append([_("Households with children aged 0–3"), profile["with_children_0_3"]])
    section.tables.append(
        Table(
            key="benefit.household_profile",
            title=_("Profile of the households accepted"),
            columns=[Column(_("Household composition"), TEXT), Column(_("Value"), DECIMAL)],
            rows=profile_rows,
            sheet=_("Household profile"),
            note=_(
                "Sizes and single parents in % of the households; ages at the end of the period."
            ),
        )
    )
    return section


def _network_section(values: dict) -> Section:
    section = Section("network", _("Network, staffing and money"))
    section.tables.append(
        Table(
            key="network",
            shows=(
                "network.population",
                "network.inhabitants_per_social_worker",
                "network.inhabitants_per_access_point",
            ),
            title=_("Population and staffing"),
            columns=[
                Column(_("Indicator"), TEXT),
                Column(_("Value"), COUNT),
                Column(_("LEP norm (at most)"), COUNT),
            ],
            rows=[
                [_("Resident population"), values["network.population"], None],
                [
                    _("Inhabitants per social worker"),
                    values["network.inhabitants_per_social_worker"],
                    5000,
                ],
                [
                    _("Inhabitants per level-1 access point"),
                    values["network.inhabitants_per_access_point"],
                    20000,
                ],
            ],
            sheet=_("Population and staffing"),
        )
    )
    section.tables.append(
        _count_table(
            "network.meetings_with_minutes",
            _("Meetings held with minutes"),
            _choice_rows(values["network.meetings_with_minutes"], Meeting.Kind),
            _("Meetings"),
            first=_("Meeting"),
            chart=None,
        )
    )
    budget = values["budget.by_action"]
    codes = [key.rsplit("/", 1)[-1] for key in budget]
    titles = dict(BudgetAction.objects.filter(code__in=codes).values_list("code", "title"))
    section.tables.append(
        Table(
            key="budget.by_action",
            title=_("Budget and expenditure by action"),
            columns=[
                Column(_("Action"), TEXT),
                Column(_("Budget"), CENTS),
                Column(_("Spent"), CENTS),
                Column(_("% spent"), PCT),
            ],
            rows=[
                [_action_label(key, titles), line["budget"], line["spent"], line["pct"]]
                for key, line in budget.items()
            ],
            sheet=_("Budget"),
            chart="budget",
            note=_("Programmes active in the period; expenditure up to the end of the period."),
        )
    )
    section.tables.append(
        _count_table(
            "language.needs_by_sector",
            _("Persons needing job-specific Italian, by work sector"),
            _choice_rows(values["language.needs_by_sector"], WorkSector),
            _("Italian by work sector"),
            first=_("Work sector"),
        )
    )
    return section


AREA_COLUMNS = ("persons", "M", "F", "IT", "EU", "non_EU", "unknown")


def _areas_section(values: dict) -> Section:
    section = Section("areas", _("Areas, partners and agreements"))
    groups = _group_labels()
    sexes = dict(Sex.choices)
    by_area = values["cases.by_area"]
    section.tables.append(
        Table(
            key="cases.by_area",
            title=_("Persons taken in charge, by service area"),
            columns=[
                Column(_("Service area"), TEXT),
                Column(_("SIUSS user area"), COUNT),
                Column(_("Persons")),
                Column(str(sexes["M"])),
                Column(str(sexes["F"])),
                *[Column(str(groups[g])) for g in CITIZENSHIP_GROUPS],
            ],
            rows=[
                [
                    str(ServiceArea(area).label),
                    SIUSS_AREA[area],
                    *[by_area[area][k] for k in AREA_COLUMNS],
                ]
                for area in ServiceArea.values
            ],
            sheet=_("By service area"),
            chart="bar",
            chart_column=2,
            note=_("Cases pre-assessed in the period with a service area."),
        )
    )
    kinds = dict(Organisation.Kind.choices)
    partners = values["network.partner_organisations_in_teams"]
    section.tables.append(
        _count_table(
            "network.partner_organisations_in_teams",
            _("Partner organisations in the teams"),
            [[str(kinds[k]), partners[k]] for k in Organisation.Kind.values],
            _("Partners in teams"),
            first=_("Kind of organisation"),
            total=partners["total"],
            note=_("Organisations with a member in a team active in the period."),
        )
    )
    agreements = values["network.agreements_active"]
    section.tables.append(
        Table(
            key="network.agreements_active",
            title=_("Agreements in force"),
            columns=[Column(_("Indicator"), TEXT), Column(_("Number"), COUNT)],
            rows=[
                [_("Agreements in force in the period"), agreements["total"]],
                [_("with a data-sharing clause"), agreements["with_data_sharing"]],
            ],
            sheet=_("Agreements"),
        )
    )
    return section


LEP_KEYS = (
    "lep.access_points",
    "lep.social_workers",
    "lep.teams",
    "lep.assessed_with_intervention",
    "lep.first_1000_days_parenting",
)


def _met(value: bool) -> str:
    return _("Met") if value else _("Not met")


def _household_met(households: int, met: int) -> str | None:
    """Every household with what it needs: met; none to count: nothing to say."""
    return None if households == 0 else _met(households == met)


def _lep_section(values: dict, period: dict) -> Section:
    """The seed's "Sintesi Obiettivi LEP": one row per zone and obligation, with the
    figures a reader can recompute and whether the obligation is met, in words; the
    period (a quarter, with the page's quarter buttons) in the title."""
    section = Section("lep", _("LEP compliance"))
    rows = []
    for zone in values["lep.access_points"]:
        access = values["lep.access_points"][zone]
        workers = values["lep.social_workers"][zone]
        teams = values["lep.teams"][zone]
        assessed = values["lep.assessed_with_intervention"][zone]
        young = values["lep.first_1000_days_parenting"][zone]
        rows += [
            [
                zone,
                _("Access points (1 per 20,000 inhabitants; 40,000 or 70,000 in large Comuni)"),
                access["required"],
                access["present"],
                None,
                _met(access["met"]),
            ],
            [
                zone,
                _("Social workers (1 per 5,000 inhabitants)"),
                workers["required"],
                workers["present"],
                None,
                _met(workers["met"]),
            ],
            [
                zone,
                _("Multidisciplinary teams active (at least 1)"),
                1,
                teams["active"],
                None,
                _met(teams["met"]),
            ],
            [
                zone,
                _("Complex households assessed, with an intervention started"),
                assessed["households"],
                assessed["with_intervention"],
                assessed["pct"],
                _household_met(assessed["households"], assessed["with_intervention"]),
            ],
            [
                zone,
                _("Of which with a child under 1,000 days, with parenting support"),
                young["households"],
                young["with_support"],
                young["pct"],
                _household_met(young["households"], young["with_support"]),
            ],
        ]
    section.tables.append(
        Table(
            key="lep",
            shows=LEP_KEYS,
            title=_("LEP obligations by zone, from %(start)s to %(end)s")
            % {
                "start": datetime.date.fromisoformat(period["from"]).strftime("%d/%m/%Y"),
                "end": datetime.date.fromisoformat(period["to"]).strftime("%d/%m/%Y"),
            },
            columns=[
                Column(_("Zone"), TEXT),
                Column(_("Obligation"), TEXT),
                Column(_("Required / households"), COUNT),
                Column(_("Present / met"), COUNT),
                Column(_("%"), PCT),
                Column(_("Outcome"), TEXT),
            ],
            rows=rows,
            sheet=_("LEP"),
            note=_(
                "Populations of the zone's Comuni; desks and social workers as registered "
                "today (their history is not kept)."
            ),
        )
    )
    return section


def _action_label(key: str, titles: dict) -> str:
    code = key.rsplit("/", 1)[-1]
    title = titles.get(code)
    return f"{key} – {title}" if title else key


def period_label(report: dict) -> str:
    start = datetime.date.fromisoformat(report["period"]["from"])
    end = datetime.date.fromisoformat(report["period"]["to"])
    return _("from %(start)s to %(end)s") % {
        "start": start.strftime("%d/%m/%Y"),
        "end": end.strftime("%d/%m/%Y"),
    }


# --- masking ---------------------------------------------------------------------------------


def _suppress(sections: list[Section], report: dict) -> None:
    """Mask the report for monitoring officers: primary cells (a count by citizenship below
    MASK_BELOW) become MASKED; the cells that would give them away (the other parts and the
    totals of the same relations, in this table or another) become WITHHELD; the countries
    below MASK_BELOW leave the top list. Every table's relations are modelled here and
    solved by `suppression.protect` (see its docstring for the rule)."""
    values = report["indicators"]
    tables = {table.key: table for section in sections for table in section.tables}
    figures: list[Figure] = []
    cells: dict[str, list[tuple[Table, int, int]]] = {}
    relations: list[Relation] = []

    def figure(key, value, *where, sensitive=False, floor=0):
        if key not in cells:
            figures.append(Figure(key, value, sensitive, floor))
            cells[key] = []
        cells[key].extend(where)

    # Desk: the persons served (a key figure and the total of the breakdown by sex), their
    # sexes and citizenship groups, and the top citizenships.
    desk, by_sex = tables["desk"], tables["desk.persons_by_sex"]
    persons = values["desk.persons"]
    figure("desk.persons", persons, (desk, desk.shows.index("desk.persons"), 1))
    figure("desk.persons", persons, (by_sex, len(by_sex.rows) - 1, 1))
    sexes = values["desk.persons_by_sex"]
    for i, sex in enumerate(sexes):
        figure(f"desk.sex.{sex}", sexes[sex], (by_sex, i, 1))
    if sum(sexes.values()) == persons:
        relations.append(additive("desk.persons", [f"desk.sex.{s}" for s in sexes]))
    groups_table = tables["desk.persons_by_citizenship_group"]
    groups = values["desk.persons_by_citizenship_group"]
    for i, group in enumerate(CITIZENSHIP_GROUPS):
        figure(f"desk.group.{group}", groups.get(group, 0), (groups_table, i, 1), sensitive=True)
    relations.append(additive("desk.persons", [f"desk.group.{g}" for g in CITIZENSHIP_GROUPS]))
    _top_list(tables["desk.top_citizenships"], values["desk.top_citizenships"], figure, relations)

    # Cases: the persons taken in charge (a key figure; for an organisation, also what it
    # achieved against its target, and the percentage that gives it away) and their groups.
    cases = tables["cases"]
    taken = values["cases.taken_in_charge"]
    figure("cases.taken", taken, (cases, cases.shows.index("cases.taken_in_charge"), 1))
    scope = report["scope"]
    targets = values["cases.targets"]
    if scope.get("kind") == "organisation" and scope["code"] in targets:
        line = targets[scope["code"]]
        if line["achieved"] == taken:
            row = list(targets).index(scope["code"])
            figure("cases.taken", taken, (tables["cases.targets"], row, 2))
            figure("cases.taken", taken, (tables["cases.targets"], row, 3))
    groups_table, needs_table = tables["cases.by_citizenship_group"], tables["cases.by_need_class"]
    where = {f"cases.group.{g}": (groups_table, i, 1) for i, g in enumerate(CITIZENSHIP_GROUPS)}
    where.update(
        {
            f"cases.need.{n}": (needs_table, i, 1)
            for i, n in enumerate(values["cases.by_need_class"])
        }
    )
    where.update(
        {
            f"cases.area.{a}": (tables["cases.by_area"], i, 2)
            for i, a in enumerate(values["cases.by_area"])
        }
    )
    case_figures, case_relations = cases_model(
        taken,
        values["cases.by_citizenship_group"],
        values["cases.by_need_class"],
        {area: line["persons"] for area, line in values["cases.by_area"].items()},
    )
    for f in case_figures:
        figure(f.key, f.value, *([where[f.key]] if f.key in where else []), sensitive=f.sensitive)
    relations.extend(case_relations)

    _without_citizenships(tables["cases.by_area"])
    _bounding_figures(tables, values, figure, relations)
    _withhold_targets_hidden_elsewhere(tables["cases.targets"], report)

    state = protect(figures, relations, below=MASK_BELOW)
    marks = {PRIMARY: MASKED, WITHHELD_STATE: WITHHELD}
    for key, where in cells.items():
        if state[key] in marks:
            for table, row, column in where:
                table.rows[row][column] = marks[state[key]]
    for table in tables.values():
        if not table.masked:
            _flag_masked(table)


def _bounding_figures(tables: dict, values: dict, figure, relations: list) -> None:
    """The figures of the same report that bound the persons served: a reader who may not
    see that total still knows it from them (persons served ≤ contacts, which the outcomes
    add up to and each service count stays under). The persons taken in charge: cases_model."""
    desk, outcomes = tables["desk"], tables["desk.outcomes"]
    contacts = values["desk.contacts"]
    figure("desk.contacts", contacts, (desk, desk.shows.index("desk.contacts"), 1))
    figure("desk.contacts", contacts, (outcomes, len(outcomes.rows) - 1, 1))
    relations.append(at_most(["desk.persons"], "desk.contacts"))
    counts = values["desk.outcomes"]
    for i, outcome in enumerate(counts):
        figure(f"desk.outcome.{outcome}", counts[outcome], (outcomes, i, 1))
    keys = [f"desk.outcome.{o}" for o in counts]
    if sum(counts.values()) == contacts:
        relations.append(additive("desk.contacts", keys))
    else:
        relations.append(at_most(keys, "desk.contacts"))
    services = tables["desk.services"]
    for i, (code, n) in enumerate(values["desk.services"].items()):
        figure(f"desk.service.{code}", n, (services, i, 1))
        relations.append(at_most([f"desk.service.{code}"], "desk.contacts"))


def cases_model(taken: int, groups: dict, needs: dict, areas: dict):
    """The persons taken in charge as the reader sees them: ([Figure], [Relation]). The
    groups by citizenship add up to them; they are at most the cases pre-assessed (by need
    class) and at least the persons of each service area. One model for a report's own
    table and for the targets of the organisations shown in another scope's report."""
    figures = [Figure("cases.taken", taken)]
    figures += [Figure(f"cases.group.{g}", groups.get(g, 0), True) for g in CITIZENSHIP_GROUPS]
    figures += [Figure(f"cases.need.{n}", v) for n, v in needs.items()]
    figures += [Figure(f"cases.area.{a}", v) for a, v in areas.items()]
    relations = [additive("cases.taken", [f"cases.group.{g}" for g in CITIZENSHIP_GROUPS])]
    if taken <= sum(needs.values()):  # every case pre-assessed has its need class
        relations.append(
            Relation((("cases.taken", 1), *((f"cases.need.{n}", -1) for n in needs)), 0, False)
        )
    relations += [at_most([f"cases.area.{a}"], "cases.taken") for a in areas]
    return figures, relations


def _withhold_targets_hidden_elsewhere(table: Table, report: dict) -> None:
    """An organisation's "achieved" is its persons taken in charge, which its own masked
    report may withhold: where it does, the targets of every other scope withhold it too
    (with its percentage, which gives it away), so that the two reports cannot be put
    together. The organisations' figures are read in three grouped queries."""
    targets = report["indicators"]["cases.targets"]
    if not targets or report["scope"].get("kind") == "organisation":
        return
    period = report["period"]
    figures_of = organisation_case_figures(
        datetime.date.fromisoformat(period["from"]),
        datetime.date.fromisoformat(period["to"]),
        list(targets),
    )
    for row, code in enumerate(targets):
        data = figures_of[code]
        state = protect(*cases_model(**data), below=MASK_BELOW)
        if state["cases.taken"] != SHOWN:
            table.rows[row][2] = WITHHELD
            table.rows[row][3] = WITHHELD


def _without_citizenships(table: Table) -> None:
    """The persons by service area, masked: without the citizenship groups. Small areas
    (child protection, disability) would put "<3" in most cells, each row adding up by sex
    and by group, and the complementary cells it would take cost seconds to prove for a
    page; masked readers get the persons and their sexes per area, never the groups."""
    first_group = len(table.columns) - len(CITIZENSHIP_GROUPS)
    table.columns = table.columns[:first_group]
    table.rows = [row[:first_group] for row in table.rows]
    table.masked = True
    omitted = _("The citizenship groups per area are not shown in masked reports.")
    table.note = f"{table.note} {omitted}".strip()


def _top_list(table: Table, top: list, figure, relations: list) -> None:
    """The top citizenships, masked: a country below MASK_BELOW is left out of the list.

    Listed with "<3", it would tell that at least one person has that citizenship: two such
    countries of one group with the group "<3" pin the group to 2 and each country to 1,
    and a list shorter than five would be known complete, so that a group with no country
    listed would be 0. Left out (the list always says so), the list is the most frequent
    citizenships with at least MASK_BELOW persons; what a reader still knows is modelled:
    Italy is the group IT, the listed countries of a group add up to at most the group,
    and the list is in order (most persons first, ties by code)."""
    kept = [(i, code, n) for i, (code, n) in enumerate(top) if n >= MASK_BELOW]
    table.rows = [table.rows[i] for i, _code, _n in kept]
    table.masked = table.masked or len(kept) < len(top)
    # Said whether or not a country was left out: else a short list without the note
    # would be known complete.
    omitted = _("Citizenships of fewer than %(n)s persons are not listed.") % {"n": MASK_BELOW}
    table.note = f"{table.note} {omitted}".strip()
    keys = []
    by_group: dict[str, list[str]] = {}
    for row, (_i, code, n) in enumerate(kept):
        group = citizenship_group(code)
        key = "desk.group.IT" if code == "IT" else f"desk.top.{code}"
        figure(key, n, (table, row, 1), sensitive=True, floor=1)
        keys.append((key, code))
        if group in ("EU", "non_EU"):
            by_group.setdefault(group, []).append(key)
    for group, parts in by_group.items():
        relations.append(at_most(parts, f"desk.group.{group}"))
    for (first, code), (second, next_code) in zip(keys, keys[1:], strict=False):
        relations.append(not_less(first, second, strictly=code > next_code))
