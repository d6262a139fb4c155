#!/usr/bin/env python
"""The monitoring report on a region-sized dataset on PostgreSQL (issue 6, "Speed").

Not a test: it prints figures beside the targets of issue 6: the full-year report of the
region <= 2 s and of one organisation <= 500 ms, cold and warm; the report page's first
byte within the same bounds; and the same key aggregations written by hand in SQL and run
through psql, with the ratio ours / hand-written (target <= 1.5). See bench/README.md.

    .venv/bin/python bench/report.py [--reuse] [--runs 5] [--profile]

The database named by --url (default postgres://postgres@127.0.0.1:5432/
crocevia_bench_report) is dropped, created and migrated unless --reuse finds it loaded.
The data is written with INSERT ... SELECT generate_series in a few minutes: 20 zones of
Comuni, organisations of every kind, desks, operators, 400,000 persons (two thirds of them
in households), 2,000,000 contacts over 2023-2025 with 1-3 services each, language needs,
100,000 cases with their milestones in pathway order, 150,000 income-support
applications, meetings, a programme with budget actions, expenditure and targets.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crocevia_bench_report"
TARGETS_MS = {"region": 2000.0, "organisation": 500.0}
TARGET_RATIO = 1.5
YEAR = 2025  # the report's period; the data covers 2023-2025 (applications from 2019)

# 20 zones: (code, name, seat, ISTAT code of the seat). The seats that are provincial
# capitals carry their real ISTAT code, so the built-in patron days apply to them.
ZONES = [
    ("FI-CEN", "Firenze", "Firenze", "048017"),
    ("PI-PIS", "Pisana", "Pisa", "050026"),
    ("LI-LIV", "Livornese", "Livorno", "049009"),
    ("LU-PIA", "Piana di Lucca", "Lucca", "046017"),
    ("PT-PIS", "Pistoiese", "Pistoia", "047014"),
    ("PO-PRA", "Pratese", "Prato", "100005"),
    ("AR-ARE", "Aretina", "Arezzo", "051002"),
    ("SI-SEN", "Senese", "Siena", "052032"),
    ("GR-GRO", "Grossetana", "Grosseto", "053011"),
    ("MS-APU", "Apuane", "Massa", "045010"),
    ("FI-EMP", "Empolese Valdelsa", "Empoli", "048014"),
    ("PI-VDE", "Valdera", "Pontedera", "050029"),
    ("LU-VER", "Versilia", "Viareggio", "046033"),
    ("LI-VDC", "Val di Cornia", "Piombino", "049012"),
    ("SI-AVE", "Alta Val d'Elsa", "Poggibonsi", "052022"),
    ("SI-VCH", "Valdichiana Senese", "Montepulciano", "052015"),
    ("FI-NOR", "Fiorentina Nord-Ovest", "Sesto Fiorentino", "048043"),
    ("FI-MUG", "Mugello", "Borgo San Lorenzo", "048004"),
    ("LI-BVC", "Bassa Val di Cecina", "Cecina", "049007"),
    ("AR-CAS", "Casentino", "Bibbiena", "051004"),
]
COMUNI_PER_ZONE = 14
REGION_POPULATION = 3_660_000

# The shape of the data (shares are of the rows generated).
PERSONS = 400_000
HOUSEHOLDS = 100_000  # sizes 1-6+, about 270,000 members; the other persons live alone
CONTACTS = 2_000_000
CASES = 100_000
APPLICATIONS = 150_000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    parser.add_argument("--runs", type=int, default=5, help="warm runs per figure (median)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="list the report's queries by time and the Python time around them",
    )
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest")
    parser.add_argument(
        "--skip-migrate", action="store_true", help="the database is migrated already"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the row counts (a quick try: 0.01)"
    )
    parser.add_argument("--seed", type=float, default=0.42)
    return parser.parse_args(argv)


# --- database ------------------------------------------------------------------------------


def admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    import psycopg

    name = database_name(url)
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_exists(url: str) -> bool:
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]
        ).fetchone()
    return row is not None


def setup_django(url: str, *, migrate: bool = True) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crocevia.settings")
    os.environ.setdefault("CROCEVIA_INSECURE_DEV_KEY", "1")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(f"This benchmark runs on PostgreSQL; {url} is {connection.vendor}.")
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def loaded(scale: float = 1.0) -> bool:
    from crocevia.cases.models import Case

    return Case.objects.count() >= CASES * scale * 0.95


# --- generation ----------------------------------------------------------------------------


def generate_network() -> None:
    """Zones, Comuni, organisations, desks, operators: a few thousand rows, through the ORM
    (bulk_create) so the fields' defaults are the models'."""
    from crocevia.accounts.models import Membership, Profile, User
    from crocevia.network.models import Comune, Desk, Organisation, Zone
    from crocevia.reporting.models import PatronDay

    Kind = Organisation.Kind
    region = Organisation.objects.create(code="RT", name="Regione Toscana", kind=Kind.REGION)
    zone_population = REGION_POPULATION // len(ZONES)
    users, memberships = [], []
    desks = []
    patron = []
    for z, (code, name, seat, seat_code) in enumerate(ZONES, start=1):
        zone = Zone.objects.create(code=code, name=f"Zona {name}")
        comuni = []
        for c in range(COMUNI_PER_ZONE):
            if c == 0:
                cname, istat, population = seat, seat_code, zone_population * 40 // 100
            else:
                cname = f"{seat} {c + 1} (comune)"
                istat = f"9{z:02d}{c:03d}"
                population = zone_population * 60 // 100 // (COMUNI_PER_ZONE - 1)
            comuni.append(
                Comune(
                    istat_code=istat,
                    name=cname,
                    province="XX" if c else "FI",
                    population=population,
                    zone=zone,
                )
            )
        comuni = Comune.objects.bulk_create(comuni)
        patron.append(PatronDay(comune=comuni[1], month=1 + z % 12, day=10 + z))
        orgs = [
            Organisation(code=f"SDS-{code}", name=f"SdS {name}", kind=Kind.SDS),
            Organisation(code=f"CPI-{code}", name=f"CPI {seat}", kind=Kind.CPI),
            Organisation(code=f"CPIA-{code}", name=f"CPIA {seat}", kind=Kind.CPIA),
            Organisation(code=f"ASL-{code}", name=f"UFSMA {name}", kind=Kind.ASL_SERVICE),
            Organisation(code=f"COOP1-{code}", name=f"Coop. A {name}", kind=Kind.THIRD_SECTOR),
            Organisation(code=f"COOP2-{code}", name=f"Coop. B {name}", kind=Kind.THIRD_SECTOR),
        ]
        for org in orgs:
            org.zone, org.comune = zone, comuni[0]
        orgs += [
            Organisation(
                code=f"COM-{code}-{c:02d}",
                name=f"Comune di {comune.name}",
                kind=Kind.COMUNE,
                zone=zone,
                comune=comune,
            )
            for c, comune in enumerate(comuni)
        ]
        orgs = Organisation.objects.bulk_create(orgs)
        sds, cpi, cpia, _asl, coop1, coop2 = orgs[:6]
        town_halls = orgs[6:]
        zone_desks = [
            Desk(code=f"D-{code}-SDS1", organisation=sds, name="Segretariato sociale", level=1),
            Desk(code=f"D-{code}-SDS2", organisation=sds, name="PUA", level=2),
            Desk(code=f"D-{code}-CPI", organisation=cpi, name="Accoglienza CPI", level=1),
            Desk(code=f"D-{code}-CPIA", organisation=cpia, name="Sportello CPIA", level=1),
            Desk(code=f"D-{code}-COOP1", organisation=coop1, name="Sportello migranti", level=1),
            Desk(code=f"D-{code}-COOP2", organisation=coop2, name="Sportello lavoro", level=1),
        ]
        for c, org in enumerate(town_halls[:6]):
            zone_desks.append(
                Desk(code=f"D-{code}-COM{c}", organisation=org, name="Sportello sociale", level=1)
            )
        for desk in zone_desks:
            desk.comune = desk.organisation.comune
        desks += zone_desks
        # Operators: desk operators, social workers (SdS and the seat's Comune), CPI
        # consultants, a coordinator; one social worker in twenty no longer active.
        staff = (
            [(sds, Profile.DESK_OPERATOR)] * 3
            + [(coop1, Profile.DESK_OPERATOR), (coop2, Profile.DESK_OPERATOR)]
            + [(cpia, Profile.DESK_OPERATOR)]
            + [(town_halls[0], Profile.DESK_OPERATOR)] * 2
            + [(sds, Profile.SOCIAL_WORKER)] * 10
            + [(town_halls[0], Profile.SOCIAL_WORKER)] * 6
            + [(cpi, Profile.CPI_CONSULTANT)] * 4
            + [(sds, Profile.COORDINATOR)]
        )
        for i, (org, profile) in enumerate(staff):
            users.append(User(username=f"{code.lower()}.{i:02d}", first_name=profile))
            memberships.append((org, profile, i % 20 == 19 and profile == "social_worker"))
    users = User.objects.bulk_create(users)
    Membership.objects.bulk_create(
        Membership(user=u, organisation=org, profile=profile, active=not inactive)
        for u, (org, profile, inactive) in zip(users, memberships, strict=True)
    )
    Desk.objects.bulk_create(desks)
    PatronDay.objects.bulk_create(patron)
    admin = User.objects.create_superuser("bench.admin", "", None)
    Membership.objects.create(user=admin, organisation=region, profile=Profile.MONITORING_OFFICER)


def name_arrays() -> tuple[list[str], list[str], list[str]]:
    from crocevia.demo.names import CITIZENSHIP_WEIGHTS, family_names, given_names

    families, males, females = set(), set(), set()
    for country in CITIZENSHIP_WEIGHTS:
        families.update(family_names(country, "M"))
        males.update(given_names(country, "M"))
        females.update(given_names(country, "F"))
    return sorted(families), sorted(males), sorted(females)


# Citizenship slots: 45% Italians, 10% other EU, the rest in the demo's mix of countries.
def citizenship_slots() -> list[str]:
    from crocevia.demo.names import CITIZENSHIP_WEIGHTS

    slots = ["IT"] * 450 + ["RO"] * 60 + ["PL"] * 15 + ["BG"] * 10 + ["DE"] * 10 + ["FR"] * 5
    foreign = {c: w for c, w in CITIZENSHIP_WEIGHTS.items() if c not in ("IT", "RO")}
    total = sum(foreign.values())
    for country, weight in foreign.items():
        slots += [country] * max(1, round(450 * weight / total))
    slots += [""] * 5  # citizenship not recorded
    return slots


# Each statement is one step of the generation; %(name)s are the sizes below.
GENERATION = [
    (
        "comune and desk lookup tables",
        """
        CREATE TEMP TABLE b_comune_slots AS
        SELECT array_agg(id ORDER BY id, g) AS slots FROM (
            SELECT c.id, g FROM network_comune c,
                   generate_series(1, greatest(1, c.population / 1000)) g) s;
        CREATE TEMP TABLE b_zone AS
        SELECT z.id AS zone_id,
               (SELECT o.id FROM network_organisation o
                 WHERE o.zone_id = z.id AND o.kind = 'sds') AS sds_id,
               (SELECT o.id FROM network_organisation o
                 WHERE o.zone_id = z.id AND o.kind = 'cpi') AS cpi_id,
               (SELECT array_agg(o.id ORDER BY o.id) FROM network_organisation o
                 WHERE o.zone_id = z.id AND o.kind = 'comune') AS town_halls,
               (SELECT array_agg(d.id ORDER BY d.id) FROM network_desk d
                  JOIN network_organisation o ON o.id = d.organisation_id
                 WHERE o.zone_id = z.id) AS desks,
               (SELECT array_agg(m.user_id ORDER BY m.user_id) FROM accounts_membership m
                  JOIN network_organisation o ON o.id = m.organisation_id
                 WHERE o.zone_id = z.id AND m.profile = 'desk_operator') AS operators,
               (SELECT array_agg(m.user_id ORDER BY m.user_id) FROM accounts_membership m
                  JOIN network_organisation o ON o.id = m.organisation_id
                 WHERE o.zone_id = z.id AND m.profile = 'social_worker') AS workers
          FROM network_zone z;
        CREATE TEMP TABLE b_desk AS
        SELECT d.id AS desk_id, o.id AS organisation_id, o.zone_id, o.kind
          FROM network_desk d JOIN network_organisation o ON o.id = d.organisation_id;
        """,
    ),
    (
        "households and persons",
        """
        INSERT INTO people_household (created_at)
        SELECT now() FROM generate_series(1, %(households)s);
        -- Sizes 1-6+ (mean 2.7); every member of a household lives in its Comune.
        CREATE TEMP TABLE b_household AS
        SELECT h.id AS household_id,
               (ARRAY[1,1,1,1,2,2,2,3,3,4,4,5,6,7])[1 + floor(random() * 14)::int] AS size,
               (SELECT slots FROM b_comune_slots)[1 + floor(random() * (
                    SELECT cardinality(slots) FROM b_comune_slots))::int] AS comune_id
          FROM people_household h;
        CREATE TEMP TABLE b_person AS
        SELECT row_number() OVER (ORDER BY household_id, k) AS n, household_id, k, size,
               comune_id
          FROM b_household, generate_series(1, size) k;
        INSERT INTO b_person (n, household_id, k, size, comune_id)
        SELECT (SELECT count(*) FROM b_person) + g, NULL, 1, 1,
               (SELECT slots FROM b_comune_slots)[1 + floor(random() * (
                    SELECT cardinality(slots) FROM b_comune_slots))::int]
          FROM generate_series(1, %(persons)s - (SELECT count(*) FROM b_person)) g;
        -- Member 1 is the reference person, member 2 an adult partner three times in
        -- four (else a child: single parents), members 3+ children; ages at the end of
        -- the data.
        INSERT INTO people_person (
            family_name, given_names, sex, birth_date, birth_country, citizenship,
            codice_fiscale, phone, email, languages, needs_mediator, permit_type,
            household_relationship, search_name, created_at, updated_at, version,
            comune_id, created_by_organisation_id, household_id)
        SELECT fam, giv, sex, born, cit, cit,
               CASE WHEN random() < 0.6 THEN upper(substr(md5(n::text), 1, 16)) ELSE '' END,
               '', '', '[]', false, '',
               CASE WHEN household_id IS NULL THEN ''
                    WHEN k = 1 THEN 'reference'
                    WHEN adult THEN 'partner' ELSE 'child' END,
               lower(fam || ' ' || giv), now(), now(), 1, comune_id, sds_id, household_id
          FROM (
            SELECT p.*, z.sds_id,
                   %(families)s::text[] AS fams,
                   CASE WHEN sx = 'M' THEN %(males)s::text[] ELSE %(females)s::text[] END
                        AS givs,
                   (ARRAY[%(citizenships)s])[1 + floor(random() * %(n_citizenships)s)::int]
                        AS cit,
                   DATE '2025-12-31' - CASE
                        WHEN adult THEN 18 * 365 + floor(random() * 50 * 365)::int
                        ELSE floor(random() * 18 * 365)::int END AS born
              FROM (SELECT b.*, CASE WHEN random() < 0.56 THEN 'M' ELSE 'F' END AS sx,
                           (k = 1 OR (k = 2 AND random() < 0.75)) AS adult
                      FROM b_person b) p
              JOIN network_comune c ON c.id = p.comune_id
              JOIN b_zone z ON z.zone_id = c.zone_id
          ) q,
          LATERAL (SELECT fams[1 + floor(random() * cardinality(fams))::int] AS fam,
                          givs[1 + floor(random() * cardinality(givs))::int] AS giv,
                          sx AS sex) names
         ORDER BY n;
        CREATE TEMP TABLE b_home AS
        SELECT p.id AS person_id, c.zone_id, p.household_id, p.household_relationship
          FROM people_person p JOIN network_comune c ON c.id = p.comune_id;
        CREATE INDEX ON b_home (person_id);
        """,
    ),
    (
        "contacts",
        """
        -- Over 2023-2025 on weekdays, at a desk of the person's zone; some persons come
        -- often (the power skews the draw).
        INSERT INTO desk_contact (date, outcome, notes, created_at, desk_id, operator_id,
                                  person_id, referred_to_id, version)
        SELECT day, outcome, '', now(), z.desks[1 + floor(r2 * cardinality(z.desks))::int],
               z.operators[1 + floor(r3 * cardinality(z.operators))::int], h.person_id,
               CASE WHEN outcome = 'referred' THEN
                    CASE WHEN r3 < 0.5 THEN z.sds_id ELSE z.cpi_id END END, 1
          FROM (
            SELECT 1 + floor(power(random(), 1.4) * %(persons)s)::int AS person_n,
                   d + CASE extract(isodow FROM d) WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END
                       AS day,
                   CASE WHEN r < 0.70 THEN 'solved' WHEN r < 0.90 THEN 'referred'
                        ELSE 'second_level' END AS outcome,
                   random() AS r2, random() AS r3
              FROM (SELECT DATE '2023-01-02' + floor(random() * 1093)::int AS d,
                           random() AS r
                      FROM generate_series(1, %(contacts)s)) g
          ) c
          JOIN b_home h ON h.person_id = c.person_n
          JOIN b_zone z ON z.zone_id = h.zone_id
         ORDER BY day;
        """,
    ),
    (
        "services given (1-3 per contact)",
        """
        -- information, form filling and job search lead; the other services follow.
        INSERT INTO desk_contact_services (contact_id, deskservice_id, date, desk_id)
        SELECT c.id, s.id, c.date, c.desk_id FROM (
            SELECT c.id, c.date, c.desk_id,
                   (ARRAY[14,14,14,3,3,12,12,4,1,2,5,6,7,8,9,10,11,13,15,16,17,18,19,
                          20,21])[1 + floor(random() * 25)::int] AS first,
                   1 + floor(random() * random() * 3)::int AS k
              FROM desk_contact c) c
          CROSS JOIN LATERAL generate_series(0, k - 1) j
          JOIN desk_deskservice s ON s.position = 10 * (1 + (first - 1 + 7 * j) %% 21);
        """,
    ),
    (
        "language needs",
        """
        INSERT INTO desk_languageneed (recorded_on, italian_level, needs_job_italian,
                                       work_sector, contact_id, person_id, recorded_by_id)
        SELECT date, (ARRAY['none','pre_a1','A1','A2','B1','B2'])[1 + floor(random() * 6)::int],
               job, CASE WHEN job THEN (ARRAY['agriculture','construction','manufacturing',
                   'logistics','catering','care','cleaning','health','retail','other'])
                   [1 + floor(random() * 10)::int] ELSE '' END,
               id, person_id, operator_id
          FROM (SELECT c.*, random() < 0.5 AS job FROM desk_contact c
                 WHERE c.id %% 25 = 0 AND c.operator_id IS NOT NULL) c;
        """,
    ),
    (
        "income-support applications",
        """
        -- One per household, a second (later measure) for every other household, the
        -- rest for persons living alone. Submission 2019-2025; outcome 2-8 weeks later.
        INSERT INTO benefits_benefitapplication (
            external_id, measure, submitted_on, status, outcome_on, created_at,
            updated_at, version, applicant_id, comune_id, household_id, outcome_note,
            outcome_reason)
        SELECT 'INPS-' || row_number() OVER (), measure, submitted, status,
               CASE WHEN status <> 'processing'
                    THEN submitted + 14 + floor(random() * 42)::int END,
               now(), now(), 1, applicant, comune_id, household_id, '', ''
          FROM (
            SELECT p.id AS applicant, p.comune_id, p.household_id, s.submitted,
                   CASE WHEN s.submitted < '2019-04-01' THEN 'REI'
                        WHEN s.submitted < '2024-01-01' THEN 'RDC' ELSE 'ADI' END AS measure,
                   CASE WHEN s.submitted > '2025-11-01' THEN 'processing'
                        WHEN s.r < 0.55 THEN 'accepted' WHEN s.r < 0.70 THEN 'lapsed'
                        WHEN s.r < 0.75 THEN 'suspended' WHEN s.r < 0.80 THEN 'processing'
                        ELSE 'rejected' END AS status
              FROM people_person p
              CROSS JOIN LATERAL generate_series(1, CASE WHEN p.household_id %% 3 = 0
                                                    THEN 2 ELSE 1 END) k
              CROSS JOIN LATERAL (
                  SELECT DATE '2019-01-07' + (floor(random() * 2500) + 0 * k)::int AS submitted,
                         random() AS r) s
             WHERE p.household_relationship = 'reference'
          ) a;
        INSERT INTO people_household (created_at)
        SELECT now() FROM generate_series(1, %(applications)s - (
            SELECT count(*) FROM benefits_benefitapplication));
        -- Persons living alone get a household of one when they apply.
        WITH alone AS (
            SELECT p.id AS person_id, p.comune_id,
                   row_number() OVER (ORDER BY p.id) AS n
              FROM people_person p WHERE p.household_id IS NULL AND p.id %% 3 = 0),
        fresh AS (
            SELECT h.id AS household_id, row_number() OVER (ORDER BY h.id) AS n
              FROM people_household h
             WHERE NOT EXISTS (SELECT 1 FROM people_person m WHERE m.household_id = h.id))
        INSERT INTO benefits_benefitapplication (
            external_id, measure, submitted_on, status, outcome_on, created_at,
            updated_at, version, applicant_id, comune_id, household_id, outcome_note,
            outcome_reason)
        SELECT 'INPS-S' || a.n, 'ADI', submitted, status,
               CASE WHEN status <> 'processing'
                    THEN submitted + 14 + floor(random() * 42)::int END,
               now(), now(), 1, a.person_id, a.comune_id, f.household_id, '', ''
          FROM alone a JOIN fresh f USING (n),
          LATERAL (SELECT DATE '2019-01-07' + (floor(random() * 2500) + 0 * a.n)::int
                          AS submitted, random() AS r) s,
          LATERAL (SELECT CASE WHEN s.submitted > '2025-11-01' THEN 'processing'
                               WHEN s.r < 0.5 THEN 'accepted' WHEN s.r < 0.7 THEN 'lapsed'
                               WHEN s.r < 0.8 THEN 'processing' ELSE 'rejected' END
                          AS status) t;
        UPDATE people_person p SET household_id = a.household_id,
               household_relationship = 'reference'
          FROM benefits_benefitapplication a
         WHERE a.applicant_id = p.id AND p.household_id IS NULL;
        """,
    ),
    (
        "cases with their milestones",
        """
        -- Three origins: accepted income-support applications (with the INPS outcome
        -- milestone), desk contacts sent to level 2, and cases opened directly.
        CREATE TEMP TABLE b_case AS
        SELECT 'benefit' AS origin, a.applicant_id AS person_id, a.household_id,
               a.id AS application_id, a.outcome_on AS benefit_outcome_on, NULL::bigint
               AS contact_id, least(a.outcome_on + floor(random() * 10)::int, DATE '2025-12-31')
               AS referred_on,
               z.sds_id AS organisation_id, c.zone_id
          FROM benefits_benefitapplication a
          JOIN network_comune c ON c.id = a.comune_id
          JOIN b_zone z ON z.zone_id = c.zone_id
         WHERE a.status = 'accepted' AND a.outcome_on >= '2022-10-01'
         ORDER BY a.id LIMIT %(benefit_cases)s;
        INSERT INTO b_case
        SELECT 'desk_contact', c.person_id, NULL, NULL, NULL, c.id, c.date,
               CASE WHEN random() < 0.7 THEN z.sds_id
                    ELSE z.town_halls[1 + floor(random() * cardinality(z.town_halls))::int]
               END, d.zone_id
          FROM desk_contact c JOIN b_desk d ON d.desk_id = c.desk_id
          JOIN b_zone z ON z.zone_id = d.zone_id
         WHERE c.outcome = 'second_level' AND c.id %% 5 = 0
         ORDER BY c.id LIMIT %(desk_cases)s;
        INSERT INTO b_case
        SELECT 'direct', h.person_id, NULL, NULL, NULL, NULL,
               DATE '2023-01-02' + floor(random() * 1090)::int,
               CASE WHEN random() < 0.2 THEN z.cpi_id ELSE z.sds_id END, h.zone_id
          FROM b_home h JOIN b_zone z ON z.zone_id = h.zone_id
         WHERE h.person_id %% 11 = 3
         LIMIT %(cases)s - (SELECT count(*) FROM b_case);
        -- Milestones in pathway order, each a few days to weeks after the one before;
        -- those after the end of the data have not happened yet.
        INSERT INTO cases_case (
            origin, stage, referred_on, benefit_outcome_on, benefit_application_id,
            preassessed_on, need_class, area, team_formed_on, assessed_on, plan_signed_on,
            plan_kind, plan_started_on, closed_on, outcome, closing_note, created_at,
            updated_at, version, case_manager_id, household_id, organisation_id,
            person_id, source_contact_id, zone_id, priority, priority_note, sharing_basis,
            sharing_note, open_items_reason)
        SELECT origin,
               CASE WHEN closed IS NOT NULL THEN 'closed'
                    WHEN started IS NOT NULL THEN 'in_progress'
                    WHEN signed IS NOT NULL THEN 'plan_signed'
                    WHEN assessed IS NOT NULL THEN 'assessed'
                    WHEN team IS NOT NULL THEN 'team_formed'
                    WHEN pre IS NOT NULL THEN 'preassessed' ELSE 'referred' END,
               referred_on, benefit_outcome_on, application_id, pre,
               CASE WHEN pre IS NOT NULL THEN need ELSE '' END,
               -- The service area, chosen at pre-assessment (cases.by_area).
               CASE WHEN pre IS NOT NULL
                    THEN (ARRAY['economic_hardship','economic_hardship','housing_emergency',
                                'families_prevention','child_protection','disability',
                                'other'])[1 + floor(random() * 7)::int]
                    ELSE '' END,
               team, assessed, signed,
               CASE WHEN signed IS NULL THEN ''
                    WHEN need = 'work' THEN 'service_pact'
                    WHEN need = 'social' THEN 'social_project'
                    ELSE 'inclusion_project' END,
               started, closed,
               CASE WHEN closed IS NULL THEN ''
                    ELSE (ARRAY['employed','employed','traineeship','training','autonomous',
                                'autonomous','moved_away','dropped_out','dropped_out',
                                'other'])[1 + floor(random() * 10)::int] END,
               '', now(), now(), 1,
               CASE WHEN pre IS NOT NULL THEN
                    z.workers[1 + floor(random() * cardinality(z.workers))::int] END,
               household_id, organisation_id, person_id, contact_id, m.zone_id,
               2, '', '', '', ''
          FROM (
            SELECT m5.*, CASE WHEN started + 60 + floor(r6 * 340)::int <= DATE '2025-12-31'
                               AND r7 < 0.45 THEN started + 60 + floor(r6 * 340)::int END
                          AS closed
              FROM (
                SELECT m4.*, CASE WHEN signed + floor(r5 * 21)::int <= DATE '2025-12-31'
                                   AND r6 < 0.9 THEN signed + floor(r5 * 21)::int END
                              AS started
                  FROM (
                    SELECT m3.*, CASE WHEN assessed + 3 + floor(r4 * 28)::int
                                          <= DATE '2025-12-31' AND r5 < 0.85
                                      THEN assessed + 3 + floor(r4 * 28)::int END AS signed
                      FROM (
                        SELECT m2.*, CASE WHEN coalesce(team, pre) + 5 + floor(r3 * 56)::int
                                              <= DATE '2025-12-31' AND r4 < 0.8
                                          THEN coalesce(team, pre) + 5 + floor(r3 * 56)::int
                                     END AS assessed
                          FROM (
                            SELECT m1.*, CASE WHEN need = 'complex'
                                               AND pre + 5 + floor(r2 * 26)::int
                                                   <= DATE '2025-12-31'
                                              THEN pre + 5 + floor(r2 * 26)::int END AS team
                              FROM (
                                SELECT b.*, CASE WHEN referred_on + 1 + floor(r1 * 40)::int
                                                      <= DATE '2025-12-31' AND r0 < 0.88
                                                 THEN referred_on + 1 + floor(r1 * 40)::int
                                            END AS pre
                                  FROM (SELECT b_case.*,
                                               CASE WHEN random() < 0.35 THEN 'work'
                                                    WHEN random() < 0.6 THEN 'social'
                                                    ELSE 'complex' END AS need,
                                               random() r0, random() r1, random() r2,
                                               random() r3, random() r4, random() r5,
                                               random() r6, random() r7
                                          FROM b_case) b
                              ) m1
                          ) m2
                      ) m3
                  ) m4
              ) m5
          ) m
          JOIN b_zone z ON z.zone_id = m.zone_id;
        """,
    ),
    (
        "meetings, programme, budget actions, expenditure, targets",
        """
        -- Minutes as the meeting's general notes (no case discussed: no items).
        INSERT INTO cases_meeting (kind, held_on, notes, restricted_minutes,
                                   restricted_decisions, version, created_at,
                                   created_by_id, zone_id)
        SELECT kind, DATE '2023-01-09' + (7 * w + floor(random() * 5))::int,
               CASE WHEN random() < 0.85 THEN 'Verbale della riunione.' ELSE '' END, '', '',
               1, now(), z.workers[1], z.zone_id
          FROM b_zone z, generate_series(0, 155) w,
               LATERAL (SELECT CASE WHEN w %% 13 = 0 THEN 'steering'
                                    WHEN w %% 4 = 0 THEN 'coordination'
                                    ELSE 'team' END AS kind) k
         WHERE w %% 2 = 0 OR kind <> 'team';
        INSERT INTO programmes_programme (code, name, fund, start_date, end_date,
                                          description, created_at, lead_organisation_id)
        SELECT 'FAMI-2023', 'FAMI regionale 2023-2026', 'fami', '2023-01-01', '2026-12-31',
               '', now(), id FROM network_organisation WHERE kind = 'region';
        INSERT INTO programmes_participation (role, organisation_id, programme_id)
        SELECT 'partner', z.sds_id, p.id FROM b_zone z, programmes_programme p;
        INSERT INTO programmes_budgetaction (code, title, amount, priority_code,
                                             planned_quarters, position,
                                             responsible_organisation_id, programme_id)
        SELECT 'A' || row_number() OVER (ORDER BY z.zone_id, k), 'Azione ' || k,
               50000 + 10000 * k, '', '[]', k, z.sds_id, p.id
          FROM b_zone z, generate_series(1, 2) k, programmes_programme p;
        INSERT INTO programmes_expenditure (spent_on, amount, description,
                                            document_reference, over_budget_justification,
                                            recorded_at, action_id, recorded_by_id)
        SELECT DATE '2023-01-15' + floor(random() * 1080)::int,
               round((100 + random() * 2000)::numeric, 2), 'Spesa', '', '', now(), a.id,
               (SELECT min(id) FROM accounts_user)
          FROM programmes_budgetaction a, generate_series(1, 50);
        INSERT INTO programmes_target (indicator, target_number, organisation_id,
                                       programme_id)
        SELECT 'cases.taken_in_charge', 500 + 10 * z.zone_id, o, p.id
          FROM b_zone z, programmes_programme p, unnest(ARRAY[z.sds_id, z.cpi_id]) o;
        """,
    ),
]


def generate(seed: float, scale: float = 1.0) -> None:
    from django.db import connection, transaction

    started = time.perf_counter()
    generate_network()
    families, males, females = name_arrays()
    slots = citizenship_slots()
    params = {
        "persons": int(PERSONS * scale),
        "households": int(HOUSEHOLDS * scale),
        "contacts": int(CONTACTS * scale),
        "cases": int(CASES * scale),
        "applications": int(APPLICATIONS * scale),
        "benefit_cases": int(CASES * scale) * 35 // 100,
        "desk_cases": int(CASES * scale) * 40 // 100,
        "families": families,
        "males": males,
        "females": females,
        "citizenships": ", ".join(f"'{c}'" for c in slots),
        "n_citizenships": len(slots),
    }
    print(
        f"Network (zones, Comuni, organisations, desks, operators): "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [seed])
        # The rows are consistent by construction: no foreign-key trigger per row (Django's
        # deferred checks would otherwise take minutes at COMMIT). Needs a superuser.
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cur.execute("SET LOCAL work_mem = '64MB'")
        for label, sql in GENERATION:
            step = time.perf_counter()
            # The citizenship list is SQL text (ARRAY[...]): substitute it before the rest.
            text = sql.replace("%(citizenships)s", params["citizenships"])
            cur.execute(text, {k: v for k, v in params.items() if k != "citizenships"})
            print(f"  {label}: {time.perf_counter() - step:.0f} s", flush=True)
    with connection.cursor() as cur:
        step = time.perf_counter()
        cur.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE: {time.perf_counter() - step:.0f} s")
    print(f"Generated in {time.perf_counter() - started:.0f} s.", flush=True)


def describe() -> None:
    from django.db import connection

    tables = [
        ("network_zone", "zones"),
        ("network_comune", "Comuni"),
        ("network_organisation", "organisations"),
        ("network_desk", "desks"),
        ("accounts_user", "operators"),
        ("people_person", "persons"),
        ("people_household", "households"),
        ("desk_contact", "contacts"),
        ("desk_contact_services", "services given"),
        ("desk_languageneed", "language needs"),
        ("cases_case", "cases"),
        ("benefits_benefitapplication", "applications"),
        ("cases_meeting", "meetings"),
    ]
    with connection.cursor() as cur:
        counts = []
        for table, label in tables:
            cur.execute(f"SELECT count(*) FROM {table}")
            counts.append(f"{cur.fetchone()[0]:,} {label}")
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0]
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cur.fetchone()[0]
    print(f"{version}; {size}: " + ", ".join(counts) + ".")
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (the machine is shared: compare runs).")


# --- measuring -----------------------------------------------------------------------------


def scopes():
    """(label, Scope, page parameters, target) of the two figures of the issue."""
    from crocevia.network.models import Organisation
    from crocevia.reporting.indicators import Scope

    sds = Organisation.objects.get(code=f"SDS-{ZONES[0][0]}")
    return [
        ("region", Scope(), {}, TARGETS_MS["region"]),
        (
            f"organisation {sds.code}",
            Scope(organisation=sds),
            {"organisation": sds.code},
            TARGETS_MS["organisation"],
        ),
    ]


def period():
    import datetime

    return datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31)


def fresh_connection() -> None:
    """Cold: a new server process for the next query, its session state discarded (no
    cached plans, catalogue caches empty). The data pages stay in PostgreSQL's shared
    buffers and the OS page cache: emptying those needs a server restart and root on a
    shared machine, which this benchmark does not do."""
    from django.db import connection

    connection.close()
    with connection.cursor() as cur:
        cur.execute("DISCARD ALL")


def time_report(scope) -> float:
    from crocevia.reporting.indicators import build_report

    start, end = period()
    began = time.perf_counter()
    build_report(start, end, scope)
    return (time.perf_counter() - began) * 1000


def verdict(ms: float, target: float) -> str:
    return f"<= {target:.0f} ms  {'OK' if ms <= target else 'MISSED'}"


def measure_reports(runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crocevia.reporting.indicators import build_report

    results = {}
    print(f"\nFull-year report {YEAR} (build_report), ms:")
    print(f"{'scope':<28} {'cold':>8} {'warm':>8} {'queries':>8}   target (both)")
    for label, scope, _params, target in scopes():
        fresh_connection()
        cold = time_report(scope)
        warm = statistics.median(time_report(scope) for _ in range(runs))
        with CaptureQueriesContext(connection) as captured:
            build_report(*period(), scope)
        queries = len(captured.captured_queries)
        worst = max(cold, warm)
        print(f"{label:<28} {cold:8.0f} {warm:8.0f} {queries:8d}   {verdict(worst, target)}")
        results[label] = {"cold": cold, "warm": warm, "queries": queries, "target": target}
    return results


def measure_page(runs: int) -> None:
    from django.conf import settings
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from crocevia.accounts.models import User

    print(
        "\nReport page (django.test.Client, administrator; time to the whole "
        "non-streaming response, an upper bound of the first byte), ms:"
    )
    try:
        url = reverse("reporting:report")
    except NoReverseMatch:
        print("  page not available (no URL named reporting:report yet)")
        return
    # Not a real request from a browser: the test client's host name must be allowed.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(User.objects.get(username="bench.admin"))
    start, end = period()
    for label, _scope, params, target in scopes():
        query = {"from": start.isoformat(), "to": end.isoformat(), **params}

        def get(query=query):
            began = time.perf_counter()
            response = client.get(url, query)
            return (time.perf_counter() - began) * 1000, response.status_code

        fresh_connection()
        cold, status = get()
        warm = statistics.median(get()[0] for _ in range(runs))
        print(
            f"  {label:<26} cold {cold:6.0f}  warm {warm:6.0f}  (HTTP {status})  "
            f"{verdict(max(cold, warm), target)}"
        )


def measure_masking(runs: int) -> None:
    """The layout of the report for a monitoring officer (masked, with the secondary
    suppression of issue 15) against the administrator's, from the same report object."""
    from django.utils import translation

    from crocevia.reporting.indicators import build_report
    from crocevia.reporting.tables import report_sections

    print("\nLayout of the report (report_sections), plain and masked, ms (median):")
    for label, scope, _params, _target in scopes():
        report = build_report(*period(), scope)
        timings = {}
        with translation.override("it"):
            for mask in (False, True):
                samples = []
                for _ in range(runs):
                    began = time.perf_counter()
                    report_sections(report, mask=mask)
                    samples.append((time.perf_counter() - began) * 1000)
                timings[mask] = statistics.median(samples)
        print(f"  {label:<26} plain {timings[False]:7.1f}  masked {timings[True]:7.1f}")


