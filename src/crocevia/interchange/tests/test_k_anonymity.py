"""Pseudonymised exports are k-anonymous (issue 15, item 7): every combination of the
quasi-identifiers a persons export gives (sex, age, citizenship, birth country, zone,
mediator, permit type and expiry) is shared by at least k persons, no permit type
reveals health, and an event points at a person only when k persons share its place and
month. Counted on the demo (through the monitoring officer's download) and on a
region-sized register (through `crocevia export --pseudonymise`)."""

import csv
import datetime
import io
import random
import time
from collections import Counter
from io import StringIO

import pycountry
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crocevia.accounts.models import User
from crocevia.core.management.demo_names import CITIZENSHIP_WEIGHTS
from crocevia.desk.models import Contact
from crocevia.interchange.kinds import get_kind, kind_names
from crocevia.interchange.pseudonym import ENV_KEY
from crocevia.network.models import Comune, Zone
from crocevia.people.models import PermitType, Person
from crocevia.testing import PersonFactory

from .helpers import NETWORK, PERSONS, export_text, load
from .test_benefits_and_cases import CASE_HEADER

pytestmark = pytest.mark.django_db

KEY = "a secret for the k-anonymity tests"
# What anyone may know of a person, among the columns of the persons export.
QUASI_IDENTIFIERS = (
    "sex",
    "birth_date",
    "citizenship",
    "birth_country",
    "comune_istat",
    "needs_mediator",
    "permit_type",
    "permit_expires_on",
)
HEALTH_REVEALING = {PermitType.HEALTH.value}
REGION_PERSONS = 20_000


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv(ENV_KEY, KEY)


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def classes(rows: list[dict]) -> Counter:
    """Equivalence classes: rows counted by their quasi-identifiers."""
    return Counter(tuple(r[c] for c in QUASI_IDENTIFIERS) for r in rows)


def assert_k_anonymous(rows: list[dict], k: int) -> Counter:
    sizes = classes(rows)
    small = {combination: n for combination, n in sizes.items() if n < k}
    assert not small, f"{sum(small.values())} rows in {len(small)} classes below {k}"
    assert not {r["permit_type"] for r in rows} & HEALTH_REVEALING
    for column in ("household_id", "languages"):
        assert {r[column] for r in rows} == {""}, column
    return sizes


def export_command(kind: str, tmp_path) -> str:
    path = tmp_path / f"{kind}.csv"
    call_command("export", kind, "--pseudonymise", "--output", str(path))
    return path.read_text(encoding="utf-8")


# --- the demo ---------------------------------------------------------------------------------


def test_demo_persons_downloaded_by_the_regions_officer_are_5_anonymous(client):
    call_command("demo", "--cases", "0", stdout=StringIO())
    persons = Person.objects.count()
    assert persons >= 700
    assert Person.objects.filter(permit_type=PermitType.HEALTH).exists()
    client.force_login(User.objects.get(username="monitoraggio.regione"))
    response = client.get(reverse("interchange:export", args=["persons"]) + "?formato=csv")
    assert response.status_code == 200
    rows = csv_rows(b"".join(response.streaming_content).decode())
    assert len(rows) == persons  # suppression blanks cells, it drops no one
    sizes = assert_k_anonymous(rows, 5)
    # Still worth having: most rows keep their sex, age band, citizenship and zone.
    blank = sizes[("",) * len(QUASI_IDENTIFIERS)]
    assert blank < persons * 0.05
    assert sum(1 for r in rows if r["citizenship"] and r["birth_date"]) > persons * 0.9
    assert sum(1 for r in rows if len(r["citizenship"]) == 2) > persons * 0.55  # 66% measured
    # The desks' contacts: each one that still names a person is one of at least 5
    # persons seen at that desk that month.
    response = client.get(reverse("interchange:export", args=["contacts"]) + "?formato=csv")
    contacts = csv_rows(b"".join(response.streaming_content).decode())
    assert len(contacts) == Contact.objects.count()
    persons_by_desk_month = {}
    for c in contacts:
        assert len(c["date"]) == 7  # YYYY-MM
        persons_by_desk_month.setdefault((c["desk_code"], c["date"]), set()).add(
            c["person_external_id"]
        )
    for c in contacts:
        if c["person_external_id"]:
            assert len(persons_by_desk_month[(c["desk_code"], c["date"])] - {""}) >= 5
    linked = sum(1 for c in contacts if c["person_external_id"])
    assert linked > len(contacts) * 0.9


# --- a region ---------------------------------------------------------------------------------


# Permit types of foreign persons, roughly as the demo draws them.
PERMIT_WEIGHTS = {
    "eu_long_term": 30,
    "family": 22,
    "work": 21,
    "": 7,
    "asylum_seeker": 5,
    "special": 4,
    "subsidiary": 3,
    "asylum": 3,
    "other": 3,
    "study": 1.3,
    "health": 0.6,
}


