"""The fast-write helpers behind imports: id allocation, early constraint checks, the
reading thread."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from crocevia.core.testing import PersonFactory
from crocevia.desk.models import Contact, DeskService
from crocevia.interchange.bulkdb import allocate_ids, bulk_insert_rows, pending_checks_meanwhile
from crocevia.interchange.engine import _ahead

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


def test_a_broken_reference_is_refused_and_nothing_of_the_block_stays(actors):
    through = Contact.services.through
    service = DeskService.objects.order_by("pk").first()
    missing_contact = 10**9
    reached_after_block = False
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert_rows(
            through,
            ["contact_id", "deskservice_id", "date", "desk_id"],
            [(missing_contact, service.pk, datetime.date(2024, 1, 2), actors.desk.pk)],
        )
        with pending_checks_meanwhile():
            computed = sum(range(1000))  # plain Python while the server checks
        reached_after_block = True
        # SQLite checks its deferred constraints at commit, which a test never reaches.
        connection.check_constraints(table_names=[through._meta.db_table])
    assert computed == 499500
    # On PostgreSQL the block itself raised: the checks ran during it, not at commit.
    assert reached_after_block is (connection.vendor != "postgresql")
    assert not through.objects.filter(contact_id=missing_contact).exists()


def test_the_connection_is_usable_after_the_checks(actors):
    contact = make_contact(actors.desk)
    with pending_checks_meanwhile():
        pass
    assert Contact.objects.filter(pk=contact.pk).count() == 1


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
        assert analyzed == ['ANALYZE "people_person", "people_household", "audit_auditevent"']
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
