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
def _no_audit_witness_of_the_machine(settings, tmp_path_factory):
    # `audit verify` reads the witness by default: never the developer's (CROCEVIA_VAR_DIR).
    settings.CROCEVIA_AUDIT_WITNESS = tmp_path_factory.getbasetemp() / "no-witness.jsonl"


@pytest.fixture(autouse=True)
def _no_jobs_cache_of_another_test():
    # The "jobs" cache is shared by processes (files, or Redis): no flag or heartbeat of a
    # test reaches the next one. Redis is not emptied whole (it may hold more than ours).
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    from crocevia.audit.chain import SEAL_FLAG

    cache = caches["jobs"]
    if isinstance(cache, RedisCache):
        cache.delete(SEAL_FLAG)
    else:
        cache.clear()


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


def _replica_alias(alias_settings):
    """The alias "replica" and its router, as DATABASE_REPLICA_URL adds them, for one test.

    Added to settings.DATABASES (what crocevia.core.dbrouter asks) with its connection made
    here, not through `connections.settings`: Django's test case forbids connecting to an
    alias of the settings that the test did not declare, but allows a connection made
    dynamically, and a fixture cannot declare an alias that did not exist when the test
    case was set up.
    """
    import warnings

    from django.conf import settings
    from django.db import connections
    from django.db.utils import load_backend
    from django.test import override_settings

    from crocevia.core.dbrouter import REPLICA

    override = override_settings(
        DATABASES={**settings.DATABASES, REPLICA: alias_settings},
        DATABASE_ROUTERS=["crocevia.core.dbrouter.ReplicaRouter"],
    )
    with warnings.catch_warnings():
        # "Overriding setting DATABASES can lead to unexpected behavior": the connection
        # handler keeps its own copy, which is why the connection is made here.
        warnings.simplefilter("ignore")
        override.enable()
    connection = load_backend(alias_settings["ENGINE"]).DatabaseWrapper(alias_settings, REPLICA)
    connections[REPLICA] = connection
    try:
        yield connection
    finally:
        connection.close()
        del connections[REPLICA]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            override.disable()


@pytest.fixture
def replica(transactional_db):
    """A "replica" alias mirroring the test database, as DATABASE_REPLICA_URL adds it
    (TEST MIRROR). It is a second connection to the same database, which sees only what
    is committed, as a streaming replica does: the tests using it are transactional."""
    import copy

    from django.db import connections

    alias_settings = copy.deepcopy(connections["default"].settings_dict)
    alias_settings["TEST"] = {**alias_settings.get("TEST", {}), "MIRROR": "default"}
    yield from _replica_alias(alias_settings)


@pytest.fixture
def unreachable_replica(db):
    """A "replica" alias that cannot be connected to."""
    import copy

    from django.db import connections

    alias_settings = copy.deepcopy(connections["default"].settings_dict)
    if alias_settings["ENGINE"] == "django.db.backends.postgresql":
        # Nothing listens on port 1 of the loopback: refused at once.
        alias_settings.update(HOST="127.0.0.1", PORT="1")
        alias_settings["OPTIONS"] = {**alias_settings["OPTIONS"], "connect_timeout": 2}
    else:
        alias_settings["NAME"] = "/nonexistent-directory/replica.sqlite3"
    yield from _replica_alias(alias_settings)
