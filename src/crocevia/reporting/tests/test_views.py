"""The monitoring report page and its exports: who sees which scope, masking, the period
form, the tables and charts, a bounded number of queries, the exports' headers."""

import datetime
import json
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext, pgettext

from crocevia.accounts.models import Membership, Profile
from crocevia.cases.models import Stage
from crocevia.core.dates import previous_quarter, quarter_start
from crocevia.network.models import Organisation
from crocevia.reporting.indicators import Scope, build_report, to_json_value
from crocevia.testing import (
    OrganisationFactory,
    PersonFactory,
    fetch_prepared,
    make_case,
    make_member,
)

from .conftest import _contact

pytestmark = pytest.mark.django_db

PAGE = reverse("reporting:report")
YEAR_2025 = {"from": "2025-01-01", "to": "2025-12-31"}
REFUSED = "The monitoring report is for administrators, coordinators and monitoring officers."
MASKED_NOTE = (
    "“%(shown)s” means fewer than %(n)s persons: small counts by citizenship are not shown, "
    "so that nobody can be recognised from them."
)


def it(msgid: str, context: str = "") -> str:
    """The Italian the page shows for `msgid` (English until the catalogue has it)."""
    with translation.override("it"):
        return pgettext(context, msgid) if context else gettext(msgid)


def export_url(fmt: str) -> str:
    return reverse("reporting:export", args=[fmt])


