"""Two-step verification in a real browser: activation from the account page, then a
sign-in that asks the code after the password, with an accessibility check on each page."""

import re
import time

import pyotp
import pytest
from django.utils import translation
from django.utils.translation import gettext

from crocevia.accounts.models import SecuritySettings
from crocevia.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def italian(msgid: str) -> str:
    with translation.override("it"):
        return gettext(msgid)


def sign_in_with_password(page):
    page.goto("/accesso/")
    page.fill("input[name=username]", "sportello")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Accedi").click()


def test_operator_activates_two_step_verification_and_signs_in_with_a_code(page, axe_check, actors):
    SecuritySettings.objects.update_or_create(pk=1, defaults={"require_two_factor": True})

    # Required by the administrator: after the password, activation and nothing else.
    sign_in_with_password(page)
    page.wait_for_url("**/utente/verifica-in-due-passaggi/")
    axe_check(page)
    page.goto("/persone/")
    page.wait_for_url("**/utente/verifica-in-due-passaggi/")

    qr = page.locator("main img[src^='data:image/svg+xml']")
    assert qr.is_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the data: URI is allowed by the CSP
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)

    page.fill("input[name=code]", "000000")
    page.get_by_role("button", name=italian("Confirm and activate")).click()
    assert page.locator("#code-error").is_visible()
    axe_check(page)

    page.fill("input[name=code]", totp.now())
    page.get_by_role("button", name=italian("Confirm and activate")).click()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    axe_check(page)
    page.get_by_role("link", name=italian("I have kept the codes: continue")).click()
    page.wait_for_url(re.compile(r".*/$"))

    page.get_by_role("button", name="Esci").click()
    page.wait_for_url("**/accesso/")

    # Next sign-in: the password, then the code.
    sign_in_with_password(page)
    page.wait_for_url("**/accesso/verifica/")
    axe_check(page)
    page.fill("input[name=code]", "123456")
    page.get_by_role("button", name=italian("Verify")).click()
    assert page.locator("#code-error").is_visible()
    axe_check(page)
    # The code of the next 30-second step (the one just used for activation is spent).
    page.fill("input[name=code]", totp.at(time.time() + 30))
    page.get_by_role("button", name=italian("Verify")).click()
    page.wait_for_url(re.compile(r".*/$"))
    assert page.get_by_role("link", name=str(actors.desk_operator)).is_visible()

    page.goto("/utente/")
    axe_check(page)
    assert italian("Log out on every device") in page.content()