# Every aggregation of the report as one would write it by hand, for psql: the same
# figures our layer computes, so that the ratio compares the same work. :'from' and :'to'
# are the period; the :scope_* variables are conditions on the table aliased in each
# statement (true for the region). The delay statements only fetch the date pairs (the
# working days are counted in Python by both), the household statements compute the
# profile in SQL.
HAND_SQL = r"""
\set ON_ERROR_STOP on
\timing on
\o /dev/null
-- desk: outcomes (their sum is the number of contacts)
SELECT c.outcome, count(*) FROM desk_contact c JOIN network_desk d ON d.id = c.desk_id
 WHERE c.date BETWEEN :'from' AND :'to' AND :scope_desk
 GROUP BY c.outcome;
-- desk: persons by sex and citizenship (their sum is the number of persons; the groups and
-- the top ten follow from it)
SELECT p.sex, p.citizenship, count(*)
  FROM people_person p
 WHERE p.id IN (SELECT c.person_id FROM desk_contact c JOIN network_desk d ON d.id = c.desk_id
                 WHERE c.date BETWEEN :'from' AND :'to' AND :scope_desk)
 GROUP BY p.sex, p.citizenship;
-- desk: services
SELECT cs.deskservice_id, count(*) FROM desk_contact_services cs
  JOIN network_desk d ON d.id = cs.desk_id
 WHERE cs.date BETWEEN :'from' AND :'to' AND :scope_desk
 GROUP BY cs.deskservice_id;
-- cases: opened, taken in charge, need classes, plans by kind, closed by outcome
SELECT count(*) FILTER (WHERE referred_on BETWEEN :'from' AND :'to'),
       count(DISTINCT person_id) FILTER (WHERE preassessed_on BETWEEN :'from' AND :'to'),
       count(*) FILTER (WHERE preassessed_on BETWEEN :'from' AND :'to' AND need_class = 'work'),
       count(*) FILTER (WHERE preassessed_on BETWEEN :'from' AND :'to'
                          AND need_class = 'social'),
       count(*) FILTER (WHERE preassessed_on BETWEEN :'from' AND :'to'
                          AND need_class = 'complex'),
       count(*) FILTER (WHERE plan_signed_on BETWEEN :'from' AND :'to'
                          AND plan_kind = 'service_pact'),
       count(*) FILTER (WHERE plan_signed_on BETWEEN :'from' AND :'to'
                          AND plan_kind = 'social_project'),
       count(*) FILTER (WHERE plan_signed_on BETWEEN :'from' AND :'to'
                          AND plan_kind = 'inclusion_project'),
       count(*) FILTER (WHERE closed_on BETWEEN :'from' AND :'to' AND outcome = 'autonomous'),
       count(*) FILTER (WHERE closed_on BETWEEN :'from' AND :'to' AND outcome = 'employed'),
       count(*) FILTER (WHERE closed_on BETWEEN :'from' AND :'to' AND outcome = 'training'),
       count(*) FILTER (WHERE closed_on BETWEEN :'from' AND :'to'
                          AND outcome = 'traineeship'),
       count(*) FILTER (WHERE closed_on BETWEEN :'from' AND :'to' AND outcome = 'moved_away'),
       count(*) FILTER (WHERE closed_on BETWEEN :'from' AND :'to'
                          AND outcome = 'dropped_out'),
       count(*) FILTER (WHERE closed_on BETWEEN :'from' AND :'to' AND outcome = 'other')
  FROM cases_case k WHERE :scope_case;
-- cases: persons taken in charge by citizenship group
SELECT CASE WHEN p.citizenship = 'IT' THEN 'IT'
            WHEN p.citizenship IN ('AT','BE','BG','CY','CZ','DE','DK','EE','ES','FI','FR',
                 'GR','HR','HU','IE','LT','LU','LV','MT','NL','PL','PT','RO','SE','SI',
                 'SK') THEN 'EU'
            WHEN p.citizenship = '' THEN 'unknown' ELSE 'non_EU' END AS grp, count(*)
  FROM people_person p
 WHERE p.id IN (SELECT k.person_id FROM cases_case k
                 WHERE k.preassessed_on BETWEEN :'from' AND :'to' AND :scope_case)
 GROUP BY grp;
-- cases: targets and what was achieved
SELECT t.organisation_id, o.code, sum(t.target_number),
       (SELECT count(DISTINCT k.person_id) FROM cases_case k
         WHERE k.organisation_id = t.organisation_id
           AND k.preassessed_on BETWEEN :'from' AND :'to')
  FROM programmes_target t
  JOIN network_organisation o ON o.id = t.organisation_id
  JOIN programmes_programme g ON g.id = t.programme_id
 WHERE t.indicator = 'cases.taken_in_charge' AND g.start_date <= :'to'
   AND g.end_date >= :'from' AND :scope_target
 GROUP BY t.organisation_id, o.code ORDER BY o.code;
-- benefit: applications by comune and status
SELECT m.name, a.status, count(*) FROM benefits_benefitapplication a
  JOIN network_comune m ON m.id = a.comune_id
 WHERE a.submitted_on <= :'to' AND :scope_comune
 GROUP BY m.name, a.status;
-- benefit: accepted households by size, single parent, children 0-3
SELECT least(greatest(h.n, 1), 6), count(*),
       count(*) FILTER (WHERE h.adults = 1 AND h.n > 1), count(*) FILTER (WHERE h.toddlers > 0)
  FROM (SELECT a.household_id, count(p.id) AS n,
               count(*) FILTER (WHERE p.birth_date <= DATE :'to' - interval '18 years') AS adults,
               count(*) FILTER (WHERE p.birth_date > DATE :'to' - interval '4 years') AS toddlers
          FROM (SELECT DISTINCT a.household_id FROM benefits_benefitapplication a
                 WHERE a.status = 'accepted' AND a.outcome_on BETWEEN :'from' AND :'to'
                   AND :scope_comune) a
          LEFT JOIN people_person p ON p.household_id = a.household_id
         GROUP BY a.household_id) h
 GROUP BY 1;
-- benefit: accepted households pre-assessed, with a project, with a pact
SELECT count(DISTINCT x.h) FILTER (WHERE x.preassessed_on <= :'to'),
       count(DISTINCT x.h) FILTER (WHERE x.plan_signed_on <= :'to'
                                     AND x.plan_kind IN ('social_project','inclusion_project')),
       count(DISTINCT x.h) FILTER (WHERE x.plan_signed_on <= :'to'
                                     AND x.plan_kind = 'service_pact')
  FROM (SELECT coalesce(k.household_id, p.household_id) AS h, k.preassessed_on,
               k.plan_signed_on, k.plan_kind
          FROM cases_case k LEFT JOIN people_person p ON p.id = k.person_id
         WHERE :scope_case) x
 WHERE x.h IN (SELECT a.household_id FROM benefits_benefitapplication a
                WHERE a.status = 'accepted' AND a.outcome_on BETWEEN :'from' AND :'to'
                  AND :scope_comune);
-- the delay date pairs
SELECT k.preassessed_on, k.assessed_on, o.comune_id FROM cases_case k
  JOIN network_organisation o ON o.id = k.organisation_id
 WHERE k.assessed_on BETWEEN :'from' AND :'to' AND k.preassessed_on IS NOT NULL
   AND :scope_case;
SELECT k.plan_signed_on, k.plan_started_on, o.comune_id FROM cases_case k
  JOIN network_organisation o ON o.id = k.organisation_id
 WHERE k.plan_started_on BETWEEN :'from' AND :'to' AND k.plan_signed_on IS NOT NULL
   AND :scope_case;
SELECT k.benefit_outcome_on, k.preassessed_on, o.comune_id FROM cases_case k
  JOIN network_organisation o ON o.id = k.organisation_id
 WHERE k.preassessed_on BETWEEN :'from' AND :'to' AND k.benefit_outcome_on IS NOT NULL
   AND :scope_case;
-- network: population, social workers, access points, meetings with minutes
SELECT sum(m.population) FROM network_comune m WHERE :scope_zone_m;
SELECT count(DISTINCT s.user_id) FROM accounts_membership s
  JOIN accounts_user u ON u.id = s.user_id
  JOIN network_organisation o ON o.id = s.organisation_id
 WHERE s.active AND s.profile = 'social_worker' AND u.is_active AND :scope_zone_o;
SELECT count(*) FROM network_desk d JOIN network_organisation o ON o.id = d.organisation_id
 WHERE d.active AND d.level = 1 AND :scope_zone_o;
SELECT e.kind, count(*) FROM cases_meeting e
 WHERE e.held_on BETWEEN :'from' AND :'to' AND trim(e.notes) <> '' AND :scope_zone_e
 GROUP BY e.kind;
-- budget: actions with their expenditure to date
SELECT g.code, b.code, b.amount,
       coalesce((SELECT sum(x.amount) FROM programmes_expenditure x
                  WHERE x.action_id = b.id AND x.spent_on <= :'to'), 0)
  FROM programmes_budgetaction b JOIN programmes_programme g ON g.id = b.programme_id
 WHERE g.start_date <= :'to' AND g.end_date >= :'from' AND :scope_budget
 ORDER BY g.code, b.position, b.code;
-- language: persons with a job-specific Italian need by sector
SELECT n.work_sector, count(DISTINCT n.person_id) FROM desk_languageneed n
 WHERE n.needs_job_italian AND n.recorded_on BETWEEN :'from' AND :'to' AND :scope_need
 GROUP BY n.work_sector;
"""
HAND_LABELS = [
    "desk outcomes",
    "persons by sex and citizenship",
    "services",
    "cases: counts in one scan",
    "cases: persons by citizenship group",
    "targets and achieved",
    "applications by comune and status",
    "accepted households: profile",
    "accepted households: cases linked",
    "delay pairs: preassessment → assessment",
    "delay pairs: plan signed → started",
    "delay pairs: INPS outcome → preassessment",
    "network: population",
    "network: social workers",
    "network: access points",
    "network: meetings with minutes",
    "budget actions and expenditure",
    "language needs by sector",
]