class _Tables(HTMLParser):
    """The text of every cell of every <table id=...>, and the ids of the charts' SVGs."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.svgs: dict[str, list[str]] = {}  # aria-labelledby → the SVG's element names
        self._table = self._cell = self._svg = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("th", "td") and self._table is not None:
            self._cell = []
        elif tag == "svg":
            self._svg = self.svgs.setdefault(attrs.get("aria-labelledby", ""), [])
            self._svg.append(f"svg role={attrs.get('role')}")
        elif self._svg is not None:
            self._svg.append(tag)

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("th", "td") and self._cell is not None:
            self._table[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "svg":
            self._svg = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(response) -> _Tables:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser


def scope_options(response) -> list[str]:
    return [value for value, _label in _flat(response.context["form"].fields["scope"].choices)]


def _flat(choices):
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield value, label


# --- who sees what ---------------------------------------------------------------------------


def test_operators_without_a_monitoring_role_are_refused_with_a_message(actors, login):
    for user in (actors.desk_operator, actors.social_worker, actors.outsider):
        client = login(user)
        for url in (PAGE, export_url("pdf"), export_url("xlsx"), export_url("json")):
            response = client.get(url, YEAR_2025)
            assert response.status_code == 403, (user.username, url)
            assert escape(it(REFUSED)) in response.content.decode()


def test_anonymous_visitor_is_sent_to_the_login_page(client, actors):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_coordinator_sees_their_zone_by_default_and_not_the_other_zone(net, login):
    client = login(net.a.coordinator)
    response = client.get(PAGE, YEAR_2025)
    assert response.status_code == 200
    assert response.context["report"]["scope"]["code"] == "ZPI"
    assert scope_options(response) == [
        "zone:ZPI",
        "organisation:CPI-PI",
        "organisation:SDS-PI",
    ]
    assert client.get(PAGE, {**YEAR_2025, "organisation": "SDS-PI"}).status_code == 200
    for outside in ({"zone": "ZLI"}, {"organisation": "COM-LI"}, {"zone": "NOPE"}):
        assert client.get(PAGE, {**YEAR_2025, **outside}).status_code == 404, outside
        assert client.get(export_url("pdf"), {**YEAR_2025, **outside}).status_code == 404
    # Asking for the installation is outside too.
    assert client.get(PAGE, {**YEAR_2025, "scope": "installation"}).status_code == 404


def test_administrator_sees_the_installation_every_zone_and_organisation(net, login):
    response = login(net.a.admin).get(PAGE, YEAR_2025)
    assert response.status_code == 200
    assert response.context["report"]["scope"]["kind"] == "installation"
    options = scope_options(response)
    assert options[0] == "installation"
    assert {"zone:ZLI", "zone:ZPI", "organisation:COM-LI", "organisation:SDS-PI"} <= set(options)
    assert login(net.a.admin).get(PAGE, {**YEAR_2025, "zone": "ZLI"}).status_code == 200


def test_zone_office_monitoring_officer_sees_their_zone_masked(net, login):
    client = login(net.a.monitoring_officer)
    response = client.get(PAGE, {**YEAR_2025, "zone": "ZPI"})
    assert response.status_code == 200
    assert "installation" not in scope_options(response)
    assert client.get(PAGE, {**YEAR_2025, "zone": "ZLI"}).status_code == 404
    tables = parse(response).tables
    # Italy, Romania and Senegal have one person each: "<3", never the count, and out of
    # the top list (issue 15).
    assert [row[1] for row in tables["t-desk-persons-by-citizenship-group"][1:]] == ["<3"] * 4
    assert tables["t-desk-top-citizenships"][1:] == []
    assert [row[1] for row in tables["t-cases-by-citizenship-group"][1:]] == ["<3"] * 4
    # Counts that are not by citizenship stay as they are.
    assert [row[1] for row in tables["t-desk"][1:]] == ["5", "4"]
    content = response.content.decode()
    assert 'id="masked-note"' in content
    assert escape(it(MASKED_NOTE) % {"shown": "<3", "n": 3}) in content
    # No JSON for a masked reader: no button, and the address refuses.
    assert [fmt for _label, fmt, _url in response.context["exports"]] == ["xlsx", "pdf"]
    assert client.get(export_url("json"), {**YEAR_2025, "zone": "ZPI"}).status_code == 404


def test_regional_monitoring_officer_sees_the_installation_masked(net, login):
    region = OrganisationFactory(code="RT", name="Regione Toscana", kind="region", zone=None)
    officer = make_member("monitoraggio.regione", region, Profile.MONITORING_OFFICER)
    response = login(officer).get(PAGE, YEAR_2025)
    assert response.status_code == 200
    assert response.context["report"]["scope"]["kind"] == "installation"
    assert {"installation", "zone:ZLI", "organisation:COM-LI"} <= set(scope_options(response))
    assert parse(response).tables["t-desk-persons-by-citizenship-group"][1][1] == "<3"
    assert response.context["masked"] is True


def test_a_coordinator_who_is_also_monitoring_officer_is_not_masked(net, login):
    Membership.objects.create(
        user=net.a.coordinator, organisation=net.a.sds, profile=Profile.MONITORING_OFFICER
    )
    response = login(net.a.coordinator).get(PAGE, YEAR_2025)
    tables = parse(response).tables
    assert tables["t-desk-top-citizenships"][1:] == [
        ["Italia (IT)", "1"],
        ["Romania (RO)", "1"],
        ["Senegal (SN)", "1"],
    ]
    assert response.context["masked"] is False
    assert 'id="masked-note"' not in response.content.decode()


def test_monitoring_item_in_the_navigation(actors, login):
    item = f'href="{PAGE}"><span>{it("Monitoring", "navigation")}</span>'
    for user in (actors.coordinator, actors.monitoring_officer, actors.admin):
        assert item in login(user).get(reverse("home")).content.decode(), user.username
    for user in (actors.desk_operator, actors.social_worker):
        assert f'href="{PAGE}"' not in login(user).get(reverse("home")).content.decode()


# --- the page --------------------------------------------------------------------------------


def test_page_tables_show_the_report_cells_as_formatted_text(net, login):
    response = login(net.a.coordinator).get(PAGE, {**YEAR_2025, "organisation": "SDS-PI"})
    tables = parse(response).tables
    assert tables["t-desk-services"][0] == [it("Service"), it("Number")]
    assert tables["t-desk-outcomes"][-1][1] == "5"  # the total row
    assert tables["t-cases-targets"][1:] == [["SdS Zona Pisana", "15", "3", "20,0 %"]]
    assert tables["t-cases-wd"][1][1:] == ["4", "0", "5,0", "5,3", "11"]
    budget = {row[0].split(" – ")[0]: row[1:] for row in tables["t-budget-by-action"][1:]}
    assert budget["P1/A1"] == ["€ 1.000,00", "€ 250,50", "25,1 %"]
    assert tables["t-network"][1][1:] == ["135.119", "—"]
    assert tables["t-benefit-applications-by-comune"][-1] == [
        "Totale", "4", "0", "0", "1", "1", "6",
    ]  # fmt: skip
    # Every table of the layout is on the page, with <th scope> for headers and row labels.
    content = response.content.decode()
    for section in response.context["sections"]:
        for drawn in section.tables:
            assert f'<table id="{drawn.anchor}"' in content
    assert '<th scope="col"' in content and '<th scope="row">' in content


def test_charts_are_inline_svg_labelled_by_a_caption_beside_their_table(net, login):
    response = login(net.a.admin).get(PAGE, {**YEAR_2025, "zone": "ZPI"})
    svgs = parse(response).svgs
    content = response.content.decode()
    for chart_id in (
        "chart-desk-services",
        "chart-desk-top-citizenships",
        "chart-cases-by-need-class",
        "chart-cases-wd",
        "chart-benefit-wd-outcome-to-preassessment",
        "chart-cases-targets",
        "chart-budget-by-action",
    ):
        assert svgs[chart_id][0] == "svg role=img", chart_id
        assert f'<figcaption id="{chart_id}"' in content
        assert "rect" in svgs[chart_id], chart_id  # bars drawn for an administrator
    assert escape(it("The table beside the chart holds the same data.")) in content
    assert 'style="' not in content  # the CSP forbids inline styles


def test_masked_cells_are_written_and_not_drawn_as_bars(net, login):
    response = login(net.a.monitoring_officer).get(PAGE, YEAR_2025)
    svgs = parse(response).svgs
    assert "rect" not in svgs["chart-desk-persons-by-citizenship-group"]
    assert "rect" in svgs["chart-desk-services"]
    chart = next(
        d.chart
        for s in response.context["sections"]
        for d in s.tables
        if d.anchor == "t-desk-persons-by-citizenship-group"
    )
    assert [s.text for s in chart.shapes if s.kind == "text" and s.text == "<3"] == ["<3"] * 4


def test_default_period_is_this_year_to_today(net, login):
    today = timezone.localdate()
    response = login(net.a.coordinator).get(PAGE)
    assert response.status_code == 200
    assert response.context["report"]["period"] == {
        "from": today.replace(month=1, day=1).isoformat(),
        "to": today.isoformat(),
    }
    content = response.content.decode()
    assert f'value="{today.replace(month=1, day=1).isoformat()}"' in content


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2025-13-01", "to": "2025-12-31"}, "from", "Enter a valid date."),
        ({"from": "2025-01-01", "to": ""}, "to", "This field is required."),
        (
            {"from": "2025-06-01", "to": "2025-05-31"},
            "to",
            "The end of the period comes before its start.",
        ),
        (
            {"from": "2020-01-01", "to": "2025-12-31"},
            "from",
            "The period is longer than %(years)s years: choose a shorter one.",
        ),
    ],
)
def test_bad_periods_reshow_the_form_with_the_error_beside_the_field(
    net, login, query, field, message
):
    response = login(net.a.coordinator).get(PAGE, query)
    assert response.status_code == 200
    assert response.context["report"] is None
    content = response.content.decode()
    assert f'id="{field}-error"' in content
    error = content.split(f'id="{field}-error"', 1)[1].split("</div>", 1)[0]
    assert escape(it(message) % {"years": 5}) in error
    assert f'value="{query[field]}"' in content or not query[field]  # what was typed stays
    assert '<table id="t-' not in content  # no report computed
    assert client_export_status(login(net.a.coordinator), query) == 400


def client_export_status(client, query) -> int:
    return client.get(export_url("pdf"), query).status_code


def test_a_period_of_exactly_five_years_is_accepted(net, login):
    response = login(net.a.coordinator).get(PAGE, {"from": "2021-01-01", "to": "2025-12-31"})
    assert response.context["report"]["period"] == {"from": "2021-01-01", "to": "2025-12-31"}


def test_presets_and_the_scope_select_move_to_the_canonical_address(net, login):
    client = login(net.a.coordinator)
    today = timezone.localdate()
    response = client.get(
        PAGE, {**YEAR_2025, "scope": "organisation:SDS-PI", "preset": "last_year"}
    )
    last_year = today.year - 1
    assert response.status_code == 302
    assert response["Location"] == (
        f"{PAGE}?from={last_year}-01-01&to={last_year}-12-31&organisation=SDS-PI"
    )
    response = client.get(PAGE, {**YEAR_2025, "scope": "zone:ZPI", "preset": "last_12_months"})
    start = (today.replace(year=today.year - 1) + datetime.timedelta(days=1)).isoformat()
    assert response["Location"] == f"{PAGE}?from={start}&to={today.isoformat()}&zone=ZPI"
    response = client.get(PAGE, {**YEAR_2025, "scope": "organisation:CPI-PI"})
    assert response["Location"] == f"{PAGE}?from=2025-01-01&to=2025-12-31&organisation=CPI-PI"
    assert client.get(PAGE, {**YEAR_2025, "scope": "organisation:COM-LI"}).status_code == 404


def test_quarter_presets_give_the_lep_table_of_a_zone_and_quarter_in_words(net, login):
    client = login(net.a.coordinator)
    today = timezone.localdate()
    start = quarter_start(today)
    response = client.get(PAGE, {**YEAR_2025, "scope": "zone:ZPI", "preset": "this_quarter"})
    assert response["Location"] == f"{PAGE}?from={start.isoformat()}&to={today}&zone=ZPI"
    first, last = previous_quarter(today)
    response = client.get(PAGE, {**YEAR_2025, "scope": "zone:ZPI", "preset": "last_quarter"})
    assert response["Location"] == f"{PAGE}?from={first}&to={last}&zone=ZPI"
    assert (last - first).days in (89, 90, 91) and last + datetime.timedelta(days=1) == start
    # The LEP table names its period, and says met or not met in words.
    response = client.get(PAGE, {"from": "2025-04-01", "to": "2025-06-30", "zone": "ZPI"})
    content = response.content.decode()
    title = it("LEP obligations by zone, from %(start)s to %(end)s") % {
        "start": "01/04/2025",
        "end": "30/06/2025",
    }
    assert escape(title) in content
    lep = next(
        drawn
        for section in response.context["sections"]
        for drawn in section.tables
        if drawn.table.key == "lep"
    )
    outcomes = {row.cells[-1].text for row in lep.rows}
    assert outcomes <= {it("Met"), it("Not met"), ""} and it("Not met") in outcomes


def test_export_buttons_carry_the_same_query(net, login):
    response = login(net.a.admin).get(PAGE, {**YEAR_2025, "zone": "ZPI"})
    exports = {fmt: url for _label, fmt, url in response.context["exports"]}
    query = "?from=2025-01-01&to=2025-12-31&zone=ZPI"
    assert exports == {
        "xlsx": export_url("xlsx") + query,
        "pdf": export_url("pdf") + query,
        "json": export_url("json") + query,
    }
    content = response.content.decode()
    assert f'href="{export_url("pdf")}?from=2025-01-01&amp;to=2025-12-31&amp;zone=ZPI"' in content


def _more_data(net):
    """More persons, contacts, cases and organisations: the page's queries must not grow."""
    a = net.a
    for i in range(6):
        person = PersonFactory(citizenship=("AL", "UA", "PE", "CN", "NG", "MA")[i])
        _contact(person, a.desk, datetime.date(2025, 2, 3 + i), ["information", "legal_advice"])
        make_case(
            a,
            stage=Stage.PREASSESSED,
            person=person,
            opened_by=a.admin,
            preassess=False,
            referred_on=datetime.date(2025, 2, 3),
            preassessed_on=datetime.date(2025, 3, 3),
        )
    OrganisationFactory(code="COOP-X", name="Cooperativa X", kind="third_sector", zone=a.zone)