def build_region(n: int, seed: int = 15) -> None:
    """n persons over 4 zones of 10 Comuni: the demo's citizenships plus a long tail of
    every other country, every permit type, all ages; some born in Italy, some without
    a Comune."""
    rng = random.Random(seed)
    comuni = []
    for z in range(4):
        zone = Zone.objects.create(code=f"Z{z}", name=f"Zona {z}")
        comuni += Comune.objects.bulk_create(
            Comune(istat_code=f"09{z}{c:03d}", name=f"Comune {z}-{c}", province="FI", zone=zone)
            for c in range(10)
        )
    weights = dict(CITIZENSHIP_WEIGHTS) | {"IT": 60}
    for country in pycountry.countries:
        weights.setdefault(country.alpha_2, 1)
    countries, country_weights = zip(*weights.items(), strict=True)
    permits, permit_weights = zip(*PERMIT_WEIGHTS.items(), strict=True)
    comune_weights = [0.8**i for i in range(len(comuni))]
    today = timezone.localdate()
    people = []
    for i in range(n):
        citizenship = rng.choices(countries, country_weights)[0]
        foreign = citizenship != "IT"
        permit = rng.choices(permits, permit_weights)[0] if foreign else ""
        people.append(
            Person(
                external_id=f"R{i:06d}",
                family_name=f"Cognome{i % 997}",
                given_names=f"Nome{i % 331}",
                sex=rng.choice("MF"),
                birth_date=today - datetime.timedelta(days=rng.randrange(0, 90 * 365)),
                citizenship=citizenship,
                birth_country=citizenship if rng.random() < 0.85 else "IT",
                comune=rng.choices(comuni, comune_weights)[0] if rng.random() < 0.95 else None,
                needs_mediator=foreign and rng.random() < 0.2,
                permit_type=permit,
                permit_expires_on=(
                    today + datetime.timedelta(days=rng.randrange(-400, 5 * 365))
                    if permit
                    else None
                ),
                search_name=f"cognome{i}",
            )
        )
    Person.objects.bulk_create(people, batch_size=5000)


def test_a_region_sized_register_exports_5_anonymous_persons(tmp_path):
    started = time.monotonic()
    build_region(REGION_PERSONS)
    built = time.monotonic()
    rows = csv_rows(export_command("persons", tmp_path))
    exported = time.monotonic()
    assert len(rows) == REGION_PERSONS
    sizes = assert_k_anonymous(rows, 5)
    zones = Counter(r["comune_istat"] for r in rows)
    assert set(zones) <= {"Z0", "Z1", "Z2", "Z3", ""} and zones[""] < REGION_PERSONS * 0.1
    assert sizes[("",) * len(QUASI_IDENTIFIERS)] < REGION_PERSONS * 0.01
    # No country named that fewer than 5 persons hold; most keep their country.
    named = Counter(r["citizenship"] for r in rows if len(r["citizenship"]) == 2)
    assert min(named.values()) >= 5 and sum(named.values()) > REGION_PERSONS * 0.6
    # Measured on the 2-core host shared with others: build 3-5 s, export 5-8 s.
    assert exported - built < 30, (built - started, exported - built)


def test_k_is_a_setting_and_other_permit_types_survive(settings, tmp_path):
    build_region(3_000, seed=7)
    settings.CROCEVIA_EXPORT_K = 10
    rows = csv_rows(export_command("persons", tmp_path))
    assert_k_anonymous(rows, 10)
    assert {"eu_long_term", "family", "work"} <= {r["permit_type"] for r in rows}


# --- small exports and links ------------------------------------------------------------------


def test_fewer_than_k_persons_leave_no_quasi_identifier_at_all():
    for i in range(4):
        PersonFactory(external_id=f"S{i}", permit_type=PermitType.HEALTH)
    rows = csv_rows(export_text("persons", pseudonymise=True))
    assert len(rows) == 4
    assert {tuple(r[c] for c in QUASI_IDENTIFIERS) for r in rows} == {("",) * 8}


def test_two_persons_of_the_same_family_get_different_name_pseudonyms():
    PersonFactory(external_id="F1", family_name="Hossain", given_names="Rahim")
    PersonFactory(external_id="F2", family_name="Hossain", given_names="Rahim")
    first = csv_rows(export_text("persons", pseudonymise=True))
    assert first[0]["family_name"] != first[1]["family_name"]
    assert first[0]["given_names"] != first[1]["given_names"]
    assert csv_rows(export_text("persons", pseudonymise=True)) == first  # stable


