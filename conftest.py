import pytest

from crocevia.testing import build_actors


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


@pytest.fixture(autouse=True)
def _stored_files_in_a_temporary_directory(settings, tmp_path_factory):
    # A file storage on the disk (the prepared files) writes under MEDIA_ROOT: never the
    # checkout's working directory.
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


@pytest.fixture(autouse=True)
def _no_audit_witness_of_the_machine(settings, tmp_path_factory):
    # `audit verify` reads the witness by default: never the developer's (CROCEVIA_VAR_DIR).
    settings.CROCEVIA_AUDIT_WITNESS = tmp_path_factory.getbasetemp() / "no-witness.jsonl"


@pytest.fixture(autouse=True)
def _rows_of_the_data_migrations(request):
    """The catalogues seeded by data migrations, present in transactional tests too.

    A transactional test (browser, background threads, audit sealing) ends with a flush
    that empties every table, the seeded catalogues included; pytest-django runs those
    tests last, so only they can find the catalogues gone. Each one seeds them again, with
    the migrations' own idempotent functions. (serialized_rollback does not work here: the
    flush re-creates the content types, which the restore then collides with.)
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    desk = importlib.import_module("crocevia.desk.migrations.0002_service_catalogue")
    interventions = importlib.import_module("crocevia.interventions.migrations.0003_seed_catalogue")
    desk.forwards(apps, None)
    interventions.seed(apps, None)
