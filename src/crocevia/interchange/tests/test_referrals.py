"""The `referrals` kind (INTERCHANGE.md): a register's referrals, the answer added to the
referral a contact made, every state, an unnamed receiver, the round trip."""

import pytest
from django.core.management import call_command

from crocevia.desk.models import Contact, Referral
from crocevia.desk.services import contact_update
from crocevia.interchange.engine import run_import
from crocevia.people.models import Person

from .helpers import export_text, load, load_all, write

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,person_external_id,from_organisation_code,sent_on,to_organisation_code,"
    "source_contact_external_id,reason,state,answered_on,decline_reason,completed_on\n"
)
REFERRALS = HEADER + (
    "R1,P1,SDS-PI,2024-05-02,CPI-PI,,Orientamento,,,,\n"
    "R2,P2,SDS-PI,2024-05-03,CPI-PI,,,accepted,2024-05-06,,\n"
    "R3,P2,CPI-PI,2024-05-03,SDS-PI,,,declined,2024-05-07,Non residente,\n"
    "R4,P1,CPI-PI,2024-05-04,SDS-PI,,Tirocinio,completed,2024-05-05,,2024-09-30\n"
    "R5,P3,SDS-PI,2024-05-04,,,,withdrawn,,,\n"
    "R6,P3,SDS-PI,2024-06-10,CPI-PI,C2,Ricerca lavoro,accepted,2024-06-12,,\n"
)


def test_a_register_of_referrals_loads_in_every_state(tmp_path):
    load_all(tmp_path)
    assert Referral.objects.get(contact__external_id="C2").state == "sent"  # the contact's
    report = load(tmp_path, "referrals", REFERRALS)
    assert (report.counts.created, report.counts.updated) == (5, 1)
    states = dict(Referral.objects.values_list("external_id", "state"))
    assert states == {
        "R1": "sent",
        "R2": "accepted",
        "R3": "declined",
        "R4": "completed",
        "R5": "withdrawn",
        "R6": "accepted",
    }
    # R6 added the answer to the referral the contact C2 made: no second referral.
    c2 = Referral.objects.get(contact__external_id="C2")
    assert (c2.external_id, c2.origin, c2.answered_on.isoformat()) == ("R6", "desk", "2024-06-12")
    assert Referral.objects.filter(contact__external_id="C2").count() == 1
    unnamed = Referral.objects.get(external_id="R5")
    assert unnamed.to_organisation is None and unnamed.sharing_basis == "register"
    assert Referral.objects.get(external_id="R3").answer_note == "Non residente"
    # Loading it again changes nothing.
    again = load(tmp_path, "referrals", REFERRALS)
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 6)


@pytest.mark.parametrize(
    "row, column",
    [
        ("R9,P1,SDS-PI,2024-05-02,CPI-PI,,,sent,2024-05-03,,", "answered_on"),
        ("R9,P1,SDS-PI,2024-05-02,CPI-PI,,,accepted,2024-05-01,,", "answered_on"),
        ("R9,P1,SDS-PI,2024-05-02,CPI-PI,,,accepted,,Motivo,", "decline_reason"),
        ("R9,P1,SDS-PI,2024-05-02,CPI-PI,,,completed,2024-05-03,,2024-05-02", "completed_on"),
        ("R9,P1,SDS-PI,2024-05-02,CPI-PI,,,maybe,,,", "state"),
        ("R9,P1,NOPE,2024-05-02,CPI-PI,,,,,,", "from_organisation_code"),
        ("R9,P1,SDS-PI,2024-05-02,CPI-PI,C1,,,,,", "source_contact_external_id"),
        ("R9,P3,CPI-PI,2024-06-10,CPI-PI,C2,,,,,", "from_organisation_code"),
        ("R9,P9,SDS-PI,2024-05-02,CPI-PI,,,,,,", "person_external_id"),
        ("R9,P3,SDS-PI,2024-06-11,CPI-PI,C2,,,,,", "sent_on"),
    ],
)
def test_a_bad_row_is_refused_in_its_column_and_nothing_is_written(tmp_path, row, column):
    load_all(tmp_path)
    before = Referral.objects.count()
    report = run_import("referrals", write(tmp_path, HEADER + row + "\n", "referrals.csv"))
    assert not report.ok
    assert [e.column for e in report.errors] == [column], report.errors
    assert Referral.objects.count() == before


def test_the_round_trip_keeps_every_referral(tmp_path):
    load_all(tmp_path)
    load(tmp_path, "referrals", REFERRALS)
    first = export_text("referrals")
    assert first.startswith(HEADER)
    assert "R5,P3,SDS-PI,2024-05-04,,,,withdrawn,,,\n" in first
    assert "R6,P3,SDS-PI,2024-06-10,CPI-PI,C2,Ricerca lavoro,accepted,2024-06-12,,\n" in first


def test_the_export_command_gives_the_referrals(tmp_path, capsys):
    load_all(tmp_path)
    load(tmp_path, "referrals", REFERRALS)
    out = tmp_path / "invii.csv"
    call_command("export", "referrals", "--output", str(out))
    assert out.read_text(encoding="utf-8-sig").count("\n") == 7


def test_a_pseudonymised_export_withholds_the_free_text(tmp_path, monkeypatch):
    monkeypatch.setenv("CROCEVIA_PSEUDONYM_KEY", "a secret for the tests")
    load_all(tmp_path)
    load(tmp_path, "referrals", REFERRALS)
    text = export_text("referrals", pseudonymise=True)
    for secret in ("Orientamento", "Non residente", "Tirocinio", "Ricerca lavoro", "R1,", "P1"):
        assert secret not in text


def test_two_rows_naming_one_contact_are_refused(tmp_path):
    load_all(tmp_path)
    rows = HEADER + (
        "RA,P3,SDS-PI,2024-06-10,CPI-PI,C2,,accepted,2024-06-11,,\n"
        "RB,P3,SDS-PI,2024-06-10,CPI-PI,C2,,declined,2024-06-11,No,\n"
    )
    report = run_import("referrals", write(tmp_path, rows, "referrals.csv"))
    assert not report.ok
    assert [(e.line, e.column) for e in report.errors] == [(3, "source_contact_external_id")]
    assert Referral.objects.get(contact__external_id="C2").state == "sent"


def test_a_contact_corrected_after_its_referral_round_trips(tmp_path):
    load_all(tmp_path)
    contact = Contact.objects.get(external_id="C2")
    contact_update(actor=None, contact=contact, outcome="solved", referred_to=None,
                   check_actor_desk=False)  # fmt: skip
    assert Referral.objects.get(contact=contact).state == "withdrawn"
    exported = export_text("referrals")
    report = run_import("referrals", write(tmp_path, exported, "referrals.csv"))
    assert report.ok, report.errors
    assert export_text("referrals") == exported


def test_an_exported_key_is_claimed_only_by_a_referral_of_the_same_person(tmp_path):
    load_all(tmp_path)
    c2 = Referral.objects.get(contact__external_id="C2")
    p1 = Person.objects.get(external_id="P1")
    # A file from another database: its referral n. <c2's id> is P1's, not P3's.
    row = HEADER + f"crocevia-referral-{c2.pk},P1,SDS-PI,2024-05-02,CPI-PI,,,,,,\n"
    load(tmp_path, "referrals", row)
    c2.refresh_from_db()
    assert c2.external_id is None
    assert Referral.objects.get(external_id=f"crocevia-referral-{c2.pk}").person == p1