def test_a_contact_names_its_person_only_among_k_persons_of_that_desk_and_month(actors):
    day = datetime.date(2026, 3, 9)
    for i in range(5):
        person = PersonFactory(external_id=f"B{i}")
        Contact.objects.create(external_id=f"CB{i}", person=person, desk=actors.desk, date=day)
    alone = PersonFactory(external_id="A0")
    Contact.objects.create(
        external_id="CA0", person=alone, desk=actors.desk, date=datetime.date(2026, 4, 1)
    )
    rows = csv_rows(export_text("contacts", pseudonymise=True))
    march = [r for r in rows if r["date"] == "2026-03"]
    april = [r for r in rows if r["date"] == "2026-04"]
    assert len(march) == 5 and all(r["person_external_id"].startswith("PE-") for r in march)
    assert len(april) == 1 and april[0]["person_external_id"] == ""
    assert april[0]["desk_code"] == actors.desk.code  # the contact still counts
    assert "2026-03-09" not in export_text("contacts", pseudonymise=True)


def test_cases_and_applications_of_k_persons_in_a_month_stay_linked(tmp_path):
    for kind, text in NETWORK:
        load(tmp_path, kind, text)
    persons = [f"P{i},Cognome{i},Nome,F,1990-01-0{i + 1},MA,MA,,050026,H{i},,,," for i in range(5)]
    load(tmp_path, "persons", PERSONS.splitlines()[0] + "\n" + "\n".join(persons) + "\n")
    header = "external_id,household_id,applicant_external_id,comune_istat,measure,submitted_on,"
    rows = [f"INPS-{i},H{i},P{i},050026,ADI,2024-01-1{i},accepted,2024-01-2{i}" for i in range(5)]
    load(tmp_path, "benefit_applications", header + "status,outcome_on\n" + "\n".join(rows))
    rows = [f"K{i},P{i},SDS-PI,2024-01-2{i},INPS-{i},,,,,,,,," for i in range(5)]
    load(tmp_path, "cases", CASE_HEADER + "\n" + "\n".join(rows) + "\n")
    applications = csv_rows(export_text("benefit_applications", pseudonymise=True))
    cases = csv_rows(export_text("cases", pseudonymise=True))
    assert {a["comune_istat"] for a in applications} == {"ZPI"}  # the zone, not the Comune
    assert {a["submitted_on"] for a in applications} == {"2024-01"}
    applicants = {a["external_id"]: a["applicant_external_id"] for a in applications}
    assert len(applicants) == 5 and all(v.startswith("PE-") for v in applicants.values())
    for case in cases:
        assert case["referred_on"] == "2024-01"
        assert applicants[case["benefit_application_id"]] == case["person_external_id"]


def test_a_case_area_that_reveals_disability_leaves_as_other(tmp_path):
    for kind, text in NETWORK:
        load(tmp_path, kind, text)
    persons = [f"P{i},Cognome{i},Nome,F,1990-01-0{i + 1},MA,MA,,050026,,,,," for i in range(5)]
    load(tmp_path, "persons", PERSONS.splitlines()[0] + "\n" + "\n".join(persons) + "\n")
    areas = ["disability", "disability", "housing_emergency", "other", "child_protection"]
    header = CASE_HEADER + ("" if CASE_HEADER.endswith(",area") else ",area")
    rows = [
        f"K{i},P{i},SDS-PI,2024-01-2{i},,2024-01-2{i},social,,,,,,,,{area}"
        for i, area in enumerate(areas)
    ]
    load(tmp_path, "cases", header + "\n" + "\n".join(rows) + "\n")
    plain = csv_rows(export_text("cases"))
    assert sorted(c["area"] for c in plain) == sorted(areas)
    cases = csv_rows(export_text("cases", pseudonymise=True))
    assert sorted(c["area"] for c in cases) == sorted(
        ["other", "other", "housing_emergency", "other", "child_protection"]
    )


def test_the_officers_page_says_in_italian_how_many_persons_share_what_leaves(
    actors, login, settings
):
    settings.CROCEVIA_EXPORT_K = 7
    page = login(actors.monitoring_officer).get(reverse("interchange:index")).content.decode()
    assert "finché almeno 7 persone lo condividono" in page


def test_every_kind_with_personal_data_says_what_singles_a_person_out():
    """A new kind with pseudonymised columns must name its quasi-identifiers (a
    person-level kind) or its place and month and person links (an event kind), or it
    would leave k-anonymity out."""
    for name in kind_names():
        kind = get_kind(name)
        if kind.pseudonymised:
            assert kind.quasi_identifiers or (kind.event_class and kind.person_links), name
            for column in (*kind.quasi_identifiers, *kind.event_class, *kind.person_links):
                assert column in kind.codes, (name, column)
