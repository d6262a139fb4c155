"""Old registers into a fresh installation (issue 16): `crocevia migrate`, then every kind
in the README's order, with no operator at all, from the command line and from /scambio/.

Two registers shaped like those the seeds report: a migrant desk's register for 2025,
whose referrals often do not name the receiving organisation ("invio presso Servizi
Pubblici", "invio presso TS"), kept in Italian with semicolons as Excel writes it; and a
zone's income-support register whose cases reached team formation and beyond. Both load
whole; the monitoring report counts them; the unnamed receivers show as "ente non
indicato" and the cases' case manager is "da nominare" for the coordination group.
"""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from crocevia.accounts.models import Membership, Profile
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.benefits.models import BenefitApplication
from crocevia.cases.models import Case, Stage
from crocevia.desk.models import Contact
from crocevia.interchange.models import ImportJob
from crocevia.network.models import Desk, Organisation
from crocevia.people.models import Person

from .helpers import it

pytestmark = pytest.mark.django_db

TERRITORY = (
    "zone_code,zone_name,comune_istat,comune_name,province,population\n"
    "ZPI,Zona Pisana,050026,Pisa,PI,90118\n"
    "ZPI,Zona Pisana,050008,Cascina,PI,45212\n"
)
ORGANISATIONS = (
    "code,name,kind,zone_code,comune_istat\n"
    "SDS-PI,Società della Salute Zona Pisana,sds,ZPI,050026\n"
    "CPI-PI,Centro per l'Impiego di Pisa,cpi,ZPI,050026\n"
    "ARCI-PI,Arci Pisa,third_sector,ZPI,050026\n"
)
DESKS = (
    "code,organisation_code,name,level,comune_istat,opening_hours\n"
    "D-PISA,SDS-PI,Sportello immigrati Pisa,1,050026,Lunedì 9-12\n"
)
PERSONS = (
    "external_id,family_name,given_names,sex,birth_date,citizenship,birth_country,"
    "codice_fiscale,comune_istat,household_id,languages,needs_mediator,permit_type,"
    "permit_expires_on\n"
    "P1,Rossi,Mario,M,1980-03-15,IT,IT,,050026,H1,it,false,,\n"
    "P2,Bianchi,Anna,F,1990-02-01,IT,IT,,050026,H1,it,false,,\n"
    "P3,El Amrani,Youssef,M,1995-07-01,MA,MA,,050026,,ar;fr,true,work,2027-01-31\n"
    "P4,Diallo,Aminata,F,1988-11-20,SN,SN,,050026,H2,fr,false,work,2027-06-30\n"
    "P5,Kaur,Harpreet,F,1992-04-04,IN,IN,,050008,H3,pa;en,true,family,2027-03-31\n"
    "P6,Popescu,Ion,M,1975-09-09,RO,RO,,050008,H4,ro,false,,\n"
)
# The desk's register for 2025, kept in Italian (headers, `;`, lists with `|`). Three
# referrals name no receiver: "invio presso Servizi Pubblici", "invio presso TS", ...
CONTACTS = (
    "id;persona;sportello;data;prestazioni;esito;inviato a\n"
    "A1;P3;D-PISA;14/01/2025;permit_kit;solved;\n"
    "A2;P3;D-PISA;03/02/2025;referral_public_services;referred;\n"
    "A3;P4;D-PISA;10/03/2025;information|referral_third_sector;referred;\n"
    "A4;P4;D-PISA;22/05/2025;job_search;referred;CPI-PI\n"
    "A5;P5;D-PISA;05/06/2025;legal_advice;second_level;\n"
    "A6;P6;D-PISA;17/09/2025;referral_social_services;referred;\n"
    "A7;P1;D-PISA;03/11/2025;information;;\n"
)
BENEFIT_APPLICATIONS = (
    "external_id,household_id,applicant_external_id,comune_istat,measure,submitted_on,status,"
    "outcome_on\n"
    "INPS-1,H1,P1,050026,ADI,2024-01-10,accepted,2024-02-01\n"
    "INPS-2,H2,P4,050026,ADI,2024-02-15,accepted,2024-03-05\n"
    "INPS-3,H3,P5,050008,ADI,2024-03-01,accepted,2024-03-20\n"
    "INPS-4,H4,P6,050008,ADI,2024-04-01,accepted,2024-04-22\n"
)
# The zone's income-support register: every complex case formed its team, under a case
# manager the register does not name. K1 closed in 2025; K2, K3, K4 are open.
CASES = (
    "external_id,person_external_id,organisation_code,referred_on,benefit_application_id,"
    "preassessed_on,need_class,team_formed_on,assessed_on,plan_kind,plan_signed_on,"
    "plan_started_on,closed_on,outcome,area\n"
    "K1,P1,SDS-PI,2024-01-20,INPS-1,2024-02-20,complex,2024-03-05,2024-03-20,"
    "inclusion_project,2024-04-10,2024-05-02,2025-03-31,employed,economic_hardship\n"
    "K2,P4,SDS-PI,2024-02-20,INPS-2,2024-03-25,complex,2024-04-15,2024-05-06,"
    "inclusion_project,2024-05-27,2024-06-10,,,economic_hardship\n"
    "K3,P5,SDS-PI,2024-03-05,INPS-3,2024-04-08,complex,2024-04-29,,,,,,,families_prevention\n"
    "K4,P6,SDS-PI,2024-04-10,INPS-4,2024-05-13,complex,2024-06-03,2024-06-24,,,,,,\n"
    "K5,P3,CPI-PI,2025-02-03,,2025-02-10,work,,,service_pact,2025-02-20,2025-03-01,,,\n"
)
# The README's order.
REGISTERS = (
    ("territory", TERRITORY),
    ("organisations", ORGANISATIONS),
    ("desks", DESKS),
    ("persons", PERSONS),
    ("contacts", CONTACTS),
    ("benefit_applications", BENEFIT_APPLICATIONS),
    ("cases", CASES),
)
TO_APPOINT = {"K2", "K3", "K4"}


