"""The monitoring report page in a browser: a monitoring officer chooses the period, sees
"<3" for a small citizenship group, the charts beside their tables (stacked on a narrow
screen), and axe-core finds no serious violation; a bad period shows its error."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from crocevia.reporting.tests.conftest import net  # noqa: F401 (the fixture network)
from crocevia.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def it(msgid: str, context: str = "") -> str:
    with translation.override("it"):
        return pgettext(context, msgid) if context else gettext(msgid)


def _login(page, username):
    page.goto("/accesso/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Accedi").click()
    assert "/accesso/" not in page.url


def _box(page, selector):
    return page.locator(selector).bounding_box()


def test_monitoring_officer_reads_the_report_masked_with_charts(page, axe_check, net):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, "monitoraggio")
    page.get_by_role("link", name=it("Monitoring", "navigation")).click()
    page.wait_for_url(f"**{reverse('reporting:report')}")
    page.fill("#id_from", "2025-01-01")
    page.fill("#id_to", "2025-12-31")
    with page.expect_navigation():
        page.get_by_role("button", name=it("Show the report")).click()
    assert page.url.endswith("?from=2025-01-01&to=2025-12-31&zone=ZPI")
    axe_check(page)

    # One person in each citizenship group: every group "<3", not drawn as bars.
    rows = page.locator("#t-desk-persons-by-citizenship-group tbody tr")
    assert rows.count() == 4
    for i in range(4):
        assert rows.nth(i).locator("td").inner_text() == "<3"
    chart = page.locator("svg[aria-labelledby=chart-desk-persons-by-citizenship-group]")
    assert chart.locator("rect").count() == 0
    assert chart.locator("text", has_text="<3").count() == 4
    # Senegal, Italy and Romania (one person each) leave the top list, which says so.
    assert page.locator("#t-desk-top-citizenships tbody tr").count() == 0
    assert it("Citizenships of fewer than %(n)s persons are not listed.") % {"n": 3} in (
        page.locator("main").inner_text()
    )
    assert page.locator("#masked-note").is_visible()
    # Excel and PDF, no JSON for a masked reader.
    exports = page.get_by_role("group", name=it("Export"))
    assert exports.get_by_role("link").all_inner_texts() == [it("Excel"), it("PDF")]

    # Wide screen: the chart beside its table; narrow: below it.
    services_table, services_chart = "#t-desk-services", "svg[aria-labelledby=chart-desk-services]"
    table, chart = _box(page, services_table), _box(page, services_chart)
    assert chart["x"] >= table["x"] + table["width"] - 1
    page.set_viewport_size({"width": 400, "height": 900})
    table, chart = _box(page, services_table), _box(page, services_chart)
    assert chart["y"] >= table["y"] + table["height"]
    assert chart["width"] <= 400
    axe_check(page)


def test_coordinator_chooses_a_preset_and_sees_a_bad_period_refused(page, axe_check, net):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, "coordinatore")
    page.goto(reverse("reporting:report"))
    page.select_option("#id_scope", "organisation:SDS-PI")
    with page.expect_navigation():
        page.get_by_role("button", name=it("Previous year")).click()
    assert "organisation=SDS-PI" in page.url
    assert page.locator("#t-cases-targets").is_visible()

    page.fill("#id_from", "2025-06-01")
    page.fill("#id_to", "2025-05-31")
    with page.expect_navigation():
        page.get_by_role("button", name=it("Show the report")).click()
    error = page.locator("#to-error")
    assert error.inner_text() == it("The end of the period comes before its start.")
    assert page.locator("#id_to").get_attribute("aria-invalid") == "true"
    assert page.locator("#id_from").input_value() == "2025-06-01"
    assert page.locator("table[id^=t-]").count() == 0
    axe_check(page)
