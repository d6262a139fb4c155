import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import gettext, override
from openpyxl import load_workbook

from crocevia.accounts.models import Profile
from crocevia.cases.models import Stage
from crocevia.programmes.models import Expenditure, Programme
from crocevia.programmes.selectors import programmes_of_organisation
from crocevia.testing import OrganisationFactory, make_case, make_member

from .. import services
from .helpers import IN_PERIOD, make_action, make_programme, spend

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(actors):
    programme = make_programme(actors)
    a1 = make_action(actors, programme, code="a1", amount="91774.80", priority_code="A.1.a")
    li = make_action(actors, programme, code="li", amount="30000.00", organisation=actors.other_org)
    spend(actors.coordinator, a1, "22943.70", document_reference="Fatt. 12/2019")
    spend(actors.coordinator, li, "0.10")
    spend(actors.coordinator, li, "0.20")
    services.target_set(
        actor=actors.coordinator, programme=programme, organisation=actors.sds, target_number=205
    )
    return programme


def _url(name, *args):
    return reverse(f"programmes:{name}", args=args)


# Who sees budgets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["outsider", "desk_operator", "social_worker", "monitoring_officer", "cpi_consultant"]
)
def test_operators_without_a_budget_role_get_404(actors, teams, login, who):
    client = login(getattr(actors, who))
    for url in (
        _url("list"),
        _url("detail", teams.pk),
        _url("export", teams.pk),
        _url("expenditure_create", teams.pk),
        _url("action_create", teams.pk),
    ):
        assert client.get(url).status_code == 404, url


def test_third_sector_operator_cannot_see_budgets(actors, teams, login):
    coop = OrganisationFactory(code="COOP", kind="third_sector", zone=actors.zone)
    operator = make_member("coop.op", coop, Profile.EDUCATOR)
    assert login(operator).get(_url("detail", teams.pk)).status_code == 404
    assert programmes_of_organisation(operator, actors.sds) == []


def test_coordinator_sees_their_zones_programme_and_not_another_zones(actors, teams, login):
    far_zone_org = OrganisationFactory(code="SDS-FAR", zone=actors.other_zone)
    admin_made = services.programme_create(
        actor=actors.admin,
        code="FAR",
        name="Altrove",
        fund="other",
        start_date=datetime.date(2019, 1, 1),
        end_date=datetime.date(2019, 12, 31),
        lead_organisation=far_zone_org,
    )
    client = login(actors.coordinator)
    response = client.get(_url("list"))
    assert response.status_code == 200
    assert teams.code in response.content.decode()
    assert "Altrove" not in response.content.decode()
    assert client.get(_url("detail", admin_made.pk)).status_code == 404
    assert login(actors.admin).get(_url("detail", admin_made.pk)).status_code == 200


def test_partner_zones_coordinator_sees_and_manages_the_programme(actors, teams, login):
    livorno_coordinator = make_member("coord.li", actors.other_org, Profile.COORDINATOR)
    client = login(livorno_coordinator)
    assert client.get(_url("detail", teams.pk)).status_code == 200
    assert client.get(_url("action_create", teams.pk)).status_code == 200


def test_program_manager_sees_the_programme_but_does_not_manage_it(actors, teams, login):
    manager = make_member("pm", actors.sds, Profile.PROGRAM_MANAGER)
    client = login(manager)
    response = client.get(_url("detail", teams.pk))
    assert response.status_code == 200
    assert response.context["can_record"] and not response.context["can_manage"]
    assert client.get(_url("action_create", teams.pk)).status_code == 403
    assert client.get(_url("target_set", teams.pk)).status_code == 403


def test_administrative_staff_of_a_partner_record_only_their_actions(actors, teams, login):
    clerk = make_member("amm.li", actors.other_org, Profile.ADMINISTRATIVE)
    response = login(clerk).get(_url("detail", teams.pk))
    codes = [a.code for a in response.context["expenditure_form"].fields["action"].queryset]
    assert codes == ["li"]


# The programme page ---------------------------------------------------------------------