@pytest.fixture(autouse=True)
def _empty_installation():
    """A migrated database and nothing else: no operator, no membership, no network."""
    assert not get_user_model().objects.exists()
    assert not Membership.objects.exists()
    assert not Organisation.objects.exists()


def command_import(tmp_path, kind, text) -> str:
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("import", kind, str(path), stdout=out)
    return out.getvalue()


def load_from_command_line(tmp_path) -> dict[str, str]:
    outputs = {kind: command_import(tmp_path, kind, text) for kind, text in REGISTERS}
    assert not get_user_model().objects.exists()  # nothing made an operator up
    return outputs


def report(start, end) -> dict:
    out = io.StringIO()
    call_command("report", "--from", start, "--to", end, "--format", "json", stdout=out)
    return json.loads(out.getvalue())["indicators"]


def assert_registers_loaded():
    assert Contact.objects.count() == 7
    unnamed = Contact.objects.filter(outcome="referred", referred_to__isnull=True)
    assert set(unnamed.values_list("external_id", flat=True)) == {"A2", "A3", "A6"}
    assert Contact.objects.get(external_id="A4").referred_to.code == "CPI-PI"
    assert BenefitApplication.objects.count() == 4
    cases = {c.external_id: c for c in Case.objects.all()}
    assert {k: c.stage for k, c in cases.items()} == {
        "K1": Stage.CLOSED,
        "K2": Stage.IN_PROGRESS,
        "K3": Stage.TEAM_FORMED,
        "K4": Stage.ASSESSED,
        "K5": Stage.IN_PROGRESS,
    }
    assert all(c.case_manager_id is None for c in cases.values())
    assert {k for k, c in cases.items() if c.case_manager_to_appoint} == TO_APPOINT
    assert cases["K1"].case_manager_not_named and not cases["K1"].case_manager_to_appoint


def assert_report_counts_them():
    year_2025 = report("2025-01-01", "2025-12-31")
    assert year_2025["desk.contacts"] == 7
    assert year_2025["desk.outcomes"] == {"solved": 2, "referred": 4, "second_level": 1}
    assert year_2025["desk.persons"] == 5
    assert year_2025["desk.services"]["referral_public_services"] == 1
    assert year_2025["desk.services"]["referral_third_sector"] == 1
    assert year_2025["cases.closed_by_outcome"]["employed"] == 1
    assert year_2025["cases.opened"] == 1  # K5
    assert year_2025["lep.teams"]["ZPI"]["active"] == 4  # K1 until its closure, K2, K3, K4
    year_2024 = report("2024-01-01", "2024-12-31")
    assert year_2024["cases.opened"] == 4
    assert year_2024["cases.taken_in_charge"] == 4
    assert year_2024["cases.by_need_class"] == {"work": 0, "social": 0, "complex": 4}
    assert year_2024["cases.wd_preassessment_to_assessment"]["n"] == 3  # K1, K2, K4
    assert year_2024["cases.plans_by_kind"]["inclusion_project"] == 2  # K1, K2
    assert year_2024["cases.wd_plan_to_start"]["n"] == 2
    assert year_2024["benefit.households_accepted"] == 4
    assert year_2024["lep.teams"]["ZPI"] == {"active": 4, "met": True}


