import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from crocevia.accounts.models import User
from crocevia.audit.models import AuditEvent
from crocevia.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["db", "cache"])
def session_engine(request, settings):
    """Both engines: database sessions (the default) and cache sessions (Redis in
    production, the local memory cache here)."""
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{request.param}"
    return request.param


def signed_in_client(user) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_logout_everywhere_ends_the_other_sessions(session_engine, actors):
    office = signed_in_client(actors.social_worker)
    home = signed_in_client(actors.social_worker)
    colleague = signed_in_client(actors.desk_operator)
    assert office.get(reverse("home")).status_code == 200
    assert home.get(reverse("home")).status_code == 200

    response = office.post(reverse("accounts:logout_everywhere"))
    assert response.status_code == 302 and response.url == reverse("login")

    for client in (office, home):
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    # Another operator's session is untouched.
    assert colleague.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(action="sessions_revoked").count() == 1
    # Signing in again works.
    assert signed_in_client(actors.social_worker).get(reverse("home")).status_code == 200


def test_logout_everywhere_needs_a_post(login, actors):
    client = login(actors.social_worker)
    assert client.get(reverse("accounts:logout_everywhere")).status_code == 405


def test_password_change_ends_the_other_sessions_and_keeps_this_one(session_engine, actors):
    office = signed_in_client(actors.social_worker)
    home = signed_in_client(actors.social_worker)
    new = "Un-altra-frase-lunga-2027"
    response = office.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert office.get(reverse("home")).status_code == 200
    assert home.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(action="password_changed").exists()
    actors.social_worker.refresh_from_db()
    assert actors.social_worker.check_password(new)


@pytest.mark.parametrize(
    "password",
    [
        "password123456",  # common
        "Breve-2026",  # 10 characters: too short
        "839201746352",  # only digits
        "assistente-sociale",  # too like the username
    ],
)
def test_password_policy_refuses_weak_passwords(login, actors, password):
    client = login(actors.social_worker)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert 'id="new_password2-error"' in response.content.decode()
    actors.social_worker.refresh_from_db()
    assert actors.social_worker.check_password(PASSWORD)


def test_password_policy_accepts_a_long_uncommon_password_and_the_demo_one(actors):
    user = User(username="nuovo", first_name="Nuovo", last_name="Operatore")
    validate_password("Ponte-di-mezzo-sull-Arno", user)
    validate_password("crocevia-demo", user)
    with pytest.raises(ValidationError):
        validate_password("password123456", user)


def test_account_page_shows_the_security_options(login, actors):
    client = login(actors.desk_operator)
    body = client.get(reverse("accounts:account")).content.decode()
    assert reverse("accounts:two_factor_enrol") in body
    assert reverse("accounts:password_change") in body
    assert reverse("accounts:logout_everywhere") in body


def test_the_account_pages_need_a_sign_in(client):
    for name in ["account", "two_factor_enrol", "password_change", "logout_everywhere"]:
        response = client.get(reverse(f"accounts:{name}"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_session_cookie_is_httponly_and_samesite(client, actors, settings):
    response = client.post(reverse("login"), {"username": "sportello", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    # Secure whenever DEBUG is off (as in these tests), unless SECURE_COOKIES=false.
    assert cookie["secure"]


def test_idle_timeout_with_cache_sessions(client, actors, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.SESSION_COOKIE_AGE = 1
    client.post(reverse("login"), {"username": "sportello", "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 200
    time.sleep(1.1)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
