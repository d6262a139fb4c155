"""The fast-write helpers behind imports: id allocation, inserts sent in the background
with their constraint checks, COPY's text format, the reading thread."""

import datetime
import json
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from crocevia.desk.models import Contact, DeskService
from crocevia.interchange.bulkdb import BackgroundInserts, allocate_ids
from crocevia.interchange.engine import _ahead
from crocevia.testing import PersonFactory

pytestmark = pytest.mark.django_db


def make_contact(desk):
    return Contact.objects.create(person=PersonFactory(), desk=desk, date=datetime.date(2024, 1, 1))


def test_allocated_ids_are_new_distinct_and_usable(actors):
    make_contact(actors.desk)
    last = make_contact(actors.desk)
    ids = allocate_ids(Contact, 3)
    assert len(set(ids)) == 3
    assert min(ids) > last.pk
    # A deleted row's id is not given again (SQLite's AUTOINCREMENT counter is honoured).
    last_pk = last.pk
    last.delete()
    assert allocate_ids(Contact, 1)[0] > last_pk
    assert allocate_ids(Contact, 0) == []


THROUGH_COLUMNS = ["contact_id", "deskservice_id", "date", "desk_id"]


def test_a_broken_reference_in_a_batch_is_refused_before_the_commit(actors):
    through = Contact.services.through
    service = DeskService.objects.order_by("pk").first()
    missing_contact = 10**9
    inserts = BackgroundInserts()
    with pytest.raises(IntegrityError), transaction.atomic():
        inserts.add(
            through,
            THROUGH_COLUMNS,
            [(missing_contact, service.pk, datetime.date(2024, 1, 2), actors.desk.pk)],
        )
        inserts.send()
        computed = sum(range(1000))  # plain Python while the server writes and checks
        if connection.vendor == "postgresql":
            inserts.wait()  # the batch's own checks raise here, before any commit
            pytest.fail("The batch's foreign keys were not checked.")
        # SQLite checks its deferred constraints at commit, which a test never reaches.
        connection.check_constraints(table_names=[through._meta.db_table])
    assert computed == 499500
    assert not through.objects.filter(contact_id=missing_contact).exists()


def _service_row(contact, service):
    return (contact.pk, service.pk, contact.date, contact.desk_id)


def _writers_alive() -> list:
    return [t for t in threading.enumerate() if t.name == "interchange-writer"]


def test_a_batch_is_written_in_the_callers_transaction_while_the_caller_queries(actors):
    contact = make_contact(actors.desk)
    service = DeskService.objects.order_by("pk").first()
    through = Contact.services.through
    inserts = BackgroundInserts()
    with transaction.atomic():
        inserts.add(
            through,
            THROUGH_COLUMNS,
            [_service_row(contact, service)],
            line=lambda r: f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\n",
        )
        inserts.send()
        assert Contact.objects.filter(pk=contact.pk).count() == 1  # waits its turn
        inserts.wait()
        assert list(contact.services.values_list("pk", flat=True)) == [service.pk]
        inserts.send()  # nothing queued: nothing sent
        inserts.wait()
        transaction.set_rollback(True)
    # Written in the caller's transaction: rolled back with it.
    assert not through.objects.filter(contact=contact).exists()


def test_discarding_drops_the_queue_and_waits_for_the_batch_in_flight(actors):
    through = Contact.services.through
    first, second = DeskService.objects.order_by("pk")[:2]
    contact = make_contact(actors.desk)
    inserts = BackgroundInserts()
    with transaction.atomic():
        inserts.add(through, THROUGH_COLUMNS, [_service_row(contact, first)])
        inserts.send()
        inserts.add(through, THROUGH_COLUMNS, [_service_row(contact, second)])
        assert inserts.discard() is None
        assert _writers_alive() == []
        written = set(through.objects.filter(contact=contact).values_list("deskservice_id"))
        transaction.set_rollback(True)
    if connection.vendor == "postgresql":
        assert written == {(first.pk,)}  # the batch in flight ended; the queue was dropped
    else:
        assert written == {(first.pk,), (second.pk,)}  # SQLite inserts at once


def test_discarding_returns_the_error_of_the_batch_in_flight(actors):
    through = Contact.services.through
    service = DeskService.objects.order_by("pk").first()
    contact = make_contact(actors.desk)
    inserts = BackgroundInserts()
    with transaction.atomic():
        inserts.add(through, THROUGH_COLUMNS, [(10**9, service.pk, contact.date, 1)])
        inserts.send()
        error = inserts.discard()
        transaction.set_rollback(True)
    if connection.vendor == "postgresql":
        assert isinstance(error, IntegrityError)
    else:
        assert error is None  # nothing in flight: checked at commit
    assert not through.objects.filter(contact_id=10**9).exists()


@pytest.mark.django_db(transaction=True)
def test_background_inserts_refuse_to_run_outside_a_transaction(actors):
    from crocevia.desk.services import contacts_import_bulk

    contact = make_contact(actors.desk)
    service = DeskService.objects.order_by("pk").first()
    inserts = BackgroundInserts()
    with pytest.raises(RuntimeError, match="inside a transaction"):
        contacts_import_bulk(actor=None, rows=[], inserts=inserts)
    if connection.vendor == "postgresql":
        inserts.add(Contact.services.through, THROUGH_COLUMNS, [_service_row(contact, service)])
        with pytest.raises(RuntimeError, match="inside a transaction"):
            inserts.send()
    assert not Contact.services.through.objects.exists()