def test_programme_page_shows_budget_spent_remaining_in_italian_format(actors, teams, login):
    client = login(actors.coordinator)
    with override("it"):
        html = client.get(_url("detail", teams.pk), HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "€ 91.774,80" in html
    assert "€ 22.943,70" in html
    assert "€ 68.831,10" in html  # a1 remaining
    assert "€ 0,30" in html  # li spent: 0.10 + 0.20
    assert "€ 29.999,70" in html  # li remaining
    assert "25,0%" in html or "25.0%" in html


def test_programme_page_queries_are_bounded(actors, teams, login, django_assert_max_num_queries):
    client = login(actors.coordinator)
    client.get(_url("detail", teams.pk))
    for i in range(6):
        action = make_action(actors, teams, code=f"x{i}", amount="10.00")
        spend(actors.coordinator, action, "1.00")
        services.case_enrol(
            actor=actors.coordinator,
            programme=teams,
            case=make_case(actors, stage=Stage.PREASSESSED, preassessed_on=IN_PERIOD),
        )
    with django_assert_max_num_queries(30):
        response = client.get(_url("detail", teams.pk))
    assert response.status_code == 200
    assert len(response.context["actions"]) == 8


def test_list_queries_are_bounded(actors, teams, login, django_assert_max_num_queries):
    for code in ("P2", "P3", "P4"):
        make_programme(actors, code=code)
    client = login(actors.coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(_url("list"))
    assert len(response.context["programmes"]) == 4


def test_coordinator_records_an_expenditure_from_the_page(actors, teams, login):
    client = login(actors.coordinator)
    a1 = teams.actions.get(code="a1")
    response = client.post(
        _url("expenditure_create", teams.pk),
        {
            "action": a1.pk,
            "spent_on": "2019-07-01",
            "amount": "1.234,56",
            "description": "Fattura URP",
            "document_reference": "F-99",
        },
    )
    assert response.status_code == 302
    assert Expenditure.objects.get(document_reference="F-99").amount == Decimal("1234.56")


def test_over_budget_shows_the_justification_field_to_the_coordinator(actors, teams, login):
    client = login(actors.coordinator)
    li = teams.actions.get(code="li")
    data = {"action": li.pk, "spent_on": "2019-07-01", "amount": "30000,00", "description": "x"}
    response = client.post(_url("expenditure_create", teams.pk), data)
    assert response.status_code == 200
    assert response.context["form"].show_justification
    assert 'name="over_budget_justification"' in response.content.decode()
    data["over_budget_justification"] = "Maggiori costi approvati"
    response = client.post(_url("expenditure_create", teams.pk), data)
    assert response.status_code == 302
    assert Expenditure.objects.filter(over_budget_justification__startswith="Maggiori").exists()


def test_over_budget_gives_no_justification_field_to_a_program_manager(actors, teams, login):
    manager = make_member("pm", actors.sds, Profile.PROGRAM_MANAGER)
    client = login(manager)
    a1 = teams.actions.get(code="a1")
    data = {
        "action": a1.pk,
        "spent_on": "2019-07-01",
        "amount": "90000",
        "description": "x",
        "over_budget_justification": "Provo",
    }
    response = client.post(_url("expenditure_create", teams.pk), data)
    assert response.status_code == 200
    assert not response.context["form"].show_justification
    assert "amount" in response.context["form"].errors
    assert Expenditure.objects.count() == 3


def test_bad_expenditure_is_shown_beside_the_field(actors, teams, login):
    client = login(actors.coordinator)
    a1 = teams.actions.get(code="a1")
    with override("it"):
        response = client.post(
            _url("expenditure_create", teams.pk),
            {"action": a1.pk, "spent_on": "2024-01-01", "amount": "-3", "description": "x"},
        )
        assert response.context["form"].errors["amount"] == [
            gettext("The amount must be greater than zero.")
        ]


def test_action_form_refuses_a_repeated_code(actors, teams, login):
    client = login(actors.coordinator)
    response = client.post(
        _url("action_create", teams.pk),
        {
            "code": "a1",
            "title": "Doppione",
            "responsible_organisation": actors.sds.pk,
            "amount": "10",
            "planned_quarters": ["2019-Q1"],
        },
    )
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    response = client.post(
        _url("action_create", teams.pk),
        {
            "code": "b1",
            "title": "Segretariato",
            "responsible_organisation": actors.sds.pk,
            "amount": "99.766,80",
            "priority_code": "A.1.c.2",
            "planned_quarters": ["2019-Q2", "2019-Q3"],
        },
    )
    assert response.status_code == 302
    b1 = teams.actions.get(code="b1")
    assert b1.amount == Decimal("99766.80")
    assert b1.planned_quarters == ["2019-Q2", "2019-Q3"]


def test_target_form_refuses_an_organisation_not_in_the_programme(actors, teams, login):
    stranger = OrganisationFactory(code="STRANGER", zone=actors.zone)
    response = login(actors.coordinator).post(
        _url("target_set", teams.pk),
        {"organisation": stranger.pk, "indicator": "cases.taken_in_charge", "target_number": 60},
    )
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors


def test_coordinator_creates_a_programme(actors, login):
    client = login(actors.coordinator)
    response = client.post(
        _url("create"),
        {
            "code": "PON-INCL",
            "name": "PON Inclusione",
            "fund": "pon_inclusione",
            "start_date": "2018-01-01",
            "end_date": "2017-12-31",
            "lead_organisation": actors.sds.pk,
        },
    )
    assert "end_date" in response.context["form"].errors
    response = client.post(
        _url("create"),
        {
            "code": "PON-INCL",
            "name": "PON Inclusione",
            "fund": "pon_inclusione",
            "start_date": "2018-01-01",
            "end_date": "2019-12-31",
            "lead_organisation": actors.sds.pk,
            "partners": [actors.cpi.pk],
        },
    )
    programme = Programme.objects.get(code="PON-INCL")
    assert response.status_code == 302
    assert set(programme.organisations.values_list("code", flat=True)) == {"SDS-PI", "CPI-PI"}


def test_coordinator_enrols_a_case_from_the_page(actors, teams, login):
    case = make_case(actors, stage=Stage.PREASSESSED, preassessed_on=IN_PERIOD)
    client = login(actors.coordinator)
    response = client.post(_url("case_enrol", teams.pk), {"case": case.pk})
    assert response.status_code == 302
    assert teams.enrolments.filter(case=case).exists()
    response = client.post(_url("case_unenrol", teams.pk, case.pk))
    assert response.status_code == 302
    assert not teams.enrolments.exists()


# Export --------------------------------------------------------------------------------


def test_xlsx_export_has_budget_and_expenditure_as_euro_numbers(actors, teams, login):
    response = login(actors.coordinator).get(_url("export", teams.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Budget", "Spese"]
    budget = wb["Budget"]
    rows = [r for r in budget.iter_rows(min_row=5, values_only=True) if r[0]]
    by_code = {r[0]: r for r in rows}
    a1 = by_code["a1"]
    assert a1[2] == "A.1.a"
    assert a1[3] == "SdS Zona Pisana"
    assert (Decimal(str(a1[4])), Decimal(str(a1[5])), Decimal(str(a1[6]))) == (
        Decimal("91774.8"),
        Decimal("22943.7"),
        Decimal("68831.1"),
    )
    assert isinstance(a1[4], int | float)
    assert "€" in budget.cell(row=5, column=5).number_format
    total = rows[-1]
    assert Decimal(str(total[4])) == Decimal("121774.8")
    assert round(Decimal(str(total[5])), 2) == Decimal("22944.00")
    spese = [r for r in wb["Spese"].iter_rows(min_row=2, values_only=True)]
    assert len(spese) == 4  # three expenditures and the total
    assert spese[0][0].date() == datetime.date(2019, 5, 10)
    assert spese[0][4] == "Fatt. 12/2019"
    assert "€" in wb["Spese"].cell(row=2, column=6).number_format


# The organisation include ----------------------------------------------------------------


def test_programmes_of_organisation_gives_its_role_and_own_budget(actors, teams):
    [programme] = programmes_of_organisation(actors.coordinator, actors.other_org)
    assert programme.organisation_line.budget == Decimal("30000.00")
    assert programme.organisation_line.spent == Decimal("0.30")
    from django.template.loader import render_to_string

    html = render_to_string(
        "programmes/_organisation_programmes.html",
        {"organisation_programmes": [programme]},
    )
    assert "€ 29.999,70" in html
