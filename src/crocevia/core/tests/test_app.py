import datetime

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from crocevia.testing import PASSWORD


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login_from_every_page(client):
    for url in [reverse("home"), reverse("people:search"), reverse("desk:register")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_wrong_credentials_show_an_italian_message(client, actors):
    response = client.post(reverse("login"), {"username": "sportello", "password": "sbagliata"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Inserisci nome utente e password corretti" in body
    assert '<html lang="it">' in body


@pytest.mark.django_db
def test_operator_logs_in_and_sees_home(client, actors):
    response = client.post(
        reverse("login"), {"username": "sportello", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"] == actors.desk_operator


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client, actors):
    client.force_login(actors.desk_operator)
    response = client.get(reverse("home"))
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
def test_session_slides_and_expires_after_inactivity(client, actors, settings):
    client.force_login(actors.desk_operator)
    client.get(reverse("home"))
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    # Each request pushes the expiry forward by the idle timeout.
    assert abs(remaining.total_seconds() - settings.SESSION_COOKIE_AGE) < 60
    # Once idle past the timeout, the next request is sent to login.
    session.expire_date = timezone.now() - datetime.timedelta(seconds=1)
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_static_files_come_from_our_own_server(client, actors):
    client.force_login(actors.desk_operator)
    body = client.get(reverse("home")).content.decode()
    assert "https://" not in body.split("<body>")[0]
    for path in [
        "/static/css/bootstrap-italia.min.css",
        "/static/js/bootstrap-italia.bundle.min.js",
        "/static/vendor/htmx/htmx.min.js",
        "/static/crocevia/app.css",
        "/static/crocevia/app.js",
        "/static/crocevia/fonts.css",
    ]:
        assert path in body
        response = client.get(path)
        assert response.status_code == 200, path


@pytest.mark.django_db
def test_italian_is_the_default_even_for_an_english_browser(client, actors):
    client.force_login(actors.desk_operator)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="it">' in response.content.decode()
    assert "Cerca o registra una persona" in response.content.decode()


@pytest.mark.django_db
def test_operator_can_switch_to_english_and_back(client, actors):
    client.force_login(actors.desk_operator)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Find or register a person" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "it", "next": "/"})
    assert "Cerca o registra una persona" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_a_refusal_says_why_in_italian_inside_the_layout(actors, login):
    response = login(actors.desk_operator).get(reverse("interchange:index"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Accesso non consentito" in page
    assert "Solo gli amministratori e i coordinatori di zona importano" in page
    assert reverse("home") in page  # the way back, in the site's layout


@pytest.mark.django_db
def test_a_missing_page_is_explained_in_italian(actors, login):
    response = login(actors.desk_operator).get("/persone/999999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Pagina non trovata" in page
    assert "No Person matches" not in page  # no technical message
