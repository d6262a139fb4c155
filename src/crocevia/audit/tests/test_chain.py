"""The audit trail as evidence: append-only, sealed into a hash chain, verified.

The tampering tests alter the table with SQL, as someone with database access would (on
PostgreSQL with the append-only trigger disabled first, as the table's owner can).
"""

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crocevia.audit import chain
from crocevia.audit.actions import AuditAction
from crocevia.audit.chain import GENESIS, event_hash, seal_pending, verify_chain
from crocevia.audit.models import AppendOnlyError, AuditEvent
from crocevia.audit.services import audit_access, audit_change
from crocevia.interchange.tests.helpers import load_all
from crocevia.jobs.testing import run_jobs
from crocevia.testing import PersonFactory

from .helpers import sql

pytestmark = pytest.mark.django_db

SEAL_TASK = "crocevia.audit.tasks.seal_chain"


@pytest.fixture
def person(db):
    return PersonFactory()


@pytest.fixture
def events(actors, person):
    """Six sealed events (positions 1..6), in id order."""
    made = []
    for i in range(6):
        if i % 2:
            made.append(audit_access(actor=actors.desk_operator, instance=person, person=person))
        else:
            made.append(
                audit_change(
                    actor=actors.social_worker,
                    action=AuditAction.PERSON_UPDATE,
                    instance=person,
                    person=person,
                    changes={"phone": [f"05{i}", f"06{i}"]},
                )
            )
    assert seal_pending() == 6
    return [AuditEvent.objects.get(pk=e.pk) for e in made]


