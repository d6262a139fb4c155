import datetime
import functools
import importlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from crocevia.audit.models import AuditEvent
from crocevia.audit.sensitive import redact
from crocevia.desk.models import Contact
from crocevia.interchange.engine import run_import
from crocevia.network.models import Comune, Desk, Organisation, Zone
from crocevia.people.models import Household, Person

from .helpers import CONTACTS, DESKS, PERSONS, TERRITORY, load, load_all, write, xlsx

pytestmark = pytest.mark.django_db

PERSON_HEADER = PERSONS.splitlines()[0]
CONTACT_HEADER = CONTACTS.splitlines()[0]
GOOD_PERSON = "P9,Verdi,Luca,M,1970-01-01,IT,,,,,,,,"
GOOD_CONTACT = "C9,P1,D-PISA,2024-01-01,information,,"


def _counts():
    return tuple(
        m.objects.count()
        for m in (Zone, Comune, Organisation, Desk, Person, Household, Contact, AuditEvent)
    )


def assert_rejected(tmp_path, kind, text, expected):
    """The import fails with exactly the `expected` (line, column, code) and writes nothing."""
    before = _counts()
    report = run_import(kind, write(tmp_path, text, "bad.csv"))
    assert not report.ok
    assert report.file_error is None, report.file_error
    assert {(e.line, e.column, e.code) for e in report.errors} == set(expected), report.errors
    assert all(e.reason for e in report.errors)
    assert _counts() == before
    return report


def persons_file(*lines):
    return "\n".join([PERSON_HEADER, GOOD_PERSON, *lines]) + "\n"


def contacts_file(*lines):
    return "\n".join([CONTACT_HEADER, GOOD_CONTACT, *lines]) + "\n"


@pytest.fixture
def network(tmp_path):
    load_all(tmp_path, upto="desks")


@pytest.fixture
def people(tmp_path):
    load_all(tmp_path, upto="persons")


# --- loading ---------------------------------------------------------------------------------


def test_every_kind_loads_and_counts_what_it_created(tmp_path):
    load_all(tmp_path)
    assert Comune.objects.get(istat_code="050008").zone.code == "ZPI"
    assert Organisation.objects.get(code="RT").zone is None
    assert Desk.objects.get(code="D-PISA").opening_hours == "Lunedì 9-12\nGiovedì 15-18"
    mario = Person.objects.get(external_id="P1")
    assert mario.languages == ["it", "en"]
    assert mario.household.external_id == "H1"
    assert Person.objects.get(external_id="P2").household == mario.household
    youssef = Person.objects.get(external_id="P3")
    assert youssef.needs_mediator and youssef.permit_type == "work"
    assert youssef.permit_expires_on == datetime.date(2030, 1, 31)
    c2 = Contact.objects.get(external_id="C2")
    assert sorted(s.code for s in c2.services.all()) == ["cv_writing", "job_search"]
    assert c2.referred_to.code == "CPI-PI"
    assert Contact.objects.get(external_id="C3").date == datetime.date(2025, 1, 10)
    event = AuditEvent.objects.get(object_type="desk.contact", object_id=str(c2.pk))
    assert event.action == "create" and event.person_id == c2.person_id
    assert event.changes["services"] == [None, ["cv_writing", "job_search"]]


