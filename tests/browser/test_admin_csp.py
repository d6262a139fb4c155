"""The administration pages run under the same strict Content Security Policy as the rest:
no `unsafe-inline`, no exemption. The `page` fixture fails the test on anything the policy
refused; this test walks the admin's kinds of page (index, lists with filters and search,
read-only records, forms with the calendar, the two-list picker and the autocomplete)."""

import datetime

import pytest

from crocevia.desk.services import contact_record
from crocevia.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICY_PARTS = ("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'")


def test_admin_pages_run_under_the_strict_policy(page, actors, live_server):
    from crocevia.testing import PersonFactory

    person = PersonFactory(created_by_organisation=actors.sds)
    contact = contact_record(
        actor=actors.desk_operator,
        person=person,
        desk=actors.desk,
        date=datetime.date.today(),
        services=["information"],
    )

    response = page.goto("/admin/login/?next=/admin/")
    policy = response.headers.get("content-security-policy", "")
    assert all(part in policy for part in POLICY_PARTS), policy
    assert "unsafe-inline" not in policy
    page.fill("input[name=username]", actors.admin.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Accedi").click()
    assert page.url.endswith("/admin/"), page.url

    for path in [
        "/admin/",
        "/admin/desk/contact/?outcome__exact=solved&q=a",
        f"/admin/desk/contact/{contact.pk}/change/",
        "/admin/desk/deskservice/add/",
        f"/admin/accounts/user/{actors.desk_operator.pk}/change/",
        "/admin/accounts/membership/add/",
        "/admin/audit/auditevent/",
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        header = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in header and "unsafe-inline" not in header, path
        # The admin's own scripts ran (the policy did not block them): the theme toggle
        # and the navigation sidebar are drawn by admin/js.
        page.wait_for_load_state("load")
        assert page.locator("#content").count() == 1, path

    # The calendar widget (admin/js/calendar.js, DateTimeShortcuts.js) opens under the
    # policy: its scripts are static files, its styles set through the CSSOM.
    page.goto(f"/admin/accounts/user/{actors.desk_operator.pk}/change/")
    page.locator("#calendarlink0").click()
    assert page.locator("#calendarbox0").is_visible()
    # The two-list desk picker (SelectFilter2.js) and the autocomplete (select2) are drawn.
    page.goto("/admin/accounts/membership/add/")
    assert page.locator(".selector-available").count() == 1
    assert page.locator(".select2-container").count() >= 1