def verify(*args):
    """Run `crocevia audit verify`: (ok, stdout, stderr, message of the error if any)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return False, out.getvalue(), err.getvalue(), str(exc)
    return True, out.getvalue(), err.getvalue(), ""


# --- sealing -------------------------------------------------------------------------------


def test_events_are_inserted_unsealed_and_sealed_in_id_order_with_chained_hashes(events):
    assert [e.chain_position for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0].chain_prev == GENESIS
    for before, after in zip(events, events[1:], strict=False):
        assert after.chain_prev == before.chain_hash
    first = events[0]
    values = [
        getattr(first, name)
        for name in (
            "id", "at", "kind", "action", "actor_id", "actor_organisations", "object_type",
            "object_id", "person_id", "changes", "note",
        )
    ]  # fmt: skip
    assert first.chain_hash == event_hash(1, GENESIS, values)


def test_a_commit_seals_the_events_it_wrote(actors, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for _ in range(3):
            audit_access(actor=actors.desk_operator, instance=person, person=person)
        assert not AuditEvent.objects.filter(chain_position__isnull=False).exists()
    assert len(callbacks) == 1  # one sealing per transaction, however many events
    assert sorted(AuditEvent.objects.values_list("chain_position", flat=True)) == [1, 2, 3]


def test_events_of_a_bulk_import_are_sealed_after_its_commit(
    tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        load_all(tmp_path)  # territory .. contacts: bulk_create and bulk_insert_rows paths
    contact_events = AuditEvent.objects.filter(object_type="desk.contact")
    assert contact_events.count() == 3
    assert not AuditEvent.objects.filter(chain_position__isnull=True).exists()
    positions = sorted(AuditEvent.objects.values_list("chain_position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_large_commit_seals_one_batch_itself_and_leaves_the_rest_to_a_job(monkeypatch):
    monkeypatch.setattr(chain, "SEAL_AT_ONCE", 5)
    with transaction.atomic():
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    kind="change",
                    action=AuditAction.PERSON_UPDATE,
                    object_type="t",
                    object_id=str(i),
                )
                for i in range(12)
            ]
        )
    sealed = AuditEvent.objects.filter(chain_position__isnull=False).count()
    jobs = DBTaskResult.objects.filter(task_path=SEAL_TASK)
    if connection.vendor == "postgresql":
        assert sealed == 5 and jobs.count() == 1  # then the worker seals the others
        assert run_jobs() == 1
    else:  # one writer at a time: the writer seals everything, no job to fight it
        assert sealed == 12 and not jobs.exists()
    assert not AuditEvent.objects.filter(chain_position__isnull=True).exists()
    assert verify_chain(seal=False).events == 12


@pytest.mark.django_db(transaction=True)
def test_a_writer_never_waits_for_another_sealer(postgresql):
    """While another process holds the sealer's lock, a commit returns at once (it does not
    queue behind it) and leaves its event to a sealing job, which seals it once the lock
    is free."""
    import psycopg

    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    )
    other.execute("SELECT pg_advisory_lock(%s)", [chain.SEAL_LOCK_KEY])
    try:
        committed = threading.Event()

        def write():
            try:
                with transaction.atomic():
                    AuditEvent.objects.create(
                        kind="change",
                        action=AuditAction.PERSON_UPDATE,
                        object_type="t",
                        object_id="1",
                    )
            finally:
                connection.close()
                committed.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert committed.wait(timeout=20), "the commit waited for the other sealer"
        writer.join()
        # Committed, not sealed yet: a job will, the writer did not wait for the lock.
        assert AuditEvent.objects.filter(chain_position__isnull=True).count() == 1
        assert DBTaskResult.objects.filter(task_path=SEAL_TASK, status="READY").count() == 1
    finally:
        other.execute("SELECT pg_advisory_unlock(%s)", [chain.SEAL_LOCK_KEY])
        other.close()
    assert run_jobs() == 1
    assert not AuditEvent.objects.filter(chain_position__isnull=True).exists()
    assert verify_chain(seal=False).ok


def test_sealing_goes_on_from_the_head_of_the_chain(events, actors, person):
    later = audit_access(actor=actors.desk_operator, instance=person, person=person)
    assert seal_pending() == 1
    later = AuditEvent.objects.get(pk=later.pk)
    assert (later.chain_position, later.chain_prev) == (7, events[-1].chain_hash)
    assert seal_pending() == 0


def test_events_record_the_actors_organisations_at_the_time(actors, person):
    event = audit_access(actor=actors.desk_operator, instance=person, person=person)
    assert AuditEvent.objects.get(pk=event.pk).actor_organisations == actors.sds.name


# --- verify --------------------------------------------------------------------------------


def test_verify_passes_on_an_intact_chain_and_prints_its_head(events, settings, tmp_path):
    settings.CROCEVIA_AUDIT_WITNESS = tmp_path / "witness.jsonl"
    call_command("audit", "anchor", stdout=io.StringIO())  # as scheduled (README)
    ok, output, warnings, _error = verify()
    assert ok and not warnings
    assert f"6:{events[-1].chain_hash}" in output


def test_verify_seals_pending_events_first(events, actors, person):
    audit_access(actor=actors.desk_operator, instance=person, person=person)
    assert verify()[0]
    assert AuditEvent.objects.get(chain_position=7)


def test_verify_names_an_altered_event(events):
    target = events[2]
    sql("UPDATE audit_auditevent SET note = 'nothing to see' WHERE id = %s", [target.pk])
    ok, _output, _warnings, error = verify()
    assert not ok
    assert f" {target.pk} " in error and " 3 " in error
    problem = verify_chain().first_problem
    assert (problem.kind, problem.event_id, problem.position) == ("altered", target.pk, 3)


def test_events_after_a_head_hash_altered_beyond_hex_are_still_sealed_and_it_is_named(
    events, actors, person
):
    """The sealing writes its hashes as array literals; a head hash altered into
    something that is not a hex digest must not break it."""
    head = events[-1]
    sql("UPDATE audit_auditevent SET chain_hash = %s WHERE id = %s", ['x","}{', head.pk])
    audit_access(actor=actors.desk_operator, instance=person, person=person)
    result = verify_chain()
    assert AuditEvent.objects.get(chain_position=7).chain_prev == 'x","}{'
    assert (result.first_problem.kind, result.first_problem.event_id) == ("altered", head.pk)


def test_verify_names_an_altered_change_even_when_only_a_json_value_differs(events):
    target = events[4]
    sql(
        "UPDATE audit_auditevent SET changes = %s WHERE id = %s",
        ['{"phone": ["054", "999"]}', target.pk],
    )
    problem = verify_chain().first_problem
    assert (problem.kind, problem.event_id) == ("altered", target.pk)


def test_verify_names_a_removed_event(events):
    sql("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    ok, _output, _warnings, error = verify()
    assert not ok
    assert " 4 " in error and str(events[2].pk) in error
    result = verify_chain()
    assert (result.first_problem.kind, result.first_problem.position) == ("missing", 4)
    assert result.first_problem.previous_id == events[2].pk
    assert result.problems == 1


def test_verify_names_the_first_of_two_swapped_events(events):
    a, b = events[1], events[2]
    sql("UPDATE audit_auditevent SET chain_position = 1000000 WHERE id = %s", [a.pk])
    sql("UPDATE audit_auditevent SET chain_position = 2 WHERE id = %s", [b.pk])
    sql("UPDATE audit_auditevent SET chain_position = 3 WHERE id = %s", [a.pk])
    ok, _output, _warnings, error = verify()
    assert not ok
    problem = verify_chain().first_problem
    assert (problem.kind, problem.event_id, problem.position) == ("out_of_sequence", b.pk, 2)
    assert str(b.pk) in error


def test_verify_names_an_event_whose_whole_row_was_rehashed_without_its_successors(events):
    """Changing an event and recomputing its hash breaks the link to the next one."""
    target = events[1]
    sql("UPDATE audit_auditevent SET note = 'forged' WHERE id = %s", [target.pk])
    row = AuditEvent.objects.filter(pk=target.pk).values_list(
        "id", "at", "kind", "action", "actor_id", "actor_organisations", "object_type",
        "object_id", "person_id", "changes", "note",
    ).get()  # fmt: skip
    sql(
        "UPDATE audit_auditevent SET chain_hash = %s WHERE id = %s",
        [event_hash(2, target.chain_prev, row), target.pk],
    )
    problem = verify_chain().first_problem
    assert (problem.kind, problem.event_id) == ("out_of_sequence", events[2].pk)


def test_an_anchor_catches_the_removal_of_the_last_events(events):
    anchor = f"6:{events[-1].chain_hash}"
    assert verify("--anchor", anchor)[0]
    sql("DELETE FROM audit_auditevent WHERE chain_position >= 5")
    assert verify()[0]  # the chain alone cannot tell its end was cut...
    ok, _output, _warnings, error = verify("--anchor", anchor)
    assert not ok  # ...the anchor can
    assert "6" in error


def test_an_anchor_catches_a_rewritten_chain(events):
    sql("UPDATE audit_auditevent SET chain_hash = %s WHERE chain_position = 6", ["f" * 64])
    result = verify_chain(anchor=(6, events[-1].chain_hash))
    assert {p for p in [result.first_problem.kind]} == {"altered"}
    assert result.problems == 2  # the changed hash, and the anchor it no longer matches


def test_a_malformed_anchor_is_refused(events):
    ok, _output, _warnings, error = verify("--anchor", "six:abc")
    assert not ok and "--anchor" in error


def test_verify_warns_about_events_left_unsealed_for_minutes(actors, person):
    event = audit_access(actor=actors.desk_operator, instance=person, person=person)
    old = timezone.now() - datetime.timedelta(minutes=30)
    sql("UPDATE audit_auditevent SET at = %s WHERE id = %s", [old, event.pk])
    result = verify_chain(seal=False)
    assert (result.stale_unsealed, result.unsealed, result.events) == (1, 1, 0)
    ok, _output, warnings, _error = verify()
    assert ok and warnings  # the warning, then the sealing of the late event
    assert verify_chain().stale_unsealed == 0


def test_seal_command_seals_what_is_pending(actors, person):
    audit_access(actor=actors.desk_operator, instance=person, person=person)
    out = io.StringIO()
    call_command("audit", "seal", stdout=out)
    assert ": 1," in out.getvalue()
    assert not AuditEvent.objects.filter(chain_position__isnull=True).exists()


# --- append-only ---------------------------------------------------------------------------


def test_the_application_cannot_change_an_event(events):
    event = events[0]
    event.note = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(note="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["note"])
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"note": "changed"})
    assert AuditEvent.objects.get(pk=event.pk).note == ""


def test_the_application_cannot_delete_an_event(events):
    with pytest.raises(AppendOnlyError):
        events[0].delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 6


def test_the_person_of_an_event_cannot_be_deleted(events, person):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        person.delete()


def plain_sql(statement, params):
    """SQL as the application's own connection would send it (the trigger enabled)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")