def test_second_load_writes_nothing_and_adds_no_audit_event(tmp_path):
    load_all(tmp_path)
    events = AuditEvent.objects.count()
    for kind, text in (("territory", TERRITORY), ("desks", DESKS), ("persons", PERSONS)):
        report = load(tmp_path, kind, text)
        assert report.counts.created == report.counts.updated == 0
    report = load(tmp_path, "contacts", CONTACTS)
    assert (report.counts.created, report.counts.updated, report.counts.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.count() == events


def test_changed_row_updates_its_record_with_an_audit_event(tmp_path):
    load_all(tmp_path)
    changed = PERSONS.replace("P3,El Amrani,Youssef", "P3,El Amrany,Youssef")
    report = load(tmp_path, "persons", changed)
    assert (report.counts.created, report.counts.updated, report.counts.unchanged) == (0, 1, 2)
    person = Person.objects.get(external_id="P3")
    assert person.family_name == "El Amrany" and person.version == 2
    event = AuditEvent.objects.filter(
        object_type="people.person", object_id=str(person.pk), action="update"
    ).get()
    assert event.changes == {"family_name": ["El Amrani", "El Amrany"]}

    contacts = CONTACTS.replace("job_search;cv_writing,referred,CPI-PI", "job_search,solved,")
    report = load(tmp_path, "contacts", contacts)
    assert report.counts.updated == 1
    c2 = Contact.objects.get(external_id="C2")
    assert [s.code for s in c2.services.all()] == ["job_search"]
    event = AuditEvent.objects.filter(
        object_type="desk.contact", object_id=str(c2.pk), action="update"
    ).get()
    assert event.changes["services"] == [["cv_writing", "job_search"], ["job_search"]]
    assert event.changes["outcome"] == ["referred", "solved"]


def test_dry_run_counts_but_writes_nothing(tmp_path, network):
    before = _counts()
    report = run_import("persons", write(tmp_path, PERSONS), dry_run=True)
    assert report.ok and report.counts.created == 3 and not report.written
    assert _counts() == before


# --- file shapes -----------------------------------------------------------------------------


def test_semicolon_csv_with_bom_and_italian_headers(tmp_path, network):
    text = (
        "ID;Cognome;NOME;Sesso;Data di nascita;Cittadinanza;Stato di nascita;"
        "Codice fiscale;Residenza;Nucleo;Lingue;Mediatore;Permesso;Scadenza permesso\n"
        "P1;Rossi;Mario;M;15/03/1980;IT;IT;RSSMRA80C15G702U;050026;H1;it|en;SÌ;;\n"
    )
    path = write(tmp_path, "\ufeff" + text)
    assert run_import("persons", path).ok
    mario = Person.objects.get(external_id="P1")
    assert mario.languages == ["it", "en"] and mario.needs_mediator


def test_header_accents_and_case_are_ignored(tmp_path, network):
    text = "id,COGNOME,nome,sesso,data_di_nascita,cittadinanzà\nP1,Rossi,Mario,M,1980-03-15,IT\n"
    assert run_import("persons", write(tmp_path, text)).ok


def test_xlsx_first_sheet_and_named_sheet(tmp_path, network):
    assert run_import("persons", xlsx(tmp_path, PERSONS)).ok
    assert Person.objects.count() == 3
    path = xlsx(tmp_path, PERSONS.replace("Rossi", "Rossini"), "Persone", extra_first=True)
    assert run_import("persons", path, sheet="Persone").ok
    assert Person.objects.get(external_id="P1").family_name == "Rossini"
    report = run_import("persons", path, sheet="Altro")
    assert report.file_error.code == "no_sheet"


def test_file_that_is_not_csv_or_xlsx_is_refused(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert run_import("territory", path).file_error.code == "not_a_table"
    path.write_bytes(b"PK\x03\x04 broken zip")
    assert run_import("territory", path).file_error.code == "not_a_table"
    # UTF-16 with its BOM is read (test_encodings.py); without it, and other texts that
    # cannot be read, get an error naming the problem.
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))  # an old .xls
    assert run_import("territory", path).file_error.code == "xls"


def test_missing_required_column_is_named(tmp_path):
    text = "zone_code,zone_name,comune_istat,comune_name,province\nZ,Z,050026,Pisa,PI\n"
    report = run_import("territory", write(tmp_path, text))
    assert report.file_error.code == "missing_column"
    assert "population" in report.file_error.message
    assert Zone.objects.count() == 0


