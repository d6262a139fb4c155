import pytest

from crocevia.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_is_accessible_and_rejects_wrong_password_in_italian(page, axe_check, actors):
    page.goto("/accesso/")
    axe_check(page)
    page.get_by_label("Nome utente").fill("sportello")
    page.get_by_label("Password").fill("sbagliata")
    page.get_by_role("button", name="Accedi").click()
    assert "Inserisci nome utente e password corretti" in page.locator("#login-error").inner_text()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/")
    axe_check(page)