def test_database_refuses_an_update_of_an_event(postgresql, events):
    with pytest.raises(DatabaseError, match="append-only"):
        plain_sql("UPDATE audit_auditevent SET note = 'x' WHERE id = %s", [events[0].pk])


def test_database_refuses_to_reseal_or_unseal_an_event(postgresql, events):
    for statement in (
        "UPDATE audit_auditevent SET chain_hash = 'f' WHERE id = %s",
        "UPDATE audit_auditevent SET chain_position = NULL, chain_prev = NULL, chain_hash = NULL "
        "WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            plain_sql(statement, [events[0].pk])


def test_database_refuses_a_delete_of_an_event(postgresql, events):
    with pytest.raises(DatabaseError, match="append-only"):
        plain_sql("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])


def test_database_lets_only_the_sealing_through(postgresql, actors, person):
    event = audit_access(actor=actors.desk_operator, instance=person, person=person)
    with pytest.raises(DatabaseError, match="append-only"):
        plain_sql(
            "UPDATE audit_auditevent SET chain_position = 1, chain_prev = %s, chain_hash = %s, "
            "note = 'x' WHERE id = %s",
            [GENESIS, "a" * 64, event.pk],
        )
    assert seal_pending() == 1
    assert verify_chain().ok


def test_the_trigger_guards_every_column_of_the_model_but_the_chain():
    """A column added to AuditEvent must be added to the trigger's list too."""
    import importlib

    migration = importlib.import_module("crocevia.audit.migrations.0004_append_only_trigger")
    columns = {f.column for f in AuditEvent._meta.concrete_fields}
    assert set(migration.EVENT_COLUMNS) == columns - {"chain_position", "chain_prev", "chain_hash"}


# --- admin ---------------------------------------------------------------------------------


def test_admin_shows_events_but_cannot_add_change_or_delete_them(events, login, actors):
    client = login(actors.admin)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get(f"/admin/audit/auditevent/{events[0].pk}/change/").status_code == 200
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.get(f"/admin/audit/auditevent/{events[0].pk}/delete/").status_code == 403
    response = client.post(
        "/admin/audit/auditevent/",
        {"action": "delete_selected", "_selected_action": [events[0].pk], "post": "yes"},
    )
    assert AuditEvent.objects.count() == 6
    assert response.status_code in (200, 302)


def test_one_sealing_job_waits_at_most_however_many_hand_overs(db):
    """Pages hand their events over by the thousand: one job waits, and the next hand-over
    after it started enqueues the next one (what it did not see)."""
    waiting = DBTaskResult.objects.filter(task_path=SEAL_TASK, status="READY")
    chain.request_sealing()
    chain.request_sealing()
    assert waiting.count() == 1
    assert run_jobs() == 1
    chain.request_sealing()
    assert waiting.count() == 1


def test_a_hand_over_without_the_jobs_cache_asks_the_database(db, monkeypatch):
    from django.core.cache import caches

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["jobs"], "add", down)
    chain.request_sealing()
    chain.request_sealing()
    assert DBTaskResult.objects.filter(task_path=SEAL_TASK, status="READY").count() == 1


def test_wait_for_sealing_with_a_timeout_says_whether_the_sealing_is_over(actors, person):
    AuditEvent.objects.bulk_create(  # no commit in this test: left unsealed
        [AuditEvent(kind="change", action=AuditAction.PERSON_UPDATE, object_type="t")]
    )
    assert chain.wait_for_sealing(timeout=0.05) is False  # no worker in this test
    assert chain.wait_for_sealing() is True  # seals here
    assert not AuditEvent.objects.unsealed().exists()
    assert chain.wait_for_sealing(timeout=0) is True