def test_unknown_column_is_named(tmp_path):
    text = TERRITORY.replace("population", "abitanti")
    report = run_import("territory", write(tmp_path, text))
    assert report.file_error.code == "unknown_column" and "abitanti" in report.file_error.message


# --- bad rows: each names line, column and reason, and nothing is written ---------------------


def test_unknown_codes_are_row_errors(tmp_path, people):
    assert_rejected(
        tmp_path,
        "desks",
        DESKS + "D-X,NOPE,Sportello,1,999999,\n",
        {(5, "organisation_code", "unknown_code"), (5, "comune_istat", "unknown_code")},
    )
    assert_rejected(
        tmp_path,
        "organisations",
        "code,name,kind,zone_code\nX,X,cpi,NOZONE\n",
        {(2, "zone_code", "unknown_code")},
    )
    assert_rejected(
        tmp_path,
        "contacts",
        contacts_file(
            "C10,P1,NODESK,2024-01-01,information,,",
            "C11,P1,D-PISA,2024-01-01,information;teleport,,",
            "C12,P1,D-PISA,2024-01-01,information,referred,NOORG",
        ),
        {
            (3, "desk_code", "unknown_code"),
            (4, "services", "unknown_code"),
            (5, "referred_to", "unknown_code"),
        },
    )
    assert_rejected(
        tmp_path,
        "persons",
        persons_file("P10,Neri,Ugo,M,1970-01-01,IT,,,123456,,,,,"),
        {(3, "comune_istat", "unknown_code")},
    )


def test_person_referenced_but_absent(tmp_path, people):
    assert_rejected(
        tmp_path,
        "contacts",
        contacts_file("C10,NOBODY,D-PISA,2024-01-01,information,,"),
        {(3, "person_external_id", "unknown_person")},
    )


def test_bad_impossible_and_future_dates(tmp_path, people):
    future = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    assert_rejected(
        tmp_path,
        "persons",
        persons_file(
            "P10,Neri,Ugo,M,31/02/2018,IT,,,,,,,,",
            "P11,Neri,Eva,F,2018-13-01,IT,,,,,,,,",
            "P12,Neri,Ada,F,yesterday,IT,,,,,,,,",
            f"P13,Neri,Ivo,M,{future},IT,,,,,,,,",
            "P14,Neri,Ivo,M,1970-01-01,IT,,,,,,,,30/02/2030",
        ),
        {
            (3, "birth_date", "impossible_date"),
            (4, "birth_date", "impossible_date"),
            (5, "birth_date", "bad_date"),
            (6, "birth_date", "future_date"),
            (7, "permit_expires_on", "impossible_date"),
        },
    )
    assert_rejected(
        tmp_path,
        "contacts",
        contacts_file(f"C10,P1,D-PISA,{future},information,,"),
        {(3, "date", "future_date")},
    )


def test_bad_codice_fiscale_and_contradictions(tmp_path, network):
    assert_rejected(
        tmp_path,
        "persons",
        persons_file(
            "P10,Rossi,Mario,M,1980-03-15,IT,,RSSMRA80C15G702X,,,,,,",
            "P11,Rossi,Mario,M,1981-03-15,IT,,RSSMRA80C15G702U,,,,,,",
            "P12,Rossi,Maria,F,1980-03-15,IT,,RSSMRA80C15G702U,,,,,,",
            "P13,Rossi,Mario,M,1980-03-15,IT,,RSSMRA80C1,,,,,,",
        ),
        {
            (3, "codice_fiscale", "cf_checksum"),
            (4, "codice_fiscale", "cf_birth_date"),
            (5, "codice_fiscale", "cf_sex"),
            (6, "codice_fiscale", "cf_length"),
        },
    )