# --- from the command line --------------------------------------------------------------------


def test_every_kind_loads_from_the_command_line_with_no_operator(tmp_path):
    outputs = load_from_command_line(tmp_path)
    assert_registers_loaded()
    for kind, text in REGISTERS:
        rows = len(text.splitlines()) - 1
        assert f"\nRighe: {rows} in " in outputs[kind], (kind, outputs[kind])
    # The summary of the cases says how many wait for their case manager.
    assert "3 prese in carico aperte hanno un case manager da nominare" in outputs["cases"]
    assert "case manager" not in outputs["contacts"]
    # History written by the system: no actor on any event, and no stand-in named.
    assert not AuditEvent.objects.filter(actor__isnull=False).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_SET_MANAGER).exists()


def test_the_monitoring_report_counts_the_loaded_registers(tmp_path):
    load_from_command_line(tmp_path)
    assert_report_counts_them()


def test_loading_the_registers_again_changes_nothing(tmp_path):
    load_from_command_line(tmp_path)
    events = AuditEvent.objects.count()
    outputs = load_from_command_line(tmp_path)
    assert AuditEvent.objects.count() == events
    assert "create: 0, aggiornate: 0, invariate: 7" in outputs["contacts"]
    # Still open and still waiting: the summary says so again.
    assert "3 prese in carico aperte" in outputs["cases"]