def hand_written(url: str, scope_label: str, scope, runs: int) -> list[float]:
    """Per-statement milliseconds (median of `runs` psql runs after one to warm up)."""
    start, end = period()
    names = ("desk", "case", "comune", "target", "zone_m", "zone_o", "zone_e", "budget", "need")
    conditions = {f"scope_{name}": "true" for name in names}
    if scope.organisation is not None:
        org = scope.organisation
        conditions.update(
            {
                "scope_desk": f"d.organisation_id = {org.pk}",
                "scope_case": f"k.organisation_id = {org.pk}",
                "scope_comune": f"a.comune_id = {org.comune_id}",
                "scope_target": f"t.organisation_id = {org.pk}",
                "scope_zone_m": f"m.zone_id = {org.zone_id}",
                "scope_zone_o": f"o.zone_id = {org.zone_id}",
                "scope_zone_e": f"e.zone_id = {org.zone_id}",
                "scope_budget": f"b.responsible_organisation_id = {org.pk}",
                "scope_need": "n.contact_id IN (SELECT c.id FROM desk_contact c"
                f" JOIN network_desk d ON d.id = c.desk_id WHERE d.organisation_id = {org.pk})",
            }
        )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(HAND_SQL)
    command = ["psql", "-X", "-q", "-d", url, "-v", f"from={start}", "-v", f"to={end}"]
    for name, condition in conditions.items():
        command += ["-v", f"{name}={condition}"]
    command += ["-f", script.name]
    samples = []
    try:
        for _ in range(runs + 1):
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            times = [float(t) for t in re.findall(r"Time: ([\d.]+) ms", out)]
            if len(times) != len(HAND_LABELS):
                sys.exit(f"psql printed {len(times)} timings, expected {len(HAND_LABELS)}")
            samples.append(times)
    finally:
        os.unlink(script.name)
    samples = samples[1:]
    return [statistics.median(s[i] for s in samples) for i in range(len(HAND_LABELS))]


