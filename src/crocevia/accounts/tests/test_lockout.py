import datetime
import html

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from crocevia.accounts.lockout import client_address, locked_message
from crocevia.accounts.models import LoginFailure, LoginLock
from crocevia.accounts.services import login_unlock
from crocevia.audit.models import AuditEvent
from crocevia.testing import PASSWORD

pytestmark = pytest.mark.django_db


def italian_locked_message() -> str:
    with translation.override("it"):
        return locked_message()


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def is_locked_response(response) -> bool:
    return response.status_code == 200 and italian_locked_message() in html.unescape(
        response.content.decode()
    )


def test_five_wrong_passwords_lock_the_username_even_with_the_right_password(client, actors):
    for _attempt in range(4):
        response = sign_in(client, "sportello", "sbagliata")
        assert not is_locked_response(response)
    assert is_locked_response(sign_in(client, "sportello", "sbagliata"))
    # Locked: the right password is refused too, from any address.
    assert is_locked_response(sign_in(client, "sportello", PASSWORD, address="10.9.9.9"))
    assert "_auth_user_id" not in client.session
    lock = LoginLock.objects.get()
    assert (lock.scope, lock.key, lock.failures) == ("user", "sportello", 5)
    assert AuditEvent.objects.filter(action="sign_in_locked", object_id=str(lock.pk)).exists()
    # Other operators sign in as usual.
    response = sign_in(client, "assistente", PASSWORD, address="10.9.9.9")
    assert response.status_code == 302


def test_unknown_username_is_locked_with_the_same_message(client, actors):
    for _attempt in range(4):
        sign_in(client, "nessuno", "sbagliata")
    assert is_locked_response(sign_in(client, "nessuno", "sbagliata"))


def test_failures_outside_the_window_do_not_count(client, actors):
    old = timezone.now() - datetime.timedelta(minutes=16)
    LoginFailure.objects.bulk_create(
        LoginFailure(at=old, username="sportello", address="10.0.0.1") for _i in range(4)
    )
    response = sign_in(client, "sportello", "sbagliata")
    assert not is_locked_response(response)
    assert sign_in(client, "sportello", PASSWORD).status_code == 302


def test_lock_expires_after_the_lock_period(client, actors):
    for _attempt in range(5):
        sign_in(client, "sportello", "sbagliata")
    LoginLock.objects.update(until=timezone.now() - datetime.timedelta(seconds=1))
    assert sign_in(client, "sportello", PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_username_count(client, actors):
    for _attempt in range(4):
        sign_in(client, "sportello", "sbagliata")
    assert sign_in(client, "sportello", PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(4):
        assert not is_locked_response(sign_in(client, "sportello", "sbagliata"))


def test_twenty_failures_from_one_address_lock_the_address(client, actors, settings):
    for n in range(settings.CROCEVIA_LOGIN_MAX_FAILURES_ADDRESS - 1):
        # A different username each time: no username reaches its own limit.
        assert not is_locked_response(sign_in(client, f"prova{n}", "sbagliata", "10.0.0.7"))
    assert is_locked_response(sign_in(client, "prova-ultima", "sbagliata", "10.0.0.7"))
    # The right password from that address is refused; from another address it works.
    assert is_locked_response(sign_in(client, "sportello", PASSWORD, "10.0.0.7"))
    assert sign_in(client, "sportello", PASSWORD, "10.0.0.8").status_code == 302
    assert LoginLock.objects.get().key == "10.0.0.7"


def test_a_success_does_not_reset_the_address_count(client, actors, settings):
    for n in range(settings.CROCEVIA_LOGIN_MAX_FAILURES_ADDRESS - 1):
        sign_in(client, f"prova{n}", "sbagliata", "10.0.0.7")
    assert sign_in(client, "sportello", PASSWORD, "10.0.0.7").status_code == 302
    client.logout()
    assert is_locked_response(sign_in(client, "altro", "sbagliata", "10.0.0.7"))


def test_administrator_unlocks_a_username_in_the_admin(client, actors):
    for _attempt in range(5):
        sign_in(client, "sportello", "sbagliata")
    admin_client = client.__class__()
    admin_client.force_login(actors.admin)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [actors.desk_operator.pk]},
    )
    assert response.status_code == 302
    lock = LoginLock.objects.get()
    assert lock.lifted_by == actors.admin and lock.lifted_at is not None
    assert AuditEvent.objects.filter(action="sign_in_unlocked", actor=actors.admin).exists()
    assert sign_in(client, "sportello", PASSWORD).status_code == 302