def test_export_gives_the_unnamed_receivers_back_empty(tmp_path):
    load_from_command_line(tmp_path)
    out = tmp_path / "contacts-out.csv"
    call_command("export", "contacts", "--output", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "external_id,person_external_id,desk_code,date,services,outcome,referred_to"
    assert "A2,P3,D-PISA,2025-02-03,referral_public_services,referred," in lines
    assert "A4,P4,D-PISA,2025-05-22,job_search,referred,CPI-PI" in lines
    # The export read back is the register as loaded: nothing changes.
    again = io.StringIO()
    call_command("import", "contacts", str(out), stdout=again)
    assert "create: 0, aggiornate: 0, invariate: 7" in again.getvalue()


def test_a_dry_run_of_the_cases_counts_the_managers_to_appoint_and_writes_nothing(tmp_path):
    for kind, text in REGISTERS[:-1]:
        command_import(tmp_path, kind, text)
    path = tmp_path / "cases.csv"
    path.write_text(CASES, encoding="utf-8")
    out = io.StringIO()
    call_command("import", "cases", str(path), "--dry-run", stdout=out)
    assert "3 prese in carico aperte hanno un case manager da nominare" in out.getvalue()
    assert not Case.objects.exists()


# --- the coordination group, once there is one -------------------------------------------------


def make_coordinator():
    user = get_user_model().objects.create_user(
        username="coordinatrice", first_name="Giulia", last_name="Neri", password="x"
    )
    membership = Membership.objects.create(
        user=user, organisation=Organisation.objects.get(code="SDS-PI"), profile=Profile.COORDINATOR
    )
    return user, membership


def test_the_coordination_queue_lists_the_cases_whose_case_manager_is_to_be_appointed(
    tmp_path, client
):
    load_from_command_line(tmp_path)
    coordinator, membership = make_coordinator()
    client.force_login(coordinator)

    page = client.get(reverse("cases:coordination"))
    assert page.status_code == 200
    assert [c.external_id for c in page.context["to_appoint"]] == ["K2", "K3", "K4"]
    html = page.content.decode()
    assert html.count(it("case manager to be appointed")) == 3
    assert it("case manager to be appointed") == "case manager da nominare"
    k2 = Case.objects.get(external_id="K2")
    assert reverse("cases:detail", args=[k2.pk]) + "#team" in html

    home = client.get(reverse("home"))
    counts = {queue.code: count for queue, count in home.context["queues"]}
    assert counts["responsabili-da-nominare"] == 3
    assert 'id="queue-responsabili-da-nominare"' in home.content.decode()

    zone_cases = client.get(reverse("cases:followup_zone_cases")).content.decode()
    # The badge of each row (the filter's label names it too).
    assert zone_cases.count(it("case manager to be appointed") + "</span>") == 3
    filtered = client.get(reverse("cases:followup_zone_cases"), {"manager_to_appoint": "on"})
    assert [c.external_id for c in filtered.context["cases"]] == ["K4", "K3", "K2"]

    detail = client.get(reverse("cases:detail", args=[k2.pk])).content.decode()
    assert it("case manager to be appointed") in detail
    assert reverse("cases:set_manager", args=[k2.pk]) in detail

    # The coordinator names one: the case leaves the queue.
    response = client.post(reverse("cases:set_manager", args=[k2.pk]), {"manager": membership.pk})
    assert response.status_code == 302
    k2.refresh_from_db()
    assert k2.case_manager == coordinator and not k2.case_manager_to_appoint
    page = client.get(reverse("cases:coordination"))
    assert [c.external_id for c in page.context["to_appoint"]] == ["K3", "K4"]


def test_a_closed_case_is_not_in_the_queue_and_says_its_manager_was_not_named(tmp_path, client):
    load_from_command_line(tmp_path)
    coordinator, _membership = make_coordinator()
    client.force_login(coordinator)
    k1 = Case.objects.get(external_id="K1")
    detail = client.get(reverse("cases:detail", args=[k1.pk])).content.decode()
    assert it("Not named in the register") in detail
    assert it("case manager to be appointed") not in detail


def test_an_unnamed_receiver_shows_as_ente_non_indicato(tmp_path, client):
    load_from_command_line(tmp_path)
    admin = get_user_model().objects.create_superuser("admin", password="x")
    client.force_login(admin)
    assert it("organisation not named") == "ente non indicato"
    person = Person.objects.get(external_id="P3")
    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    # A2, and the referral it made (its section of the page); A1 was solved at the desk.
    assert page.count("ente non indicato") == 2
    desk = Desk.objects.get(code="D-PISA")
    register = client.get(reverse("desk:register"), {"desk": desk.pk, "day": "2025-02-03"})
    assert "ente non indicato" in register.content.decode()
    register = client.get(reverse("desk:register"), {"desk": desk.pk, "day": "2025-05-22"})
    html = register.content.decode()
    assert "ente non indicato" not in html and "Centro per l&#x27;Impiego di Pisa" in html


# --- from /scambio/, signed in as the one administrator -----------------------------------------


def upload(client, kind, text):
    data = {"kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", text.encode("utf-8"))}
    return client.post(reverse("interchange:index"), data)


def test_every_kind_loads_from_the_exchange_page_with_only_an_administrator(tmp_path, client):
    admin = get_user_model().objects.create_superuser("admin", password="x")
    assert not Membership.objects.exists()
    client.force_login(admin)
    for kind, text in REGISTERS:
        response = upload(client, kind, text)
        assert response.status_code == 302, kind
        job = ImportJob.objects.get(kind=kind)
        assert job.status == ImportJob.Status.VALID, (kind, job.file_error, job.error_count)
        check = client.get(response.url).content.decode()
        if kind == "cases":
            # The check already says what the import will leave to the coordination group.
            assert "3 prese in carico aperte hanno un case manager da nominare" in check
        response = client.post(reverse("interchange:job_confirm", args=[job.pk]))
        assert response.status_code == 302
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE, (kind, job.message)
    done = client.get(reverse("interchange:job", args=[job.pk])).content.decode()
    assert 'id="import-notices"' in done
    assert "3 prese in carico aperte hanno un case manager da nominare" in done
    assert reverse("cases:coordination") + "#managers-to-appoint" in done
    assert job.notices == {"managers_to_appoint": 3}

    assert_registers_loaded()
    # The administrator imported: no stand-in case manager even so.
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_SET_MANAGER).exists()
    assert_report_counts_them()

    page = client.get(reverse("cases:coordination"))
    assert {c.external_id for c in page.context["to_appoint"]} == TO_APPOINT
    person = Person.objects.get(external_id="P4")
    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert page.count("ente non indicato") == 2  # A3 and its referral; A4 names the CPI
