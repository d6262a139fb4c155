"""A coordinator records an expenditure on the programme page and sees spent and remaining
change; then an over-budget one, refused until a justification is given. axe-core checks
every page visited."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import gettext, override

from crocevia.programmes import services
from crocevia.programmes.models import Expenditure
from crocevia.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, username):
    page.goto("/accesso/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Accedi").click()
    assert "/accesso/" not in page.url


def test_coordinator_records_an_expenditure_and_sees_spent_and_remaining(page, axe_check, actors):
    programme = services.programme_create(
        actor=actors.coordinator,
        code="TEAMS",
        name="TEAMS – Tuscany Empowerment Actions for Migrant System",
        fund="fami",
        start_date=datetime.date(2018, 10, 1),
        end_date=datetime.date(2020, 12, 31),
        lead_organisation=actors.sds,
        partners=[actors.other_org],
    )
    action = services.action_create(
        actor=actors.coordinator,
        programme=programme,
        code="PI-1",
        title="Servizio di informazione e consulenza per cittadini stranieri",
        responsible_organisation=actors.sds,
        amount=Decimal("9450.65"),
        planned_quarters=["2019-Q1", "2019-Q2"],
    )
    services.target_set(
        actor=actors.coordinator, programme=programme, organisation=actors.sds, target_number=205
    )
    row = f"#action-{action.pk}"

    _login(page, "coordinatore")
    page.goto(reverse("programmes:list"))
    axe_check(page)
    page.get_by_role("link", name="TEAMS").click()
    page.wait_for_url(f"**{reverse('programmes:detail', args=[programme.pk])}")
    axe_check(page)
    assert page.locator(f"{row} [data-col=spent]").inner_text() == "€ 0,00"
    assert page.locator(f"{row} [data-col=remaining]").inner_text() == "€ 9.450,65"

    form = page.locator("#expenditure-form")
    form.locator("#id_action").select_option(str(action.pk))
    form.locator("#id_spent_on").fill("2019-03-29")
    form.locator("#id_amount").fill("3.150,20")
    form.locator("#id_description").fill("Operatore sportello immigrati, I trimestre")
    form.locator("#id_document_reference").fill("Fatt. 18/2019")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    axe_check(page)
    assert page.locator(f"{row} [data-col=spent]").inner_text() == "€ 3.150,20"
    assert page.locator(f"{row} [data-col=remaining]").inner_text() == "€ 6.300,45"
    assert "33,3%" in page.locator(row).inner_text()
    with override("it"):
        assert gettext("planned, done") in page.locator(".timeline-table").inner_text()

    # Over the budget: refused, the justification field appears; with it, recorded.
    form = page.locator("#expenditure-form")
    form.locator("#id_action").select_option(str(action.pk))
    form.locator("#id_spent_on").fill("2019-06-28")
    form.locator("#id_amount").fill("7000")
    form.locator("#id_description").fill("Operatore sportello, II trimestre")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    axe_check(page)
    justification = page.locator("#id_over_budget_justification")
    assert justification.is_visible()
    justification.fill("Rimodulazione autorizzata dalla Regione")
    with page.expect_navigation():
        page.locator("#expenditure-form button[type=submit]").click()
    axe_check(page)
    assert page.locator(f"{row} [data-col=spent]").inner_text() == "€ 10.150,20"
    assert page.locator(f"{row} [data-col=remaining]").inner_text() == "€ -699,55"
    justified = Expenditure.objects.filter(over_budget_justification__startswith="Rimodulazione")
    assert justified.count() == 1

    for url in (
        reverse("programmes:action_create", args=[programme.pk]),
        reverse("programmes:target_set", args=[programme.pk]),
        reverse("programmes:edit", args=[programme.pk]),
        reverse("programmes:create"),
    ):
        page.goto(url)
        axe_check(page)
