import pytest

from crocevia.core.testing import build_actors


@pytest.fixture
def actors(db):
    return build_actors()


@pytest.fixture
def login(client):
    """login(user) -> the test client, logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production keeps Django's slow PBKDF2; tests create many users and need not.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
