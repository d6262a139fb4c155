import html
import re
import time

import pyotp
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from crocevia.accounts.middleware import PENDING_KEY
from crocevia.accounts.models import RecoveryCode, SecuritySettings, TwoFactorDevice
from crocevia.accounts.services import TOTP_STEP_SECONDS, two_factor_reset
from crocevia.accounts.views import PENDING_SECONDS
from crocevia.audit.models import AuditEvent
from crocevia.testing import PASSWORD

pytestmark = pytest.mark.django_db


def code_at(secret: str, steps_ahead: int = 0) -> str:
    """The app's code, `steps_ahead` 30-second steps from now (the server accepts one
    step of drift either way, and never the same step twice)."""
    return pyotp.TOTP(secret).at(time.time() + steps_ahead * TOTP_STEP_SECONDS)


def enrol(client) -> tuple[str, list[str]]:
    """Through the pages: open the activation page, read the key, confirm with a code."""
    page = client.get(reverse("accounts:two_factor_enrol")).content.decode()
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'id="two-factor-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1)
    secret = secret.replace(" ", "")
    response = client.post(reverse("accounts:two_factor_enrol"), {"code": code_at(secret)})
    assert response.status_code == 200
    codes = re.findall(
        r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", response.content.decode()
    )
    return secret, codes


def password_step(client, username="sportello"):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def test_enrolment_shows_qr_and_key_and_gives_ten_hashed_recovery_codes(login, actors):
    client = login(actors.desk_operator)
    secret, codes = enrol(client)
    device = TwoFactorDevice.objects.get(user=actors.desk_operator)
    assert device.secret == secret
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(device=device).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not stored & set(codes)  # hashes only
    event = AuditEvent.objects.get(action="two_factor_enrolled")
    assert event.actor == actors.desk_operator
    assert event.object_id == str(actors.desk_operator.pk)
    # The codes are shown once: the account page does not list them.
    page = client.get(reverse("accounts:account")).content.decode()
    assert codes[0] not in page
    # Activating again is not offered.
    assert client.get(reverse("accounts:two_factor_enrol")).status_code == 302


def test_enrolment_refuses_a_wrong_code(login, actors):
    client = login(actors.desk_operator)
    client.get(reverse("accounts:two_factor_enrol"))
    response = client.post(reverse("accounts:two_factor_enrol"), {"code": "000000"})
    assert response.status_code == 200
    assert 'id="code-error"' in response.content.decode()
    assert not TwoFactorDevice.objects.exists()