def test_the_page_is_computed_in_a_bounded_number_of_queries(
    net, login, django_assert_max_num_queries
):
    client = login(net.a.admin)
    query = {**YEAR_2025, "zone": "ZPI"}
    client.get(PAGE, query)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as before:
        assert client.get(PAGE, query).status_code == 200
    _more_data(net)
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = client.get(PAGE, query)
    assert response.context["report"]["indicators"]["desk.persons"] == 10
    # 45 before the areas, partners, agreements and LEP keys (issue 19's indicators): +7;
    # the header's unread notifications (issue 18): +1; the referrals' counts: +1.
    assert len(before.captured_queries) <= 54


# --- the exports -----------------------------------------------------------------------------


def test_json_export_is_the_report_with_attachment_headers(net, login):
    response = login(net.a.coordinator).get(export_url("json"), {**YEAR_2025, "zone": "ZPI"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        'attachment; filename="monitoraggio-ZPI-2025-01-01-2025-12-31.json"'
    )
    assert response["Cache-Control"] == "no-store"
    expected = build_report(
        datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), Scope(zone=net.a.zone)
    )
    assert json.loads(response.content) == json.loads(json.dumps(expected, default=to_json_value))


def test_pdf_export_headers_and_content(net, login):
    # Prepared by the worker: the request sends the user to the file's page.
    client = login(net.a.monitoring_officer)
    response = fetch_prepared(client, client.get(export_url("pdf"), YEAR_2025))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="monitoraggio-ZPI-2025-01-01-2025-12-31.pdf"'
    )
    assert response["Cache-Control"] == "no-store"
    assert response.getvalue().startswith(b"%PDF")