def test_sex_citizenship_boolean_and_choices(tmp_path, network):
    assert_rejected(
        tmp_path,
        "persons",
        persons_file(
            "P10,Neri,Ugo,X,1970-01-01,IT,,,,,,,,",
            "P11,Neri,Ugo,M,1970-01-01,Italia,,,,,,,,",
            "P12,Neri,Ugo,M,1970-01-01,IT,ZZ,,,,,forse,,",
            "P13,Neri,Ugo,M,1970-01-01,IT,,,,,xx,,marziano,",
        ),
        {
            (3, "sex", "bad_sex"),
            (4, "citizenship", "bad_country"),
            (5, "birth_country", "bad_country"),
            (5, "needs_mediator", "bad_boolean"),
            (6, "languages", "bad_language"),
            (6, "permit_type", "bad_choice"),
        },
    )


def test_duplicate_external_id_inside_the_file(tmp_path, network):
    assert_rejected(
        tmp_path,
        "persons",
        persons_file(
            "P10,Neri,Ugo,M,1970-01-01,IT,,,,,,,,", "P10,Neri,Eva,F,1971-01-01,IT,,,,,,,,"
        ),
        {(4, "external_id", "duplicate_key")},
    )


def test_empty_required_cell_and_too_long_value(tmp_path, people):
    long_name = "A" * 121
    assert_rejected(
        tmp_path,
        "persons",
        persons_file(
            "P10,,Ugo,M,1970-01-01,IT,,,,,,,,",
            f"P11,{long_name},Ugo,M,1970-01-01,IT,,,,,,,,",
            ",Neri,Ugo,M,1970-01-01,,,,,,,,,",
        ),
        {
            (3, "family_name", "required"),
            (4, "family_name", "too_long"),
            (5, "external_id", "required"),
            (5, "citizenship", "required"),
        },
    )
    assert_rejected(
        tmp_path,
        "contacts",
        contacts_file("C10,P1,D-PISA,2024-01-01,,,"),
        {(3, "services", "required")},
    )


def test_territory_rejects_contradicting_zone_names_and_bad_numbers(tmp_path):
    assert_rejected(
        tmp_path,
        "territory",
        TERRITORY + "ZPI,Zona Pisa,050031,San Giuliano,PI,-3\nZPI,Zona Pisana,50037,V,pisa,1\n",
        {
            (4, "zone_name", "contradiction"),
            (4, "population", "out_of_range"),
            (5, "comune_istat", "bad_istat"),
            (5, "province", "too_long"),
        },
    )


# --- the command -----------------------------------------------------------------------------


def test_command_prints_every_bad_row_and_writes_the_error_csv(tmp_path, capsys):
    path = write(tmp_path, TERRITORY + "ZPI,Zona Pisana,05003,X,PI,1\n")
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError):
        call_command("import", "territory", str(path), "--errors", str(errors))
    out = capsys.readouterr().out
    assert "05003" in out and "comune_istat" in out
    assert errors.read_text(encoding="utf-8").splitlines()[1].startswith("4,comune_istat,05003,")
    assert Zone.objects.count() == 0


def test_command_summary(tmp_path, capsys):
    call_command("import", "territory", str(write(tmp_path, TERRITORY)))
    assert "2" in capsys.readouterr().out
    assert Comune.objects.count() == 2


@pytest.mark.parametrize(
    "sealing, says",
    [
        ("quick", ()),
        ("slow", ("I dati sono salvati; sigillatura", "Registro eventi sigillato in")),
        ("gave up", ("I dati sono salvati; sigillatura", "ancora da sigillare")),
    ],
)
def test_command_says_so_when_it_waits_for_the_audit_sealing(
    tmp_path, capsys, monkeypatch, sealing, says
):
    from crocevia.audit import chain

    waits = []

    def wait_for_sealing(timeout=None):
        """The sealing thread: done within the second, after it, or never."""
        waits.append(timeout)
        if sealing == "quick" or (sealing == "slow" and timeout is None):
            chain.seal_pending()
        return sealing == "quick" or timeout is None

    monkeypatch.setattr(chain, "wait_for_sealing", wait_for_sealing)
    call_command("import", "territory", str(write(tmp_path, TERRITORY)))
    err = capsys.readouterr().err
    assert waits == ([1.0] if sealing == "quick" else [1.0, None])
    for message in (
        "I dati sono salvati; sigillatura",
        "Registro eventi sigillato in",
        "ancora da sigillare",
    ):
        assert (message in err) is (message in says), err
    if sealing == "gave up":
        pending = AuditEvent.objects.filter(chain_position__isnull=True).count()
        assert pending > 0 and f"{pending} eventi del registro eventi" in err


