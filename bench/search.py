#!/usr/bin/env python
"""Person search and the duplicate check on PostgreSQL with 1,000,000 persons.

Not a test: it prints figures (median, 95th percentile and maximum over 200 queries of
each kind) beside the targets of issue 2: search p95 <= 50 ms, duplicate check p95
<= 100 ms. Issue 16 added the kinds of query a code identifying one person brings: the
first 6 to 11 characters of a code, a provisional 11-digit code, and a merged record's
old identifiers (its register id, its code), for which the load adds provisional codes
to 2% of the persons and 5,000 records merged into others. A search is timed as the
search page runs it: with the access events of the persons found (issue 15), written
and sealed; --no-record times the selector alone.
See bench/README.md.

    .venv/bin/python bench/search.py [--persons 1000000] [--reuse] [--explain] [--no-record]

The database named by --url (default: DATABASE_URL, else
postgres://postgres@127.0.0.1:5432/crocevia_bench) is created and migrated if needed.
Persons are written with COPY, not through the services (a million audited creations
would take hours); their secondary indexes are dropped during the load and rebuilt after,
as a bulk import would do. All of them are registered by the organisation of the desk
operator who searches, so every match is visible to that operator: the worst case for
ranking.
"""

import argparse
import datetime
import io
import json
import os
import random
import statistics
import sys
import time
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crocevia_bench"
TARGETS_MS = {"search": 50.0, "duplicates": 100.0}
BATCH = 50_000
CF_MONTHS = "ABCDEHLMPRST"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="per kind (default 200)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the persons already in the database (top up to --persons if fewer)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of a name-fragment search"
    )
    parser.add_argument("--slowest", type=int, default=0, help="list the N slowest queries")
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="time the selector alone, without the access events the search page writes",
    )
    parser.add_argument(
        "--agreement",
        action="store_true",
        help="make the operator's organisation party to an agreement in force whose clause "
        "shares another organisation's registry with it (issue 19): its searches then carry "
        "the agreement's condition (without it: none, and no query for it)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def ensure_database(url: str) -> None:
    """Create the database if it does not exist (connecting to the `postgres` database)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}.")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crocevia.settings")
    os.environ.setdefault("CROCEVIA_INSECURE_DEV_KEY", "1")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(f"This benchmark runs on PostgreSQL; {url} is {connection.vendor}.")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ensure_agreement(org, *, in_force: bool) -> None:
    """An agreement between the operator's organisation and a Comune, the operator's clause
    covering the Comune's registry: in force (--agreement), or ended yesterday (so the
    operator is party to none in force, as without the option)."""
    import datetime

    from django.utils import timezone

    from crocevia.network.models import Agreement, AgreementParty, CasePart, Organisation

    comune, _ = Organisation.objects.get_or_create(
        code="BENCH-COMUNE",
        defaults={"name": "Comune (benchmark)", "kind": "comune", "zone": org.zone},
    )
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    agreement, _ = Agreement.objects.update_or_create(
        title="Protocollo (benchmark)",
        defaults={
            "kind": Agreement.Kind.PROTOCOL,
            "signed_on": datetime.date(2025, 1, 1),
            "valid_from": datetime.date(2025, 1, 1),
            "valid_until": None if in_force else yesterday,
        },
    )
    AgreementParty.objects.get_or_create(
        agreement=agreement, organisation=org, defaults={"shared_parts": [CasePart.REGISTRY]}
    )
    AgreementParty.objects.get_or_create(agreement=agreement, organisation=comune)


def ensure_operator():
    """The desk operator who searches, with their organisation and desk."""
    from crocevia.accounts.models import Membership, Profile, User
    from crocevia.network.models import Comune, Desk, Organisation, Zone

    zone, _ = Zone.objects.get_or_create(code="ZPI", defaults={"name": "Zona Pisana"})
    pisa, _ = Comune.objects.get_or_create(
        istat_code="050026",
        defaults={"name": "Pisa", "province": "PI", "population": 90118, "zone": zone},
    )
    org, _ = Organisation.objects.get_or_create(
        code="BENCH-SDS",
        defaults={"name": "SdS (benchmark)", "kind": "sds", "zone": zone, "comune": pisa},
    )
    desk, _ = Desk.objects.get_or_create(
        code="BENCH-DESK",
        defaults={"organisation": org, "name": "Sportello (benchmark)", "comune": pisa},
    )
    user, _ = User.objects.get_or_create(username="bench.sportello")
    membership, new = Membership.objects.get_or_create(
        user=user, organisation=org, profile=Profile.DESK_OPERATOR
    )
    if new:
        membership.desks.set([desk])
    return user, org


# --- generation ----------------------------------------------------------------------------


class PersonRows:
    """Rows of people_person as COPY text, realistic and fast (a few µs per row)."""

    def __init__(self, rng: random.Random, organisation_id: int):
        from codicefiscale import codicefiscale as cf
        from stdnum.it import codicefiscale as cf_check

        from crocevia.core.text import fold
        from crocevia.demo.names import (
            CF_BIRTHPLACE,
            CITIZENSHIP_WEIGHTS,
            family_names,
            given_names,
        )
        from crocevia.people.models import Person

        self.rng = rng
        self.fold = fold
        self.check_digit = cf_check.calc_check_digit
        self.countries = list(CITIZENSHIP_WEIGHTS)
        self.weights = list(CITIZENSHIP_WEIGHTS.values())
        self.names = {
            (c, s): (family_names(c, s), given_names(c, s)) for c in self.countries for s in "MF"
        }
        self.places = {c: cf.encode_birthplace(n) for c, n in CF_BIRTHPLACE.items()}
        self.places["IT"] = cf.encode_birthplace("Pisa")
        self.place_names = {**CF_BIRTHPLACE, "IT": "Pisa"}
        self.last_codes = {}
        self.first_codes = {}
        # A code identifies one person (a unique index): a repeated one is left out, as
        # a desk would register that person without it.
        self.codes_seen = set()
        self.folded = {}
        self.first_day = datetime.date(1950, 1, 1).toordinal()
        self.last_day = datetime.date(2007, 12, 31).toordinal()

        generated = {
            "family_name",
            "given_names",
            "sex",
            "birth_date",
            "birth_country",
            "citizenship",
            "codice_fiscale",
            "search_name",
            "created_by_organisation",
        }
        self.columns = []
        constants = []
        now = datetime.datetime.now(datetime.UTC).isoformat()
        for f in Person._meta.concrete_fields:
            if f.primary_key:
                continue
            self.columns.append(f.column)
            if f.name in generated:
                continue
            if f.name in ("created_at", "updated_at"):
                value = now
            else:
                value = f.get_default()
                if value is None and f.null:
                    value = "\\N"
                elif isinstance(value, bool):
                    value = "t" if value else "f"
                elif isinstance(value, list | dict):
                    value = json.dumps(value)
            constants.append((f.column, str(value)))
        self.constants = dict(constants)
        self.organisation_id = str(organisation_id)
        from codicefiscale.codicefiscale import encode_firstname, encode_lastname

        self.encode_last, self.encode_first = encode_lastname, encode_firstname

    def codice_fiscale(self, family, given, sex, born: datetime.date, country) -> str:
        last = self.last_codes.get(family) or self.last_codes.setdefault(
            family, self.encode_last(family)
        )
        first = self.first_codes.get(given) or self.first_codes.setdefault(
            given, self.encode_first(given)
        )
        day = born.day + (40 if sex == "F" else 0)
        body = (
            f"{last}{first}{born.year % 100:02d}{CF_MONTHS[born.month - 1]}{day:02d}"
            f"{self.places[country]}"
        )
        return body + self.check_digit(body)

    def generate(self, count: int):
        """Yield (family, given, sex, birth_date, country, cf) tuples."""
        rng = self.rng
        countries = rng.choices(self.countries, weights=self.weights, k=count)
        for country in countries:
            sex = "M" if rng.random() < 0.56 else "F"
            families, givens = self.names[country, sex]
            family, given = rng.choice(families), rng.choice(givens)
            born = datetime.date.fromordinal(rng.randint(self.first_day, self.last_day))
            draw = rng.random()
            if draw < 0.02:
                code = provisional_code(rng)
            elif draw < 0.62:
                code = self.codice_fiscale(family, given, sex, born, country)
            else:
                code = ""
            if code in self.codes_seen:
                code = ""
            elif code:
                self.codes_seen.add(code)
            yield family, given, sex, born, country, code

    def copy_text(self, count: int) -> str:
        out = io.StringIO()
        fold = self.fold
        for family, given, sex, born, country, code in self.generate(count):
            key = (family, given)
            search = self.folded.get(key) or self.folded.setdefault(key, fold(f"{family} {given}"))
            values = {
                "family_name": family,
                "given_names": given,
                "sex": sex,
                "birth_date": born.isoformat(),
                "birth_country": country,
                "citizenship": country,
                "codice_fiscale": code,
                "search_name": search,
                "created_by_organisation_id": self.organisation_id,
            }
            out.write(
                "\t".join(values[c] if c in values else self.constants[c] for c in self.columns)
            )
            out.write("\n")
        return out.getvalue()


def provisional_code(rng: random.Random) -> str:
    """An 11-digit provisional code (a valid partita IVA shape: office 001-100, Luhn)."""
    from stdnum import luhn

    body = "".join(rng.choice("0123456789") for _ in range(7)) + f"{rng.randint(1, 100):03d}"
    return body + luhn.calc_check_digit(body)


MERGED_RECORDS = 5000


def add_merged_records(rng: random.Random) -> None:
    """Records merged into others (tombstones with a register id, their code an alias of
    the survivor), as merges leave them; written directly, like the persons."""
    from django.db import connection, transaction

    from crocevia.people.models import Person, PersonAlias

    if Person.objects.filter(merged_into__isnull=False).exists():
        return
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM people_person")
        low, high = cur.fetchone()
    survivors = rng.sample(range(low, high + 1), MERGED_RECORDS)
    live = Person.objects.filter(pk__in=survivors).only("pk", "family_name", "given_names")
    with transaction.atomic():
        for n, person in enumerate(live):
            Person.objects.create(
                family_name=person.family_name,
                given_names=person.given_names,
                sex="F",
                birth_date=datetime.date(1980, 1, 1),
                search_name="",
                external_id=f"OLD-{n}",
                merged_into=person,
            )
            PersonAlias.objects.create(
                person=person, kind=PersonAlias.Kind.MERGED, value=provisional_code(rng)
            )
    print(f"Added {MERGED_RECORDS:,} merged records.")


def load_persons(target: int, reuse: bool, organisation_id: int, rng: random.Random) -> None:
    from django.db import connection, transaction

    from crocevia.people.models import Person

    table = Person._meta.db_table
    present = Person.objects.count()
    if reuse and present >= target:
        print(f"Reusing the {present:,} persons already there.")
        return
    if not reuse and present:
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {table} RESTART IDENTITY CASCADE")
        present = 0
    missing = target - present
    rows = PersonRows(rng, organisation_id)
    check_sample(rows)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        # Drop the secondary indexes during the load and rebuild them after.
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [table],
        )
        indexes = cur.fetchall()
        for name, _definition in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        columns = ", ".join(rows.columns)
        done = 0
        with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            while done < missing:
                size = min(BATCH, missing - done)
                copy.write(rows.copy_text(size))
                done += size
                if done % 200_000 < BATCH:
                    print(f"  {present + done:,} persons ({time.perf_counter() - started:.0f} s)")
        # Run the deferred foreign-key checks now: an index cannot be built while pending.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        loaded = time.perf_counter()
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cur.execute(definition)
        print(
            f"Loaded {missing:,} persons in {loaded - started:.0f} s; rebuilt "
            f"{len(indexes)} indexes in {time.perf_counter() - loaded:.0f} s."
        )


def check_sample(rows: PersonRows) -> None:
    """The fast codes are the ones python-codicefiscale computes, and valid for stdnum."""
    from codicefiscale import codicefiscale as cf
    from stdnum.it import codicefiscale as cf_check

    sample_rng = random.Random(1)
    checker = PersonRows.__new__(PersonRows)
    checker.__dict__.update(rows.__dict__, rng=sample_rng)
    for family, given, sex, born, country, code in checker.generate(300):
        if len(code) != 16:
            if code:
                cf_check.validate(code)  # a provisional code
            continue
        cf_check.validate(code)
        expected = cf.encode(
            lastname=family,
            firstname=given,
            gender=sex,
            birthdate=born.isoformat(),
            birthplace=rows.place_names[country],
        )
        # The place code may differ for a country renamed since (same person, other era).
        assert code[:11] == expected[:11], (code, expected)


# --- measuring -----------------------------------------------------------------------------


def sample_persons(count: int, rng: random.Random) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM people_person")
        low, high = cur.fetchone()
        ids = rng.sample(range(low, high + 1), min(count * 3, high - low + 1))
        cur.execute(
            "SELECT family_name, given_names, birth_date, codice_fiscale "
            "FROM people_person WHERE id = ANY(%s)",
            [ids],
        )
        rows = cur.fetchall()
    rng.shuffle(rows)
    return rows


VARIANTS = {
    "Mohamed": "Mohammed",
    "Mohammed": "Muhammad",
    "Muhammad": "Mohamed",
    "Ndèye": "Ndeye",
    "Ndeye": "Ndèye",
    "N'Diaye": "Ndiaye",
    "Ndiaye": "N'Diaye",
    "Youssef": "Yusuf",
    "Fatou": "Fatu",
}


def name_queries(rows, rng) -> list[str]:
    """What an operator types: a family name, its first letters, family and given name,
    fragments of both, or a name and a birth year."""
    queries = []
    for i, (family, given, born, _cf) in enumerate(rows):
        kind = i % 5
        if kind == 0:
            queries.append(family)
        elif kind == 1:
            queries.append(family.lower()[: rng.randint(3, 5)])
        elif kind == 2:
            queries.append(f"{family} {given}")
        elif kind == 3:
            queries.append(f"{given[:4]} {family[:4]}")
        else:
            queries.append(f"{family} {born.year}")
    return queries


SLOWEST: list[tuple[float, str, str]] = []


def measure(label, calls, target_ms) -> dict:
    for call in calls[:10]:  # warm the caches
        call()
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
        SLOWEST.append((times[-1], label, getattr(call, "query", "")))
    times.sort()
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    result = {
        "label": label,
        "n": len(times),
        "median": statistics.median(times),
        "p95": p95,
        "max": times[-1],
        "target": target_ms,
    }
    print(
        f"{label:<34} {result['n']:>4}  {result['median']:8.1f}  {p95:8.1f}  "
        f"{result['max']:8.1f}   p95 <= {target_ms:.0f} ms  "
        f"{'OK' if p95 <= target_ms else 'MISSED'}",
        flush=True,
    )
    return result


def run_queries(
    user, queries: int, rng: random.Random, explain: bool, slowest: int, record: bool = True
) -> list[dict]:
    from crocevia.audit.recording import collecting
    from crocevia.people.access import search_persons_for
    from crocevia.people.selectors import search_persons
    from crocevia.people.services import find_duplicates

    rows = sample_persons(queries * 30, rng)
    with_cf = [r for r in rows if len(r[3]) == 16][:queries]
    provisional = [r for r in rows if len(r[3]) == 11][:queries]
    rows = rows[:queries]
    from crocevia.people.models import Person, PersonAlias

    old_ids = list(
        Person.objects.filter(merged_into__isnull=False)
        .order_by("?")
        .values_list("external_id", flat=True)[: queries // 2]
    )
    old_codes = list(
        PersonAlias.objects.filter(kind=PersonAlias.Kind.MERGED)
        .order_by("?")
        .values_list("value", flat=True)[: queries - len(old_ids)]
    )

    def search(query):
        def call():
            # A request reads the operator's memberships afresh: count that query too.
            user.__dict__.pop("_crocevia_memberships", None)
            if not record:
                return search_persons(user, query)
            # What the search page does: the search, then one access event per person
            # found, written in one insert as the request ends (and sealed after it).
            with collecting() as events:
                found = search_persons_for(user, query)
                events.write()
            return found

        call.query = query
        return call

    def duplicates(family, given, born, code):
        return lambda: find_duplicates(
            family_name=family, given_names=given, birth_date=born, codice_fiscale=code
        )

    names = name_queries(rows, rng)
    print()
    print(f"{'query (ms)':<34} {'n':>4}  {'median':>8}  {'p95':>8}  {'max':>8}   target")
    results = [
        measure("search: name fragment", [search(q) for q in names], TARGETS_MS["search"]),
        measure(
            "search: codice fiscale",
            [search(r[3]) for r in with_cf],
            TARGETS_MS["search"],
        ),
        measure(
            "search: code's first 6-11 chars",
            [search(r[3][: 6 + i % 6]) for i, r in enumerate(with_cf)],
            TARGETS_MS["search"],
        ),
        measure(
            "search: provisional code",
            [search(r[3]) for r in provisional],
            TARGETS_MS["search"],
        ),
        measure(
            "search: merged record's id or code",
            [search(q) for q in old_ids + old_codes],
            TARGETS_MS["search"],
        ),
        measure(
            "search: birth date (dd/mm/yyyy)",
            [search(r[2].strftime("%d/%m/%Y")) for r in rows],
            TARGETS_MS["search"],
        ),
        measure(
            "duplicate check on save",
            [
                # Half typed with the code, half without; some given names transliterated.
                duplicates(f, VARIANTS.get(g, g), b, c if i % 2 else "")
                for i, (f, g, b, c) in enumerate(rows)
            ],
            TARGETS_MS["duplicates"],
        ),
    ]
    if slowest:
        print(f"\nThe {slowest} slowest queries:")
        for ms, label, query in sorted(SLOWEST, reverse=True)[:slowest]:
            print(f"  {ms:8.1f} ms  {label}: {query!r}")
    if explain:
        explain_query(user, names)
    return results


def explain_query(user, names) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crocevia.people.selectors import search_persons

    query = next((q for q in names if q.islower()), names[0])
    user.__dict__.pop("_crocevia_memberships", None)
    search_persons(user, query)  # memberships cached now: capture only the search
    with CaptureQueriesContext(connection) as captured:
        search_persons(user, query)
    # The search runs up to three queries (prefix tier, contains tier, fetch): plan each.
    for sql in [q["sql"] for q in captured.captured_queries if "people_person" in q["sql"]]:
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(r[0] for r in cur.fetchall())
        print(f"\nEXPLAIN ANALYZE of the search for {query!r}:\n{sql}\n\n{plan}")


def apps_have_agreements() -> bool:
    """Whether the code measured applies agreements (issue 19): the bench also runs the
    code of before it, to compare."""
    import importlib.util

    return importlib.util.find_spec("crocevia.network.sharing") is not None


def main(argv=None) -> None:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    ensure_database(args.url)
    setup_django(args.url)
    user, org = ensure_operator()
    if apps_have_agreements():
        ensure_agreement(org, in_force=args.agreement)
    elif args.agreement:
        sys.exit("--agreement: this version of Crocevia has no agreements' rule.")
    load_persons(args.persons, args.reuse, org.pk, rng)
    add_merged_records(rng)

    from django.db import connection

    from crocevia.people.models import Person

    with connection.cursor() as cur:
        cur.execute("ANALYZE people_person")
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0]
    total = Person.objects.count()
    print(f"{version}; {total:,} persons, all visible to the desk operator.")
    if args.agreement:
        print("The operator's organisation is party to an agreement sharing a registry.")
    run_queries(user, args.queries, rng, args.explain, args.slowest, record=not args.no_record)


if __name__ == "__main__":
    main()
