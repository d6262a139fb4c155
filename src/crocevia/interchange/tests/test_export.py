import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.tests.helpers import wipe_trail
from crocevia.desk.models import Contact, Referral
from crocevia.desk.services import contact_record
from crocevia.interchange.engine import run_import
from crocevia.network.models import Comune, Desk, Organisation, Zone
from crocevia.people.models import Household, Person
from crocevia.people.services import household_create, person_create

from .helpers import export_text, load_all, write, xlsx

pytestmark = pytest.mark.django_db

KINDS = ("territory", "organisations", "desks", "persons", "contacts", "referrals")


def _wipe():
    wipe_trail()  # append-only for the application
    for model in (Referral, Contact, Person, Household, Desk, Organisation, Comune, Zone):
        model.objects.all().delete()


def _records_made_by_hand():
    """A household, a person and a contact made through the services, without external ids."""
    sds = Organisation.objects.get(code="SDS-PI")
    person = person_create(
        actor=None,
        organisation=sds,
        data={
            "family_name": "Diallo",
            "given_names": "Awa",
            "sex": "F",
            "birth_date": datetime.date(1988, 4, 9),
            "citizenship": "SN",
            "languages": ["fr", "wo"],
        },
    )
    household_create(actor=None, reference_person=person)
    contact_record(
        actor=None,
        person=person,
        desk=Desk.objects.get(code="D-PISA"),
        date=datetime.date(2024, 2, 29),
        services=["mediation", "information"],
        check_actor_desk=False,
    )


def test_round_trip_export_import_export_is_byte_identical_for_every_kind(tmp_path):
    load_all(tmp_path)
    _records_made_by_hand()
    first = {kind: export_text(kind) for kind in KINDS}
    assert "crocevia-person-" in first["persons"] and "crocevia-contact-" in first["contacts"]
    assert "mediation" in first["contacts"] and "\nP1,Rossi,Mario,M,1980-03-15," in first["persons"]
    _wipe()
    for kind in KINDS:
        report = run_import(kind, write(tmp_path, first[kind], f"{kind}.csv"))
        assert report.ok, (kind, report.errors, report.file_error)
    for kind in KINDS:
        assert export_text(kind) == first[kind], kind


def test_xlsx_export_loads_back(tmp_path):
    load_all(tmp_path)
    path = tmp_path / "persons.xlsx"
    with open(path, "wb") as stream:
        from crocevia.interchange.engine import write_export

        write_export("persons", stream, fmt="xlsx")
    report = run_import("persons", path)
    assert report.ok and report.counts.unchanged == 3
    assert xlsx  # the helper writes the other direction


def test_pseudonymised_export_is_stable_and_hides_identities(tmp_path, monkeypatch):
    monkeypatch.setenv("CROCEVIA_PSEUDONYM_KEY", "a secret for the tests")
    load_all(tmp_path)
    persons = export_text("persons", pseudonymise=True)
    contacts = export_text("contacts", pseudonymise=True)
    assert persons == export_text("persons", pseudonymise=True)
    for secret in ("Rossi", "Mario", "RSSMRA80C15G702U", "P1,", "1980-03-15", "H1"):
        assert secret not in persons
    row = persons.splitlines()[1].split(",")
    # Three persons, fewer than k (5): no quasi-identifier at all (test_k_anonymity.py).
    assert row[0].startswith("PE-") and row[3:7] == ["", "", "", ""]
    person_ids = {line.split(",")[0] for line in persons.splitlines()[1:]}
    contact_people = {line.split(",")[1] for line in contacts.splitlines()[1:]}
    assert contact_people - {""} <= person_ids
    monkeypatch.setenv("CROCEVIA_PSEUDONYM_KEY", "another secret")
    assert export_text("persons", pseudonymise=True) != persons


def test_pseudonymised_export_refuses_to_run_without_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("CROCEVIA_PSEUDONYM_KEY", raising=False)
    with pytest.raises(CommandError, match="CROCEVIA_PSEUDONYM_KEY"):
        call_command("export", "persons", "--pseudonymise", "--output", str(tmp_path / "x.csv"))


def test_export_command_writes_csv_and_xlsx(tmp_path):
    load_all(tmp_path)
    out = tmp_path / "desks.csv"
    call_command("export", "desks", "--output", str(out))
    assert out.read_text(encoding="utf-8") == export_text("desks")
    call_command("export", "desks", "--format", "xlsx", "--output", str(tmp_path / "d.xlsx"))
    assert run_import("desks", tmp_path / "d.xlsx").counts.unchanged == 2


def test_export_command_records_an_audit_event_as_the_user(tmp_path):
    from crocevia.testing import UserFactory

    admin = UserFactory(username="amministratore", is_superuser=True)
    load_all(tmp_path)
    call_command("export", "persons", "--output", str(tmp_path / "p.csv"), "--user", admin.username)
    event = AuditEvent.objects.get(action=AuditAction.DATA_EXPORT, object_id="persons")
    assert event.actor == admin
    assert event.kind == AuditEvent.Kind.ACCESS
    assert event.changes["channel"] == "command"
    assert event.changes["password_protected"] is False
    with pytest.raises(CommandError, match="nobody"):
        call_command("export", "persons", "--output", str(tmp_path / "q.csv"), "--user", "nobody")
    assert not (tmp_path / "q.csv").exists()


def test_export_command_writes_a_password_protected_archive(tmp_path):
    import io

    from crocevia.core.archive import read_protected_zip

    load_all(tmp_path)
    secret = tmp_path / "password.txt"
    secret.write_text("una-password-robusta\n", encoding="utf-8")
    out = tmp_path / "persone.zip"
    call_command("export", "persons", "--output", str(out), "--password-file", str(secret))
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    data = out.read_bytes()
    assert b"external_id" not in data
    [(name, content)] = read_protected_zip(io.BytesIO(data), "una-password-robusta").items()
    assert name.startswith("persone-") and name.endswith(".csv")
    assert content.decode("utf-8") == export_text("persons")


def test_export_command_refuses_a_weak_or_missing_password_file(tmp_path):
    weak = tmp_path / "weak.txt"
    weak.write_text("corta\n", encoding="utf-8")
    out = tmp_path / "x.zip"
    with pytest.raises(CommandError, match="12"):
        call_command("export", "persons", "--output", str(out), "--password-file", str(weak))
    with pytest.raises(CommandError, match="missing.txt"):
        call_command(
            "export",
            "persons",
            "--output",
            str(out),
            "--password-file",
            str(tmp_path / "missing.txt"),
        )
    with pytest.raises(CommandError, match="--output"):
        call_command("export", "persons", "--password-file", str(weak))
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [weak]