def test_command_records_the_import_as_the_named_user(tmp_path, actors):
    call_command("import", "territory", str(write(tmp_path, TERRITORY)), "--user", "admin")
    # Pisa is already there as it is in the file; Cascina is new.
    events = AuditEvent.objects.filter(object_type="network.comune", note="import")
    assert events.count() == 1
    assert set(events.values_list("actor__username", flat=True)) == {"admin"}


def test_command_refuses_an_unknown_user_and_writes_nothing(tmp_path, actors):
    before = Comune.objects.count()
    with pytest.raises(CommandError, match="nobody"):
        call_command("import", "territory", str(write(tmp_path, TERRITORY)), "--user", "nobody")
    assert Comune.objects.count() == before


def test_keys_with_quotes_commas_and_backslashes_resolve(tmp_path, network):
    key = 'P "x", \\y {z}'
    person = (
        PERSON_HEADER
        + "\n"
        + f'"{key.replace(chr(34), chr(34) * 2)}",Neri,Ugo,M,1970-01-01,IT,,,,,,,,\n'
    )
    load(tmp_path, "persons", person)
    contact = (
        CONTACT_HEADER
        + "\n"
        + f'C1,"{key.replace(chr(34), chr(34) * 2)}",D-PISA,2024-01-01,information,,\n'
    )
    load(tmp_path, "contacts", contact)
    assert Contact.objects.get(external_id="C1").person.external_id == key
    assert load(tmp_path, "contacts", contact).counts.unchanged == 1


def test_created_person_audit_event_holds_every_audited_field(tmp_path, network):
    from crocevia.audit.services import diff, snapshot
    from crocevia.people.services import AUDITED_PERSON_FIELDS

    load(tmp_path, "persons", PERSONS)
    for person in Person.objects.all():
        event = AuditEvent.objects.get(object_type="people.person", object_id=str(person.pk))
        assert event.action == "create" and event.person_id == person.pk
        assert event.changes == redact(
            "people.person", diff({}, snapshot(person, AUDITED_PERSON_FIELDS))
        )


def test_created_contact_audit_event_is_that_of_contact_record(tmp_path):
    from crocevia.audit.services import diff
    from crocevia.desk.services import _contact_snapshot

    load_all(tmp_path)
    for contact in Contact.objects.all():
        event = AuditEvent.objects.get(object_type="desk.contact", object_id=str(contact.pk))
        services = sorted(contact.services.all(), key=lambda s: s.code)
        assert event.changes == redact(
            "desk.contact", diff({}, _contact_snapshot(contact, services))
        )