@pytest.mark.parametrize(
    "value",
    ["C-0001", "", "tab\there", "line\nend\r", "back\\slash", 'quote"d', "Niccolò", "\x7f", "{}"],
)
def test_copy_text_and_json_strings_keep_every_character(actors, value):
    """Audit events as an import writes them (change_event_rows, COPY lines by
    change_event_line) keep every character of their text columns and JSON."""
    from crocevia.audit.models import AuditEvent
    from crocevia.interchange.bulkdb import (
        CHANGE_EVENT_COLUMNS,
        change_event_line,
        change_event_rows,
        json_string,
    )

    assert json_string(value) == json.dumps(value)
    rows = change_event_rows(
        "test.row", actors.admin, [("create", 1, json.dumps({value: [None, value]}), None)], value
    )
    inserts = BackgroundInserts()
    inserts.add(AuditEvent, CHANGE_EVENT_COLUMNS, rows, line=change_event_line, json_text=True)
    inserts.send()
    inserts.wait()
    event = AuditEvent.objects.get(object_type="test.row")
    assert (event.changes, event.note, event.actor_id, event.person_id) == (
        {value: [None, value]},
        value,
        actors.admin.pk,
        None,
    )


@pytest.mark.parametrize("value", ["", "tab\there", "line\nend\r", "back\\slash", 'quote"d',
                                   "Niccolò", "😀", "{}"])  # fmt: skip
def test_change_events_of_an_import_keep_every_character(actors, value):
    """insert_change_events (persons, households, the network's kinds) writes COPY lines on
    PostgreSQL: every character of the changes, the object id and the note survives."""
    from crocevia.audit.models import AuditEvent
    from crocevia.audit.services import organisations_label
    from crocevia.interchange.bulkdb import insert_change_events

    person = PersonFactory()
    changes = {value: [None, value], "n": [1, 2.5], "list": [[value], None], "ok": [False, True]}
    operator = actors.desk_operator  # recorded with the names of their organisations
    insert_change_events(
        "test.row", operator, [("update", f"X{value}", changes, person.pk)], note=value
    )
    event = AuditEvent.objects.get(object_type="test.row")
    assert (event.action, event.object_id, event.changes, event.note) == (
        "update",
        f"X{value}",
        changes,
        value,
    )
    assert (event.actor_id, event.person_id, event.kind) == (operator.pk, person.pk, "change")
    assert event.actor_organisations == organisations_label(operator) != ""
    assert event.chain_position is None  # sealed after the commit


@pytest.mark.parametrize("stored", ["MA", "", "ma", "mar", "504"])
def test_bulk_insert_saves_a_country_fields_code_as_save_does(stored):
    """bulk_insert reads a country field's code without building a Country when it can;
    what it stores is what Model.save stores."""
    from crocevia.interchange.bulkdb import bulk_insert
    from crocevia.people.models import Person

    def new():
        return Person(
            family_name="Rossi",
            given_names="Anna",
            sex="F",
            birth_date=datetime.date(1980, 1, 1),
            citizenship=stored,
            birth_country=stored,
        )

    saved = new()
    saved.save()
    (inserted,) = bulk_insert(Person, [new()])
    fields = ("citizenship", "birth_country")
    assert Person.objects.values_list(*fields).get(pk=inserted.pk) == (
        Person.objects.values_list(*fields).get(pk=saved.pk)
    )


def test_reading_ahead_gives_every_item_in_order_in_the_callers_language():
    def items():
        for i in range(50):
            yield i, translation.get_language(), threading.current_thread().name

    with translation.override("it"):
        got = list(_ahead(items(), depth=2))
    assert [i for i, _lang, _thread in got] == list(range(50))
    assert {lang for _i, lang, _thread in got} == {"it"}
    assert {thread for _i, _lang, thread in got} == {"interchange-reader"}


def test_reading_ahead_raises_the_readers_error_in_the_caller():
    def items():
        yield 1
        raise ValueError("broken file")

    got = []
    with pytest.raises(ValueError, match="broken file"):
        for item in _ahead(items()):
            got.append(item)
    assert got == [1]


def test_a_caller_that_stops_early_stops_the_reader():
    produced = []

    def items():
        for i in range(10_000):
            produced.append(i)
            yield i

    for item in _ahead(items(), depth=2):
        if item == 3:
            break
    assert len(produced) < 20
    assert not any(t.name == "interchange-reader" for t in threading.enumerate())


def test_a_large_import_refreshes_the_planner_statistics(tmp_path, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    from crocevia.interchange import engine

    from .helpers import PERSONS, load_all, write

    load_all(tmp_path, upto="desks")
    monkeypatch.setattr(engine, "ANALYZE_AFTER", 2)
    with CaptureQueriesContext(connection) as queries:
        report = engine.run_import("persons", write(tmp_path, PERSONS, "persons.csv"))
    assert report.ok and report.counts.created >= 2
    analyzed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        assert analyzed == [
            'ANALYZE "people_person", "people_household", "audit_auditevent" ("id", "at", '
            '"kind", "action", "actor_id", "object_type", "object_id", "person_id", '
            '"chain_position")'
        ]
    else:
        assert analyzed == []


def test_thread_switches_are_quicker_during_imports_and_restored_after():
    import sys

    from crocevia.interchange.engine import _quick_thread_switches

    before = sys.getswitchinterval()
    with _quick_thread_switches(0.0005):
        with _quick_thread_switches(0.0005):
            assert sys.getswitchinterval() == pytest.approx(0.0005)
        assert sys.getswitchinterval() == pytest.approx(0.0005)  # the outer import still runs
    assert sys.getswitchinterval() == before