def measure_hand_written(url: str, runs: int, ours: dict) -> None:
    print(f"\nThe same aggregations written by hand, psql \\timing (median of {runs} runs), ms:")
    for label, scope, _params, _target in scopes():
        times = hand_written(url, label, scope, runs)
        total = sum(times)
        print(f"  {label}:")
        for name, ms in zip(HAND_LABELS, times, strict=True):
            print(f"    {name:<44} {ms:8.1f}")
        warm = ours[label]["warm"]
        ratio = warm / total if total else float("inf")
        print(
            f"    {'sum':<44} {total:8.1f}   ours (warm, whole report) {warm:.0f} ms: "
            f"ratio {ratio:.2f}  <= {TARGET_RATIO}  {'OK' if ratio <= TARGET_RATIO else 'MISSED'}"
        )


def profile(explain: bool) -> None:
    """Each query of a warm report by time; Python time = total - SQL time."""
    from django.db import connection, reset_queries
    from django.test.utils import override_settings

    from crocevia.reporting.indicators import build_report

    for label, scope, _params, _target in scopes():
        build_report(*period(), scope)
        with override_settings(DEBUG=True):
            reset_queries()
            began = time.perf_counter()
            build_report(*period(), scope)
            total = (time.perf_counter() - began) * 1000
            queries = list(connection.queries)
        sql_ms = sum(float(q["time"]) * 1000 for q in queries)
        print(
            f"\nProfile {label}: {total:.0f} ms, of which SQL {sql_ms:.0f} ms in "
            f"{len(queries)} queries, Python {total - sql_ms:.0f} ms. Slowest queries:"
        )
        slowest = sorted(queries, key=lambda q: -float(q["time"]))[:8]
        for q in slowest:
            print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:220]}")
        if explain:
            for q in slowest[:3]:
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                    plan = "\n".join(r[0] for r in cur.fetchall())
                print(f"\n{q['sql']}\n{plan}")


def main(argv=None) -> None:
    args = parse_args(argv)
    if not (args.reuse and database_exists(args.url)):
        recreate_database(args.url)
    setup_django(args.url, migrate=not args.skip_migrate)
    if not loaded(args.scale):
        from crocevia.network.models import Zone

        if Zone.objects.exists():  # a partial load: start again
            if args.skip_migrate:
                sys.exit("The data is incomplete: run without --skip-migrate to start again.")
            print("The data is incomplete: generating it again.")
            from django.db import connection

            connection.close()
            recreate_database(args.url)
            setup_django(args.url, migrate=True)
        generate(args.seed, args.scale)
    describe()
    ours = measure_reports(args.runs)
    measure_page(args.runs)
    measure_masking(args.runs)
    measure_hand_written(args.url, args.runs, ours)
    if args.profile or args.explain:
        profile(args.explain)


if __name__ == "__main__":
    main()