def test_administrator_lifts_an_address_lock_from_the_lock_list(client, actors, settings):
    for n in range(settings.CROCEVIA_LOGIN_MAX_FAILURES_ADDRESS):
        sign_in(client, f"prova{n}", "sbagliata", "10.0.0.7")
    lock = LoginLock.objects.get(scope="address")
    admin_client = client.__class__()
    admin_client.force_login(actors.admin)
    assert admin_client.get(reverse("admin:accounts_loginlock_changelist")).status_code == 200
    admin_client.post(
        reverse("admin:accounts_loginlock_changelist"),
        {"action": "lift", "_selected_action": [lock.pk]},
    )
    lock.refresh_from_db()
    assert lock.lifted_by == actors.admin
    assert sign_in(client, "sportello", PASSWORD, "10.0.0.7").status_code == 302


def test_unlock_command_lifts_username_and_address_locks(client, actors, settings, capsys):
    for n in range(settings.CROCEVIA_LOGIN_MAX_FAILURES_ADDRESS):
        sign_in(client, "sportello" if n < 5 else f"prova{n}", "sbagliata", "10.0.0.7")
    assert LoginLock.objects.filter(lifted_at__isnull=True).count() == 2
    call_command("unlock", "sportello")
    assert is_locked_response(sign_in(client, "sportello", PASSWORD, "10.0.0.7"))
    call_command("unlock", "--address", "10.0.0.7")
    assert "1 active lock(s) lifted for 10.0.0.7" in capsys.readouterr().out
    assert sign_in(client, "sportello", PASSWORD, "10.0.0.7").status_code == 302
    assert not LoginLock.objects.filter(lifted_at__isnull=True).exists()


def test_unlocking_resets_the_count(client, actors):
    for _attempt in range(4):
        sign_in(client, "sportello", "sbagliata")
    login_unlock(actor=actors.admin, username="sportello")
    for _attempt in range(4):
        assert not is_locked_response(sign_in(client, "sportello", "sbagliata"))


def test_username_count_ignores_case(client, actors):
    for name in ["Sportello", "SPORTELLO", "sportello", "Sportello ", "sPortello"]:
        sign_in(client, name, "sbagliata")
    assert is_locked_response(sign_in(client, "sportello", PASSWORD))


def test_admin_login_goes_through_the_application_sign_in(client):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response.url == reverse("login") + "?next=/admin/accounts/user/"
    response = client.get("/admin/login/?next=https://evil.example.org/")
    assert response.url == reverse("login") + "?next=/admin/"


class FakeRequest:
    def __init__(self, remote, forwarded=None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


def test_client_address_ignores_x_forwarded_for_without_trusted_proxies(settings):
    settings.CROCEVIA_TRUSTED_PROXIES = 0
    assert client_address(FakeRequest("192.0.2.1", "203.0.113.9")) == "192.0.2.1"


def test_client_address_behind_trusted_proxies_takes_the_address_they_saw(settings):
    settings.CROCEVIA_TRUSTED_PROXIES = 1
    # The client sent a made-up X-Forwarded-For; the proxy appended the real address.
    request = FakeRequest("10.0.0.2", "198.51.100.66, 203.0.113.9")
    assert client_address(request) == "203.0.113.9"
    settings.CROCEVIA_TRUSTED_PROXIES = 2
    assert client_address(request) == "198.51.100.66"
    # Fewer entries than proxies, or garbage: the direct peer.
    settings.CROCEVIA_TRUSTED_PROXIES = 3
    assert client_address(request) == "10.0.0.2"
    settings.CROCEVIA_TRUSTED_PROXIES = 1
    assert client_address(FakeRequest("10.0.0.2", "not-an-ip")) == "10.0.0.2"
