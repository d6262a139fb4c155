"""The monitoring report read from a database replica (DATABASE_REPLICA_URL, issue 20):
its reads go to the replica, its writes (the session, access events) to the primary, its
footer says where the data came from; an unreachable replica falls back to the primary.

The `replica` fixture (conftest.py) is a second connection to the test database, which
sees what is committed only, as a streaming replica would: these tests are transactional.
"""

import io
import json
import logging

from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from crocevia.audit.models import AuditEvent
from crocevia.audit.recording import record_access
from crocevia.core.dbrouter import REPLICA, ReadSource, reads_from_replica
from crocevia.reporting.indicators import KEYS, Scope, build_report
from crocevia.testing import PersonFactory, fetch_prepared

from .conftest import END, START

PAGE = reverse("reporting:report")
YEAR_2025 = {"from": START.isoformat(), "to": END.isoformat()}


def _sql(captured) -> str:
    return "\n".join(q["sql"] for q in captured.captured_queries)


def _writes(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def _replica_note(language="it") -> str:
    """The footer of a report read from the test's replica: up to date on PostgreSQL (a
    mirror is not in recovery); SQLite cannot tell."""
    lag = 0 if connections[REPLICA].vendor == "postgresql" else None
    with translation.override(language):
        return ReadSource(alias=REPLICA, configured=True, lag=lag).note()


def test_the_report_page_reads_from_the_replica_and_writes_on_the_primary(net, replica, login):
    client = login(net.a.admin)
    query = {**YEAR_2025, "zone": net.a.zone.code}
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        response = client.get(PAGE, query)
    assert response.status_code == 200
    # The figures from the replica; the user, the session, the scopes from the primary.
    assert "desk_contact" in _sql(on_replica) and "cases_case" in _sql(on_replica)
    assert "desk_contact" not in _sql(on_primary)
    assert not _writes(on_replica)
    assert any("django_session" in sql for sql in _writes(on_primary))
    assert response.context["data_note"] == _replica_note()
    assert 'id="report-source"' in response.content.decode()
    # The same report as from the primary.
    scope = Scope(zone=net.a.zone)
    assert response.context["report"] == build_report(START, END, scope, with_referrals=True)


def test_the_footer_says_how_far_behind_the_replica_is(net, replica, login):
    response = login(net.a.admin).get(PAGE, YEAR_2025)
    if connections[REPLICA].vendor == "postgresql":
        with translation.override("en"):
            assert _replica_note("en") == (
                "Data read from a replica, up to date with the primary database."
            )
    assert _replica_note() in response.content.decode()


def test_without_a_replica_the_page_has_no_note_on_its_data(net, login):
    response = login(net.a.admin).get(PAGE, YEAR_2025)
    assert response.status_code == 200
    assert response.context["data_note"] == ""
    assert 'id="report-source"' not in response.content.decode()


def test_the_files_say_the_data_came_from_the_replica_and_the_json_does_not(net, replica, login):
    client = login(net.a.admin)
    # The files are prepared by the worker (crocevia.downloads), which reads the replica.
    asked = client.get(reverse("reporting:export", args=["xlsx"]), YEAR_2025)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        xlsx = fetch_prepared(client, asked)
    assert "desk_contact" in _sql(on_replica)
    index = load_workbook(io.BytesIO(xlsx.getvalue())).worksheets[0]
    texts = [cell.value for row in index.iter_rows() for cell in row if cell.value]
    assert _replica_note() in texts

    pdf = fetch_prepared(client, client.get(reverse("reporting:export", args=["pdf"]), YEAR_2025))
    pages = PdfReader(io.BytesIO(pdf.getvalue())).pages
    text = " ".join(page.extract_text() for page in pages)
    assert " ".join(_replica_note().split()) in " ".join(text.split())

    data = json.loads(client.get(reverse("reporting:export", args=["json"]), YEAR_2025).content)
    assert set(data) == {"period", "scope", "indicators"}
    assert list(data["indicators"]) == list(KEYS)


def test_access_events_recorded_while_reading_from_the_replica_go_to_the_primary(net, replica):
    person = PersonFactory()
    before = AuditEvent.objects.count()
    with (
        reads_from_replica() as source,
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
    ):
        assert source.from_replica
        record_access(actor=net.a.coordinator, instance=person, person_id=person.pk)
    assert not _writes(on_replica)
    assert AuditEvent.objects.using(DEFAULT_DB_ALIAS).count() == before + 1


def test_an_unreachable_replica_falls_back_to_the_primary(net, unreachable_replica, login, caplog):
    with caplog.at_level(logging.WARNING, logger="crocevia.core.dbrouter"):
        response = login(net.a.admin).get(PAGE, {**YEAR_2025, "zone": net.a.zone.code})
    assert response.status_code == 200
    assert "replica" in caplog.text and "primary" in caplog.text
    with translation.override("it"):
        fallback = ReadSource(configured=True).note()
    assert response.context["data_note"] == fallback
    assert fallback in response.content.decode()
    scope = Scope(zone=net.a.zone)
    assert response.context["report"] == build_report(START, END, scope, with_referrals=True)


def test_the_report_command_reads_from_the_replica(net, replica, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        call_command("report", "--from", "2025-01-01", "--to", "2025-12-31", stdout=out, stderr=err)
    assert "desk_contact" in _sql(on_replica)
    assert set(json.loads(out.getvalue())) == {"period", "scope", "indicators"}
    assert _replica_note() in err.getvalue()

    target = tmp_path / "report.xlsx"
    call_command(
        "report", "--from", "2025-01-01", "--to", "2025-12-31", "--format", "xlsx",
        "--output", str(target),
    )  # fmt: skip
    index = load_workbook(target).worksheets[0]
    assert _replica_note() in [c.value for row in index.iter_rows() for c in row if c.value]
