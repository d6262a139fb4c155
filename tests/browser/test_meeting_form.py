"""Recording a meeting in the browser: each case selected gets its minutes beside it."""

import datetime

import pytest
from django.urls import reverse

from crocevia.meetings.models import Meeting
from crocevia.testing import PASSWORD, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_selecting_cases_shows_their_minutes_fields_and_saves_each_beside_its_case(
    page, axe_check, actors
):
    first, second = make_case(actors), make_case(actors)
    page.goto("/accesso/")
    page.fill("input[name=username]", actors.coordinator.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Accedi").click()

    page.goto(reverse("cases:followup_meeting_create"))
    page.select_option("select[name=kind]", "coordination")
    page.fill("input[name=held_on]", (datetime.date.today()).isoformat())
    page.select_option("select[name=attendees]", [str(actors.coordinator.pk)])
    # Choosing the cases brings their fields (htmx), without saving anything.
    page.select_option("select[name=cases]", [str(first.pk), str(second.pk)])
    page.wait_for_selector(f"textarea[name=case_{second.pk}_minutes]")
    assert not Meeting.objects.exists()
    axe_check(page)
    page.fill(f"textarea[name=case_{first.pk}_minutes]", "Casa trovata")
    page.fill(f"textarea[name=case_{second.pk}_decisions]", "Attivare il tirocinio")
    page.fill("textarea[name=notes]", "Verificata l'offerta")
    with page.expect_navigation():
        page.get_by_role("button", name="Salva", exact=True).click()

    meeting = Meeting.objects.get()
    assert meeting.notes == "Verificata l'offerta"
    items = {i.case_id: (i.minutes, i.decisions) for i in meeting.items.all()}
    assert items == {first.pk: ("Casa trovata", ""), second.pk: ("", "Attivare il tirocinio")}
    assert page.locator(f"#meeting-item-{first.pk}").inner_text().count("Casa trovata") == 1