def test_records_made_in_the_application_come_back_to_themselves(tmp_path, actors):
    """Exported under their fallback keys, re-imported into the same database: the same
    records, given those keys as external ids, and no second person or contact."""
    from crocevia.desk.models import DeskService
    from crocevia.testing import PersonFactory

    from .helpers import export_text

    household = Household.objects.create()
    person = PersonFactory(household=household)
    contact = Contact.objects.create(
        person=person, desk=actors.desk, date=datetime.date(2024, 3, 1)
    )
    contact.services.set(
        DeskService.objects.filter(code="information"),
        through_defaults={"date": contact.date, "desk": contact.desk},
    )
    persons_file = export_text("persons")
    contacts_file = export_text("contacts")
    assert f"crocevia-person-{person.pk}" in persons_file
    assert f"crocevia-household-{household.pk}" in persons_file

    counts = (Person.objects.count(), Household.objects.count(), Contact.objects.count())
    first = load(tmp_path, "persons", persons_file).counts
    assert (first.created, first.updated) == (0, 0)
    assert load(tmp_path, "contacts", contacts_file).counts.created == 0
    assert (Person.objects.count(), Household.objects.count(), Contact.objects.count()) == counts
    person.refresh_from_db()
    household.refresh_from_db()
    contact.refresh_from_db()
    assert person.external_id == f"crocevia-person-{person.pk}"
    assert household.external_id == f"crocevia-household-{household.pk}"
    assert contact.external_id == f"crocevia-contact-{contact.pk}"
    claim = AuditEvent.objects.get(object_type="people.person", object_id=str(person.pk))
    assert claim.changes == {"external_id": [None, person.external_id]}
    assert claim.person_id == person.pk

    # The same files again: nothing to give, nothing to change, no new event.
    events = AuditEvent.objects.count()
    load(tmp_path, "persons", persons_file)
    load(tmp_path, "contacts", contacts_file)
    assert AuditEvent.objects.count() == events
    assert export_text("persons") == persons_file
    assert export_text("contacts") == contacts_file


def test_a_fallback_key_held_by_another_record_stays_that_records(tmp_path, actors):
    from crocevia.testing import PersonFactory

    made_here = PersonFactory()
    key = f"crocevia-person-{made_here.pk}"
    # A person imported from another database that named its own person with this key.
    PersonFactory(external_id=key, family_name="Altrove")
    load(tmp_path, "persons", PERSON_HEADER + f"\n{key},Altrove,Amina,F,1990-05-17,SN,,,,,,,,\n")
    made_here.refresh_from_db()
    assert made_here.external_id is None


def test_a_person_found_in_an_earlier_chunk_is_found_again(tmp_path, network):
    load(tmp_path, "persons", PERSONS)
    report = run_import("contacts", write(tmp_path, CONTACTS), chunk_size=1)
    assert report.ok, report.errors
    assert report.counts.created == 3
    p3 = Person.objects.get(external_id="P3")
    assert set(Contact.objects.filter(person=p3).values_list("external_id", flat=True)) == {
        "C2",
        "C3",
    }


@pytest.mark.parametrize(
    "last_line, failure",
    [
        ("C9,P1,D-NOWHERE,2024-05-02,information,solved,\n", "row"),
        ("C9,P1,D-PISA,2024-05-02,info\x00rmation,solved,\n", "file"),
    ],
)
def test_a_contacts_file_failing_after_chunks_were_sent_writes_nothing(
    tmp_path, last_line, failure
):
    """One row per chunk, so that earlier chunks are in the server's hands (PostgreSQL:
    being written by the background thread) when the last line fails."""
    import threading

    load_all(tmp_path, upto="persons")
    events = AuditEvent.objects.count()
    report = run_import(
        "contacts", write(tmp_path, CONTACTS + last_line, "contacts.csv"), chunk_size=1
    )
    assert not report.ok and not report.written
    if failure == "row":
        assert [(e.line, e.column, e.code) for e in report.errors] == [
            (5, "desk_code", "unknown_code")
        ]
    else:
        assert report.file_error.code == "not_a_table"
    assert Contact.objects.count() == 0
    assert Contact.services.through.objects.count() == 0
    assert AuditEvent.objects.count() == events
    assert not any(t.name == "interchange-writer" for t in threading.enumerate())


def test_a_contacts_file_in_many_chunks_loads_whole(tmp_path):
    load_all(tmp_path, upto="persons")
    report = run_import("contacts", write(tmp_path, CONTACTS, "contacts.csv"), chunk_size=1)
    assert report.ok and report.counts.created == 3
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["C1", "C2", "C3"]
    assert Contact.services.through.objects.count() == 4
    assert AuditEvent.objects.filter(object_type="desk.contact").count() == 3


