"""Monitoring officers export pseudonymised data only (issue 7): their zones (the
Region's officers: everything), never a name, always audited, and no imports."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crocevia.accounts.models import Profile
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.desk.models import Contact
from crocevia.interchange import services
from crocevia.interchange.kinds import get_kind, kind_names
from crocevia.interchange.models import ImportJob
from crocevia.interchange.pseudonym import ENV_KEY, Pseudonymiser
from crocevia.testing import (
    OrganisationFactory,
    PersonFactory,
    fetch_prepared,
    make_case,
    make_member,
)

from .helpers import it

pytestmark = pytest.mark.django_db

KEY = "a secret for the monitoring tests"
PASSWORD = "archivio-di-prova-2026"
# Distinctive values: none may appear in what a monitoring officer downloads.
PISA = {"family_name": "Zanardelli", "given_names": "Ottavia", "codice_fiscale": "ZNRTTV90E57G702K"}
LIVORNO = {"family_name": "Quagliarella", "given_names": "Ermenegildo"}
SECRETS = ("Zanardelli", "Ottavia", "ZNRTTV90E57G702K", "Quagliarella", "Ermenegildo")
SECRETS += ("P-PI", "P-REG", "P-CASE", "P-LI", "1990-05-17")


def pseudonym(external_id: str) -> str:
    return Pseudonymiser(KEY).pseudonym("person", external_id)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv(ENV_KEY, KEY)


@pytest.fixture
def world(actors):
    """Persons of zone ZPI in each way a person belongs to a zone (a contact at one of its
    desks, registered by one of its organisations, a case of the zone), and one of ZLI."""
    seen = PersonFactory(external_id="P-PI", **PISA)
    Contact.objects.create(
        external_id="C-PI", person=seen, desk=actors.desk, date=timezone.localdate()
    )
    PersonFactory(external_id="P-REG", created_by_organisation=actors.cpi)
    # A person of no organisation of the zone, with a case there (opened by the admin,
    # who may open one for anybody).
    make_case(
        actors,
        person=PersonFactory(external_id="P-CASE"),
        opened_by=actors.admin,
        referred_on=datetime.date(2025, 5, 1),
    )
    other = PersonFactory(external_id="P-LI", **LIVORNO)
    Contact.objects.create(
        external_id="C-LI", person=other, desk=actors.other_desk, date=timezone.localdate()
    )
    return actors


@pytest.fixture
def region_officer(actors):
    region = OrganisationFactory(code="RT", name="Regione Toscana", kind="region", zone=None)
    return make_member("regione", region, Profile.MONITORING_OFFICER)


def export(client, kind, query=""):
    return client.get(reverse("interchange:export", args=[kind]) + query)


def content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def xlsx_rows(data: bytes) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    header, *rows = sheet.iter_rows(values_only=True)
    return [
        dict(zip(header, ("" if v is None else str(v) for v in row), strict=True)) for row in rows
    ]


def assert_no_secrets(data: bytes):
    for secret in SECRETS:
        assert secret.encode() not in data, secret


def protected(client, **fields):
    data = {
        "protetto-kind": "persons",
        "protetto-format": "csv",
        "protetto-password": PASSWORD,
        "protetto-password_again": PASSWORD,
    }
    data.update({f"protetto-{k}": v for k, v in fields.items()})
    return client.post(reverse("interchange:export_protected"), data)


def zone_persons() -> set[str]:
    return {pseudonym(i) for i in ("P-PI", "P-REG", "P-CASE")}


# --- exports ---------------------------------------------------------------------------------


def test_zone_officer_gets_persons_pseudonymised_even_when_asking_for_names(world, login):
    response = export(login(world.monitoring_officer), "persons", "?formato=csv&pseudonimi=0")
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="persone-pseudonimi-{today}.csv"'
    )
    data = content(response)
    assert_no_secrets(data)
    rows = csv_rows(data)
    # Their zone's persons (contact, registration, case), not the other zone's.
    assert {r["external_id"] for r in rows} == zone_persons()
    assert pseudonym("P-LI") not in data.decode()
    pisa = next(r for r in rows if r["external_id"] == pseudonym("P-PI"))
    assert pisa["family_name"].startswith("FN-") and pisa["given_names"].startswith("GN-")
    assert pisa["codice_fiscale"].startswith("CF-")
    # Three persons, fewer than k: no birth date, nor any other quasi-identifier.
    assert pisa["birth_date"] == "" and pisa["sex"] == ""


def test_zone_officer_xlsx_is_pseudonymised_too(world, login):
    client = login(world.monitoring_officer)
    response = fetch_prepared(client, export(client, "persons", "?formato=xlsx"))
    assert "persone-pseudonimi-" in response["Content-Disposition"]
    data = content(response)
    rows = xlsx_rows(data)
    assert {r["external_id"] for r in rows} == zone_persons()
    text = " ".join(v for r in rows for v in r.values())
    for secret in SECRETS:
        assert secret not in text, secret


def test_zone_officer_contacts_point_at_pseudonyms_of_their_zone(world, login):
    # Four more persons at the desk that day: five, so the contacts keep their link to
    # the person (with fewer than k a desk's month links no one: test_k_anonymity.py).
    others = [f"P-PI{i}" for i in range(4)]
    for key in others:
        Contact.objects.create(
            external_id=f"C-{key}",
            person=PersonFactory(external_id=key),
            desk=world.desk,
            date=timezone.localdate(),
        )
    data = content(export(login(world.monitoring_officer), "contacts"))
    assert_no_secrets(data)
    rows = csv_rows(data)
    assert {r["person_external_id"] for r in rows} == {pseudonym(k) for k in ["P-PI", *others]}
    assert all(r["external_id"].startswith("CT-") for r in rows)
    assert {r["desk_code"] for r in rows} == {"SPI-PISA"}


def test_protected_archive_is_pseudonymised_whatever_is_posted(world, login):
    import pyzipper

    client = login(world.monitoring_officer)
    response = protected(client, pseudonymise="")
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert f'filename="persone-pseudonimi-{today}.zip"' in response["Content-Disposition"]
    with pyzipper.AESZipFile(io.BytesIO(content(response))) as archive:
        archive.setpassword(PASSWORD.encode())
        assert archive.namelist() == [f"persone-pseudonimi-{today}.csv"]
        data = archive.read(f"persone-pseudonimi-{today}.csv")
    assert_no_secrets(data)
    assert {r["external_id"] for r in csv_rows(data)} == zone_persons()
    event = AuditEvent.objects.get(action=AuditAction.DATA_EXPORT, actor=world.monitoring_officer)
    assert event.changes["pseudonymised"] is True
    assert event.changes["password_protected"] is True


def test_protected_xlsx_archive_is_pseudonymised(world, login):
    import pyzipper

    response = protected(login(world.monitoring_officer), format="xlsx")
    assert response.status_code == 200
    with pyzipper.AESZipFile(io.BytesIO(content(response))) as archive:
        archive.setpassword(PASSWORD.encode())
        (name,) = archive.namelist()
        data = archive.read(name)
    assert "-pseudonimi-" in name and name.endswith(".xlsx")
    rows = xlsx_rows(data)
    assert {r["external_id"] for r in rows} == zone_persons()
    text = " ".join(v for r in rows for v in r.values())
    for secret in SECRETS:
        assert secret not in text, secret


def test_region_officer_gets_every_zone(world, login, region_officer):
    data = content(export(login(region_officer), "persons"))
    assert_no_secrets(data)
    expected = zone_persons() | {pseudonym("P-LI")}
    assert {r["external_id"] for r in csv_rows(data)} == expected
    event = AuditEvent.objects.get(action=AuditAction.DATA_EXPORT, actor=region_officer)
    assert event.changes["zones"] == "all" and event.changes["pseudonymised"] is True


def test_the_export_is_an_audit_event_recording_the_pseudonyms(world, login):
    export(login(world.monitoring_officer), "persons", "?formato=xlsx&pseudonimi=0")
    event = AuditEvent.objects.get(action=AuditAction.DATA_EXPORT, actor=world.monitoring_officer)
    assert event.kind == AuditEvent.Kind.ACCESS
    assert event.changes == {
        "kind": "persons",
        "format": "xlsx",
        "pseudonymised": True,
        "zones": [world.zone.pk],
        "password_protected": False,
        "channel": "browser",
    }


def test_kinds_without_personal_data_export_as_they_are(world, login, monkeypatch):
    monkeypatch.delenv(ENV_KEY)  # no key needed for them
    client = login(world.monitoring_officer)
    response = export(client, "desks", "?pseudonimi=1")
    assert response.status_code == 200
    assert "-pseudonimi" not in response["Content-Disposition"]
    rows = csv_rows(content(response))
    assert [(r["code"], r["name"]) for r in rows] == [("SPI-PISA", world.desk.name)]
    event = AuditEvent.objects.get(action=AuditAction.DATA_EXPORT, actor=world.monitoring_officer)
    assert event.changes["pseudonymised"] is False
    response = export(client, "territory")
    assert [r["comune_name"] for r in csv_rows(content(response))] == ["Pisa"]


def test_only_territory_organisations_and_desks_go_out_without_pseudonyms():
    """A kind with personal data but no pseudonymised columns would reach monitoring
    officers as it is: a new kind must say which columns to pseudonymise."""
    plain = {name for name in kind_names() if not get_kind(name).pseudonymised}
    assert plain == {"territory", "organisations", "desks"}


def test_without_the_key_the_officer_gets_the_italian_message(world, login, monkeypatch):
    monkeypatch.delenv(ENV_KEY)
    client = login(world.monitoring_officer)
    message = it("Pseudonymised exports are not configured on this server.")
    assert message != "Pseudonymised exports are not configured on this server."
    for response in (export(client, "persons", "?pseudonimi=0"), protected(client)):
        assert response.status_code == 400
        assert response.content.decode() == message
    assert not AuditEvent.objects.filter(action=AuditAction.DATA_EXPORT).exists()
    page = client.get(reverse("interchange:index")).content.decode()
    assert 'id="pseudonym-unavailable"' in page
    assert reverse("interchange:export", args=["persons"]) not in page
    assert 'id="protected-export"' not in page
    assert reverse("interchange:export", args=["desks"]) + "?formato=csv" in page


# --- the page, the navigation, imports -------------------------------------------------------


def test_officer_page_offers_pseudonymised_exports_only(world, login):
    response = login(world.monitoring_officer).get(reverse("interchange:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="pseudonymised-only"' in page and world.zone.name in page
    assert 'enctype="multipart/form-data"' not in page  # no import form
    assert 'id="jobs-title"' not in page  # no recent imports
    assert "protetto-pseudonymise" not in page  # always on: no checkbox
    assert 'id="protected-export"' in page
    persons = reverse("interchange:export", args=["persons"])
    assert f"{persons}?formato=csv&amp;pseudonimi=1" in page
    assert f"{persons}?formato=xlsx&amp;pseudonimi=1" in page
    assert f'{persons}?formato=csv"' not in page
    assert reverse("interchange:export", args=["territory"]) + "?formato=csv" in page
    # The coordinator's page is unchanged.
    page = login(world.coordinator).get(reverse("interchange:index")).content.decode()
    assert 'enctype="multipart/form-data"' in page and "protetto-pseudonymise" in page
    assert 'id="pseudonymised-only"' not in page


def test_navigation_shows_the_page_to_officers_but_not_the_list_exports(world, login):
    index = reverse("interchange:index")
    home = login(world.monitoring_officer).get(reverse("home")).content.decode()
    assert f'href="{index}"' in home
    lists = login(world.monitoring_officer).get(reverse("people:search")).content.decode()
    assert reverse("interchange:export", args=["persons"]) not in lists
    home = login(world.desk_operator).get(reverse("home")).content.decode()
    assert f'href="{index}"' not in home


def test_officer_cannot_import(world, login):
    client = login(world.monitoring_officer)
    upload = SimpleUploadedFile("desks.csv", b"code,organisation_code,name,level,comune_istat\n")
    response = client.post(reverse("interchange:index"), {"kind": "desks", "file": upload})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("owner", ["monitoring_officer", "coordinator"])
def test_job_pages_are_403_for_officers(world, login, owner):
    job = ImportJob.objects.create(
        kind="desks", user=getattr(world, owner), status=ImportJob.Status.VALID
    )
    client = login(world.monitoring_officer)
    for name in ("job", "job_progress", "job_errors"):
        assert client.get(reverse(f"interchange:{name}", args=[job.pk])).status_code == 403
    for name in ("job_confirm", "job_cancel"):
        assert client.post(reverse(f"interchange:{name}", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALID


def test_a_job_of_an_officer_never_runs(world, tmp_path):
    """Belt and braces: even a job made for an officer by other means writes nothing."""
    upload = SimpleUploadedFile(
        "desks.csv",
        b"code,organisation_code,name,level,comune_istat\nNEW,SDS-PI,Nuovo,1,050026\n",
    )
    job = services.import_job_create(user=world.monitoring_officer, kind="desks", upload=upload)
    services.import_job_start(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert not world.sds.desks.filter(code="NEW").exists()
