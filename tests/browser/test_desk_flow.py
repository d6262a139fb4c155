"""The desk operator's day, in a real browser, with an accessibility check on every page."""

import datetime

import pytest
from django.utils import translation
from django.utils.translation import gettext

from crocevia.desk.models import Contact
from crocevia.people.models import Person
from crocevia.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VALID_CF = "DPIMDA90C15Z343N"  # Diop Amadou, M, 15/03/1990, born in Senegal
WRONG_CF = "DPIMDA90C15Z343X"  # same code with a wrong check character


def italian(msgid: str) -> str:
    with translation.override("it"):
        text = gettext(msgid)
    assert text != msgid, f"missing Italian translation for {msgid!r}"
    return text


def test_desk_operator_registers_a_person_and_records_a_contact(page, axe_check, actors):
    today = datetime.date.today()

    page.goto("/accesso/")
    axe_check(page)
    page.fill("input[name=username]", "sportello")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/")
    axe_check(page)

    # Search first: nobody of that name yet.
    page.goto("/persone/?q=Diop")
    axe_check(page)
    page.goto("/persone/nuova/?q=Diop")
    axe_check(page)

    page.fill("input[name=family_name]", "Diop")
    page.fill("input[name=given_names]", "Amadou")
    page.select_option("select[name=sex]", "M")
    page.fill("input[name=birth_date]", "1990-03-15")
    page.select_option("select[name=citizenship]", "SN")
    page.fill("input[name=codice_fiscale]", WRONG_CF)
    page.locator("main form[method=post] button[type=submit]").last.click()

    # The error shows beside the field, in Italian; nothing is saved; typed values are kept.
    error = page.locator("#codice_fiscale-error")
    expected = italian(
        "The check character of this codice fiscale is wrong: check for a typing error."
    )
    assert expected in error.inner_text()
    assert page.input_value("input[name=family_name]") == "Diop"
    assert not Person.objects.filter(family_name="Diop").exists()
    axe_check(page)

    page.fill("input[name=codice_fiscale]", VALID_CF)
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_url("**/persone/*/")
    person = Person.objects.get(family_name="Diop", given_names="Amadou")
    assert person.codice_fiscale == VALID_CF
    axe_check(page)

    # Record a contact with two services.
    page.get_by_role("link", name=italian("Record a contact")).first.click()
    page.wait_for_url(f"**/sportello/persone/{person.pk}/accessi/nuovo/")
    axe_check(page)
    # Operators click the label (Bootstrap Italia draws the box on it).
    page.locator("label", has_text=_service_name("legal_advice")).click()
    page.locator("label", has_text=_service_name("permit_kit")).click()
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_url(f"**/persone/{person.pk}/")
    contact = Contact.objects.get(person=person)
    assert contact.date == today
    assert sorted(contact.services.values_list("code", flat=True)) == [
        "legal_advice",
        "permit_kit",
    ]
    axe_check(page)

    # The daily register shows it, with the count per service.
    page.goto("/sportello/registro/")
    axe_check(page)
    assert "Diop" in page.locator("#register-contacts").inner_text()
    for code in ("legal_advice", "permit_kit"):
        row = page.locator("#register-counts tr", has_text=_service_name(code)).first
        assert row.locator("td").last.inner_text().strip() == "1"
    assert page.locator("#register-total").inner_text().strip() == "2"


def _service_name(code):
    from crocevia.desk.models import DeskService

    return DeskService.objects.get(code=code).name