@pytest.fixture
def p1_removed_after_its_row_is_checked(tmp_path, monkeypatch):
    """Person P1 removed behind the import's back, after the row of its contact C1 passed
    the check and before the row reaches the database (PostgreSQL: in the background
    writer, while the next chunk is prepared; SQLite: at commit). Chunks of one row."""
    from django.db import connection

    from crocevia.interchange import engine
    from crocevia.interchange.kinds.contacts import Contacts

    load_all(tmp_path, upto="persons")
    p1 = Person.objects.get(external_id="P1").pk
    check = Contacts.check
    calls = []

    def check_then_remove_p1(self, items, ctx):
        calls.append(len(items))
        if len(calls) == 2:  # C1 (person P1) was checked and queued by the first chunk
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM people_person WHERE id = %s", [p1])
        return check(self, items, ctx)

    monkeypatch.setattr(Contacts, "check", check_then_remove_p1)
    # Chunks of one row for the command too (it runs with the default size).
    command = importlib.import_module("crocevia.interchange.management.commands.import")
    monkeypatch.setattr(command, "run_import", functools.partial(engine.run_import, chunk_size=1))
    yield p1
    assert len(calls) >= 2


def _nothing_of_the_refused_import_stays(p1, events):
    import threading

    assert Person.objects.filter(pk=p1).exists()  # the deletion was rolled back with the rest
    assert Contact.objects.count() == 0
    assert Contact.services.through.objects.count() == 0
    assert AuditEvent.objects.count() == events
    assert not any(t.name == "interchange-writer" for t in threading.enumerate())


@pytest.mark.django_db(transaction=True)
def test_a_row_the_database_refuses_after_its_check_fails_the_import_whole(
    tmp_path, p1_removed_after_its_row_is_checked
):
    """The database's own foreign key refuses the row: the import raises that
    IntegrityError, not a "transaction is aborted" in its place, and writes nothing."""
    from django.db import IntegrityError

    events = AuditEvent.objects.count()
    with pytest.raises(IntegrityError) as failure:
        run_import("contacts", write(tmp_path, CONTACTS, "contacts.csv"), chunk_size=1)
    assert "foreign key" in str(failure.value).lower(), failure.value
    _nothing_of_the_refused_import_stays(p1_removed_after_its_row_is_checked, events)


@pytest.mark.django_db(transaction=True)
def test_the_command_says_in_italian_that_data_changed_under_the_import(
    tmp_path, p1_removed_after_its_row_is_checked
):
    from crocevia.interchange.errors import WRITE_REFUSED

    events = AuditEvent.objects.count()
    with pytest.raises(CommandError) as failure:
        call_command("import", "contacts", str(write(tmp_path, CONTACTS, "contacts.csv")))
    with translation.override("it"):
        expected = str(WRITE_REFUSED)
    assert str(failure.value) == expected
    assert expected.startswith("Un altro utente")
    _nothing_of_the_refused_import_stays(p1_removed_after_its_row_is_checked, events)


class _DriverError(Exception):
    """A driver error carrying its SQLSTATE, as psycopg's do."""

    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize("sqlstate, reported", [("25P02", "background"), ("23505", "own")])