def test_xlsx_export_headers(net, login):
    client = login(net.a.admin)
    asked = client.get(export_url("xlsx"), {**YEAR_2025, "organisation": "SDS-PI"})
    response = fetch_prepared(client, asked)
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="monitoraggio-SDS-PI-2025-01-01-2025-12-31.xlsx"'
    )
    assert response["Cache-Control"] == "no-store"
    assert response.getvalue().startswith(b"PK")


def test_installation_export_file_name_and_unknown_format(net, login):
    client = login(net.a.admin)
    response = client.get(export_url("json"), YEAR_2025)
    assert response["Content-Disposition"] == (
        'attachment; filename="monitoraggio-installazione-2025-01-01-2025-12-31.json"'
    )
    assert client.get(export_url("csv"), YEAR_2025).status_code == 404


def test_region_organisation_has_a_report_too(net, login):
    region = OrganisationFactory(code="RT", name="Regione Toscana", kind="region", zone=None)
    assert Organisation.objects.get(code="RT").zone is None
    response = login(net.a.admin).get(PAGE, {**YEAR_2025, "organisation": region.code})
    assert response.status_code == 200
    assert parse(response).tables["t-desk"][1][1] == "0"


def test_demo_has_the_region_and_its_monitoring_officer_who_sees_the_installation(client):
    from io import StringIO

    from django.core.management import call_command

    for _run in range(2):  # idempotent
        call_command("demo", "--persons", "0", "--cases", "0", stdout=StringIO())
    region = Organisation.objects.get(code="RT")
    assert (region.name, region.kind, region.zone, region.comune) == (
        "Regione Toscana", "region", None, None,
    )  # fmt: skip
    officer = Membership.objects.get(user__username="monitoraggio.regione")
    assert (officer.organisation, officer.profile) == (region, Profile.MONITORING_OFFICER)
    client.force_login(officer.user)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.context["report"]["scope"]["kind"] == "installation"
    assert response.context["exports"][-1][1] == "pdf"  # masked: no JSON