def test_sign_in_asks_the_code_after_the_password(client, login, actors):
    secret, _codes = enrol(login(actors.desk_operator))
    client.logout()

    response = password_step(client)
    assert response.url == reverse("login_verify")
    # The password alone signs nobody in.
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).url.startswith(reverse("login"))

    response = client.post(reverse("login_verify"), {"code": "123456"})
    assert response.status_code == 200
    assert 'id="code-error"' in response.content.decode()
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("login_verify"), {"code": code_at(secret, 1)})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_code_is_never_accepted_twice(client, login, actors):
    secret, _codes = enrol(login(actors.desk_operator))
    client.logout()
    password_step(client)
    code = code_at(secret, 1)
    assert client.post(reverse("login_verify"), {"code": code}).status_code == 302
    client.logout()
    password_step(client)
    response = client.post(reverse("login_verify"), {"code": code})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_works_once(client, login, actors):
    _secret, codes = enrol(login(actors.desk_operator))
    client.logout()

    password_step(client)
    # Typed in capitals and without the dash: still the same code.
    typed = codes[3].upper().replace("-", "")
    response = client.post(reverse("login_verify"), {"code": typed}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    with translation.override("it"):
        left = ngettext(
            "A recovery code was used: %(left)d is left. If the phone is "
            "lost, ask an administrator to reset two-step verification.",
            "A recovery code was used: %(left)d are left. If the phone is "
            "lost, ask an administrator to reset two-step verification.",
            9,
        ) % {"left": 9}
    assert left in html.unescape(response.content.decode())
    event = AuditEvent.objects.get(action="two_factor_recovery_code_used")
    assert event.object_id == str(actors.desk_operator.pk)
    assert RecoveryCode.objects.filter(used_at__isnull=False).count() == 1

    client.logout()
    password_step(client)
    response = client.post(reverse("login_verify"), {"code": codes[3]})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_wrong_codes_count_towards_the_lockout(client, login, actors):
    _secret, codes = enrol(login(actors.desk_operator))
    client.logout()
    password_step(client)
    for _attempt in range(5):
        client.post(reverse("login_verify"), {"code": "000000"})
    # Locked: even a good recovery code is refused now, and the password step too.
    response = client.post(reverse("login_verify"), {"code": codes[0]})
    assert "_auth_user_id" not in client.session
    assert 'id="login-error"' in response.content.decode()
    assert 'id="login-error"' in password_step(client).content.decode()


def test_the_second_step_expires(client, login, actors):
    secret, _codes = enrol(login(actors.desk_operator))
    client.logout()
    password_step(client)
    session = client.session
    session[PENDING_KEY]["at"] -= PENDING_SECONDS + 1  # five minutes ago
    session.save()
    response = client.post(reverse("login_verify"), {"code": code_at(secret, 1)})
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_second_step_without_a_password_step_goes_back_to_sign_in(client, actors):
    response = client.get(reverse("login_verify"))
    assert response.status_code == 302 and response.url == reverse("login")


def test_enforcement_sends_an_unenrolled_operator_to_activation(client, actors):
    SecuritySettings.objects.update_or_create(pk=1, defaults={"require_two_factor": True})
    response = password_step(client)
    assert response.url == reverse("accounts:two_factor_enrol")
    # Nothing else is reachable until two-step verification is active.
    for url in [reverse("home"), reverse("people:search"), reverse("accounts:account")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("accounts:two_factor_enrol")
    secret, _codes = enrol(client)
    assert client.get(reverse("home")).status_code == 200


def test_an_operator_who_must_enrol_can_still_log_out(client, actors):
    SecuritySettings.objects.update_or_create(pk=1, defaults={"require_two_factor": True})
    password_step(client)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_enforcement_off_by_default(client, actors):
    assert password_step(client).url == reverse("home")


def test_administrator_resets_two_factor_and_ends_the_sessions(client, login, actors):
    secret, _codes = enrol(login(actors.desk_operator))
    assert client.get(reverse("home")).status_code == 200
    admin_client = client.__class__()
    admin_client.force_login(actors.admin)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [actors.desk_operator.pk]},
    )
    assert response.status_code == 302
    assert not TwoFactorDevice.objects.exists() and not RecoveryCode.objects.exists()
    event = AuditEvent.objects.get(action="two_factor_reset")
    assert event.actor == actors.admin
    # The operator's open session has ended; the password alone signs in again.
    assert client.get(reverse("home")).status_code == 302
    assert password_step(client).url == reverse("home")


def test_reset_without_a_device_changes_nothing(actors):
    assert two_factor_reset(user=actors.desk_operator, actor=actors.admin) is False
    assert not AuditEvent.objects.filter(action="two_factor_reset").exists()


def test_security_setting_is_edited_in_the_admin_and_audited(client, actors):
    client.force_login(actors.admin)
    response = client.get(reverse("admin:accounts_securitysettings_changelist"))
    assert response.status_code == 302
    url = response.url
    assert client.get(url).status_code == 200
    client.post(url, {"require_two_factor": "on"})
    assert SecuritySettings.load().require_two_factor
    event = AuditEvent.objects.get(action="security_settings_changed")
    assert event.actor == actors.admin
    assert event.changes == {"require_two_factor": [False, True]}
