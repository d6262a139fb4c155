"""Reads from a replica inside an explicit block only (core.dbrouter, DATABASE_REPLICA_URL)."""

import logging
import os
import subprocess
import sys

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from crocevia.core.dbrouter import (
    REPLICA,
    ReadSource,
    ReplicaRouter,
    read_from_replica,
    reads_from_replica,
)

User = get_user_model()


def _captured(alias):
    return CaptureQueriesContext(connections[alias])


def _sql(captured) -> str:
    return "\n".join(q["sql"] for q in captured.captured_queries)


def test_reads_inside_the_block_go_to_the_replica_and_writes_to_the_primary(replica):
    User.objects.create(username="before")
    with reads_from_replica() as source:
        assert source.from_replica and source.alias == REPLICA
        with _captured(REPLICA) as on_replica, _captured(DEFAULT_DB_ALIAS) as on_primary:
            assert User.objects.filter(username="before").count() == 1
            user = User.objects.create(username="written-inside")
            user.first_name = "Ada"
            user.save()
    assert "accounts_user" in _sql(on_replica)
    assert "INSERT" not in _sql(on_replica) and "UPDATE" not in _sql(on_replica)
    assert "INSERT" in _sql(on_primary) and "UPDATE" in _sql(on_primary)
    assert "COUNT(" not in _sql(on_primary)
    assert User.objects.using(DEFAULT_DB_ALIAS).get(username="written-inside").first_name == "Ada"


def test_reads_outside_the_block_stay_on_the_primary(replica):
    with _captured(REPLICA) as on_replica, _captured(DEFAULT_DB_ALIAS) as on_primary:
        User.objects.count()
        with reads_from_replica():
            pass
        User.objects.count()
    assert _sql(on_primary).count("COUNT(") == 2
    assert "COUNT(" not in _sql(on_replica)


def test_reads_inside_a_transaction_on_the_primary_read_its_own_writes(replica):
    with reads_from_replica(), transaction.atomic():
        User.objects.create(username="uncommitted")
        with _captured(REPLICA) as on_replica:
            # The replica cannot see an uncommitted row: the read stays on the primary.
            assert User.objects.filter(username="uncommitted").exists()
    assert not on_replica.captured_queries


def test_an_object_read_from_the_replica_is_saved_on_the_primary(replica):
    User.objects.create(username="kept")
    with reads_from_replica():
        user = User.objects.get(username="kept")
    assert user._state.db == REPLICA
    user.last_name = "Lovelace"
    with _captured(DEFAULT_DB_ALIAS) as on_primary:
        user.save()
    assert "UPDATE" in _sql(on_primary)
    assert User.objects.get(username="kept").last_name == "Lovelace"


def test_a_replica_that_is_not_in_recovery_is_up_to_date(replica):
    with reads_from_replica() as source:
        pass
    if connections[REPLICA].vendor == "postgresql":
        assert source.lag == 0
    else:
        assert source.lag is None  # SQLite cannot say


def test_without_a_replica_the_block_reads_the_primary_and_says_nothing(db):
    with reads_from_replica() as source, _captured(DEFAULT_DB_ALIAS) as on_primary:
        User.objects.count()
    assert source == ReadSource()
    assert not source.fell_back and source.note() == ""
    assert "COUNT(" in _sql(on_primary)


def test_an_unreachable_replica_falls_back_to_the_primary_with_a_warning(
    unreachable_replica, caplog
):
    User.objects.create(username="here")
    with (
        caplog.at_level(logging.WARNING, logger="crocevia.core.dbrouter"),
        reads_from_replica() as source,
    ):
        assert User.objects.filter(username="here").count() == 1
    assert source.fell_back and not source.from_replica
    assert "could not be read" in caplog.text and "primary" in caplog.text
    assert source.note() == ReadSource(configured=True).note()


def test_a_replica_failing_half_way_is_read_again_from_the_primary(replica, caplog):
    User.objects.create(username="again")
    calls = []

    def read(source):
        calls.append(source)
        if source.from_replica:
            User.objects.count()  # on the replica, then it goes away
            raise OperationalError("canceling statement due to conflict with recovery")
        return User.objects.filter(username="again").count()

    with caplog.at_level(logging.WARNING, logger="crocevia.core.dbrouter"):
        assert read_from_replica(read) == 1
    assert [s.from_replica for s in calls] == [True, False]
    assert calls[1].fell_back
    assert "conflict with recovery" in caplog.text


def test_the_note_says_how_far_behind_the_replica_is():
    with translation.override("en"):
        assert ReadSource(alias=REPLICA, configured=True, lag=0).note() == (
            "Data read from a replica, up to date with the primary database."
        )
        assert ReadSource(alias=REPLICA, configured=True, lag=1).note() == (
            "Data read from a replica, updated 1 second ago."
        )
        assert ReadSource(alias=REPLICA, configured=True, lag=41.2).note() == (
            "Data read from a replica, updated 42 seconds ago."
        )
        assert "unknown" in ReadSource(alias=REPLICA, configured=True).note()
        assert ReadSource(configured=True).note() == (
            "The replica could not be read: data read from the primary database."
        )


def test_the_router_migrates_the_primary_only_and_relates_both():
    router = ReplicaRouter()
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "accounts") is True
    assert router.allow_migrate(REPLICA, "accounts") is False
    one, other = User(), User()
    one._state.db, other._state.db = DEFAULT_DB_ALIAS, REPLICA
    assert router.allow_relation(one, other) is True
    assert router.db_for_write(User, instance=other) == DEFAULT_DB_ALIAS
    assert router.db_for_read(User, instance=other) == DEFAULT_DB_ALIAS  # outside a block


def _settings_of(**env):
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    base.update(env, SECRET_KEY="x" * 50)
    code = (
        "from crocevia import settings as s; import json; "
        "print(json.dumps({'replica': s.DATABASES.get('replica'), "
        "'routers': getattr(s, 'DATABASE_ROUTERS', [])}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, check=False
    )
    return result


def test_database_replica_url_adds_the_replica_alias_with_the_primary_s_options():
    import json

    result = _settings_of(
        DATABASE_URL="postgres://app@db1:5432/crocevia",
        DATABASE_REPLICA_URL="postgres://app@db2:5432/crocevia",
    )
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["replica"]["HOST"] == "db2"
    assert read["replica"]["OPTIONS"] == {"options": "-c jit=off", "connect_timeout": 3}
    assert read["replica"]["TEST"] == {"MIRROR": "default"}
    assert read["routers"] == ["crocevia.core.dbrouter.ReplicaRouter"]

    without = json.loads(_settings_of(DATABASE_URL="postgres://app@db1:5432/crocevia").stdout)
    assert without == {"replica": None, "routers": []}


def test_a_replica_of_another_kind_of_database_is_refused():
    result = _settings_of(
        DATABASE_URL="postgres://app@db1:5432/crocevia",
        DATABASE_REPLICA_URL="sqlite:////tmp/other.sqlite3",
    )
    assert result.returncode != 0
    assert "same kind" in result.stderr
