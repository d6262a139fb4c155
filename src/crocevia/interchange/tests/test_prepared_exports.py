"""The XLSX export is prepared by the worker (crocevia.downloads): the request records the
export's access event and sends the user to the file's page; the job writes the workbook
with the scope the user has when it runs, and refuses when that is no longer the scope
the event recorded. The CSV stays streamed; the protected ZIP stays in the request (its
password must never wait in the queue's table)."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crocevia.accounts.models import Membership, Profile
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.desk.models import Contact
from crocevia.downloads.models import PreparedFile
from crocevia.interchange.engine import write_export
from crocevia.interchange.scope import Scope
from crocevia.testing import PersonFactory, fetch_prepared, run_queued_jobs

from .helpers import it

pytestmark = pytest.mark.django_db

PASSWORD = "archivio-di-prova-2026"


@pytest.fixture
def two_zones(actors):
    for external_id, desk in (("C-PI", actors.desk), ("C-LI", actors.other_desk)):
        person = PersonFactory(external_id=f"P-{external_id[2:]}")
        Contact.objects.create(
            external_id=external_id, person=person, desk=desk, date=timezone.localdate()
        )
    return actors


def _ask(client, kind, query="?formato=xlsx"):
    return client.get(reverse("interchange:export", args=[kind]) + query)


def _cells(data: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [
        (sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
        for sheet in book.worksheets
    ]


def _written_in_the_request(kind, user) -> bytes:
    """What the export view wrote into its answer before the worker did it."""
    stream = io.BytesIO()
    write_export(kind, stream, fmt="xlsx", scope=Scope.for_user(user))
    return stream.getvalue()


@pytest.mark.parametrize("kind", ["persons", "contacts", "desks"])
@pytest.mark.parametrize("who", ["coordinator", "admin"])
def test_the_xlsx_downloaded_is_the_workbook_the_request_wrote(two_zones, login, who, kind):
    user = getattr(two_zones, who)
    client = login(user)
    response = fetch_prepared(client, _ask(client, kind))
    assert _cells(response.getvalue()) == _cells(_written_in_the_request(kind, user))
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Cache-Control"] == "no-store"


def test_the_export_is_recorded_when_asked_and_the_download_records_nothing(two_zones, login):
    client = login(two_zones.coordinator)
    asked = _ask(client, "persons")
    prepared = PreparedFile.objects.get()
    today = timezone.localdate().isoformat()
    assert prepared.file_name == f"persone-{today}.xlsx"
    event = AuditEvent.objects.get(action=AuditAction.DATA_EXPORT)
    assert (event.actor, event.changes["format"]) == (two_zones.coordinator, "xlsx")
    assert event.changes["zones"] == [two_zones.zone.pk]
    count = AuditEvent.objects.count()
    text = fetch_prepared(client, asked).getvalue()
    assert AuditEvent.objects.count() == count
    assert _cells(text)[0][1][1][0] == "P-PI"  # the coordinator's zone only
    assert "P-LI" not in str(_cells(text))


def test_a_coordinator_who_lost_the_zone_before_the_job_ran_gets_no_data(two_zones, login):
    client = login(two_zones.coordinator)
    _ask(client, "persons")
    Membership.objects.filter(user=two_zones.coordinator).update(active=False)
    run_queued_jobs()
    prepared = PreparedFile.objects.get()
    assert prepared.status == PreparedFile.Status.FAILED
    assert prepared.error == it(
        "You may no longer export data: ask your coordinator if you need it."
    )
    assert prepared.storage_name == ""


def test_a_scope_changed_since_the_export_was_recorded_is_refused(two_zones, login):
    """The export's event names the zones of the file: a coordinator who took on another
    zone since asking gets no file holding more than the event says (they ask again)."""
    client = login(two_zones.coordinator)
    _ask(client, "contacts")
    Membership.objects.create(
        user=two_zones.coordinator, organisation=two_zones.other_org, profile=Profile.COORDINATOR
    )
    run_queued_jobs()
    prepared = PreparedFile.objects.get()
    assert prepared.status == PreparedFile.Status.FAILED
    assert prepared.error == it(
        "Your access changed after you asked for this export: ask for it again."
    )


def test_the_csv_stays_streamed_from_the_request(two_zones, login):
    response = _ask(login(two_zones.coordinator), "persons", "?formato=csv")
    assert response.status_code == 200 and response.streaming
    assert not PreparedFile.objects.exists() and not DBTaskResult.objects.exists()


def test_the_protected_archive_stays_in_the_request_and_its_password_goes_nowhere(two_zones, login):
    response = login(two_zones.coordinator).post(
        reverse("interchange:export_protected"),
        {
            "protetto-kind": "persons",
            "protetto-format": "xlsx",
            "protetto-password": PASSWORD,
            "protetto-password_again": PASSWORD,
        },
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert not PreparedFile.objects.exists() and not DBTaskResult.objects.exists()
    recorded = [str(e.changes) + e.note for e in AuditEvent.objects.all()]
    assert not [text for text in recorded if PASSWORD in text]