def test_the_background_writers_error_is_reported_only_when_it_aborted_the_transaction(
    tmp_path, monkeypatch, sqlstate, reported
):
    """When the import's own thread fails on the transaction the background writer aborted
    ("current transaction is aborted"), the writer's error is the one to report; when it
    fails for a reason of its own, that reason is."""
    from django.db import IntegrityError, InternalError

    from crocevia.interchange import engine
    from crocevia.interchange.kinds.contacts import Contacts

    load_all(tmp_path, upto="persons")
    background = IntegrityError("the writer's foreign key violation")
    own = InternalError("this thread's error")
    own.__cause__ = _DriverError(sqlstate)
    finished = []

    def finish(self, ctx, *, write):
        finished.append(write)
        return None if write else background

    def fail(*args, **kwargs):
        raise own

    monkeypatch.setattr(Contacts, "finish", finish)
    monkeypatch.setattr(engine, "_chunks_pass", fail)
    with pytest.raises((IntegrityError, InternalError)) as failure:
        run_import("contacts", write(tmp_path, CONTACTS, "contacts.csv"))
    assert finished == [False]  # the queue dropped, the batch in flight waited for
    if reported == "background":
        assert failure.value is background and failure.value.__cause__ is own
    else:
        assert failure.value is own
    assert Contact.objects.count() == 0


def test_an_aborted_transaction_is_recognised_through_djangos_wrapping():
    from django.db import DatabaseError, connection, transaction

    from crocevia.interchange.engine import _on_aborted_transaction

    assert not _on_aborted_transaction(ValueError("no SQLSTATE"))
    assert not _on_aborted_transaction(None)
    if connection.vendor != "postgresql":
        return  # SQLite has no aborted transactions: a failed statement leaves it usable
    with transaction.atomic():
        with pytest.raises(DatabaseError) as first, connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        with pytest.raises(DatabaseError) as then, connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        transaction.set_rollback(True)
    assert not _on_aborted_transaction(first.value)  # division by zero: the cause itself
    assert _on_aborted_transaction(then.value)


def test_invisible_and_direction_changing_characters_in_names_are_refused(tmp_path, network):
    assert_rejected(
        tmp_path,
        "persons",
        persons_file(
            "P20,Neri,\u200b,M,1970-01-01,IT,,,,,,,,",
            "P21,\u202eirem,Ugo,M,1970-01-01,IT,,,,,,,,",
            "P22\u200d,Neri,Eva,F,1970-01-01,IT,,,,,,,,",
        ),
        {
            (3, "given_names", "forbidden_character"),
            (4, "family_name", "forbidden_character"),
            (5, "external_id", "forbidden_character"),
        },
    )
    report = run_import(
        "persons", write(tmp_path, persons_file("P20,Neri,\u200b,M,1970-01-01,IT,,,,,,,,"))
    )
    with translation.override("it"):
        assert "U+200B (ZERO WIDTH SPACE)" in str(report.errors[0].reason)


def test_names_are_stored_nfc_and_trimmed_and_a_non_breaking_space_alone_is_empty(
    tmp_path, network
):
    decomposed = "Nde\u0300ye"  # e + combining grave accent, as some keyboards send it
    load(tmp_path, "persons", persons_file(f"P30,Diop,{decomposed}\u00a0,F,1990-05-17,SN,,,,,,,,"))
    assert Person.objects.get(external_id="P30").given_names == "Ndèye"
    assert_rejected(
        tmp_path,
        "persons",
        persons_file("P31,Diop,\u00a0\u00a0,F,1990-05-17,SN,,,,,,,,"),
        {(3, "given_names", "required")},
    )


def test_dates_outside_the_plausible_range_of_the_forms_are_refused(tmp_path, people):
    assert_rejected(
        tmp_path,
        "persons",
        persons_file(
            "P40,Neri,Ugo,M,1899-12-31,IT,,,,,,,,",
            "P41,Neri,Eva,F,1970-01-01,IT,,,,,,,,2999-01-01",
            "P42,Neri,Ada,F,1970-01-01,IT,,,,,,,,0001-01-01",
        ),
        {
            (3, "birth_date", "too_early"),
            (4, "permit_expires_on", "too_late"),
            (5, "permit_expires_on", "too_early"),
        },
    )
    assert_rejected(
        tmp_path,
        "contacts",
        contacts_file("C40,P1,D-PISA,0001-01-01,information,,"),
        {(3, "date", "too_early")},
    )
