"""The duplicates queue at the size of a region (issue 16 review): the scan, the counts.

Runs on the database bench/search.py fills (`crocevia_bench`, a million persons with
random names from the demo's mix). Every write happens inside a transaction that is
rolled back, so the database is left as it was:

1. the whole scan (`crocevia duplicates scan`): seconds, queries, pairs found;
2. a crowd born on one day (01/01/1990, the conventional date of many permits): N
   persons added, named with two or three of 24 common words (Mohamed, Ali, Hassan...;
   `--names demo`: the demo's mix of citizenships), then the scan of that day, for each
   N of `--crowd` (default 3,000 and 6,000);
3. 50,000 open pairs (`--pairs`), then the home page's count for a zone coordinator
   (who sees every person of the bench) and for an administrator, and the
   first, second and hundredth page of the queue (its paginator's count included).

```sh
.venv/bin/python bench/search.py --reuse     # once: the million persons
.venv/bin/python bench/duplicates.py
.venv/bin/python bench/duplicates.py --skip-full-scan --crowd 6000
```
"""

import argparse
import datetime
import io
import os
import random
import statistics
import time

import search as search_bench  # bench/search.py: the persons' generator and operator

DAY = datetime.date(1990, 1, 1)

# Common names of the Horn of Africa and the Arab world (spelt as on permits, with their
# usual variants): the crowd of one day when many share a conventional birth date.
CLUSTER_WORDS = [
    *("Mohamed", "Mohammed", "Muhammad", "Ali", "Hassan", "Hasan", "Ibrahim", "Ahmed"),
    *("Ahmad", "Abdi", "Omar", "Umar", "Yusuf", "Youssef", "Osman", "Musa", "Abdullahi"),
    *("Hussein", "Husein", "Abdirahman", "Abdulkadir", "Farah", "Warsame", "Said"),
]


class Rollback(Exception):
    pass


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crocevia_bench"),
    )
    parser.add_argument("--crowd", type=int, nargs="*", default=[3000, 6000])
    parser.add_argument(
        "--names",
        choices=["clustered", "demo"],
        default="clustered",
        help="the crowd's names: a few common words (Mohamed, Ali, Hassan...), or the "
        "demo's mix of citizenships",
    )
    parser.add_argument("--pairs", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5, help="timings of each count")
    parser.add_argument("--skip-full-scan", action="store_true")
    parser.add_argument("--seed", type=int, default=16)
    return parser.parse_args(argv)


class Counter:
    """Counts the queries run through Django's connection (an execute wrapper)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(call):
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - start
    return result, elapsed, counter.count


def rolled_back(work):
    """Run `work()` in a transaction that is rolled back; return what it returned."""
    from django.db import transaction

    box = {}
    try:
        with transaction.atomic():
            box["result"] = work()
            raise Rollback
    except Rollback:
        pass
    return box["result"]


def full_scan() -> None:
    from crocevia.people.models import DuplicatePair
    from crocevia.people.pairs import scan_duplicates

    def work():
        before = DuplicatePair.objects.count()
        found, seconds, queries = timed(scan_duplicates)
        return before, found, seconds, queries

    before, found, seconds, queries = rolled_back(work)
    print(
        f"full scan: {seconds:.1f} s, {queries:,} queries, {found:,} new pairs "
        f"({before:,} pairs known before)"
    )


def clustered_names(count: int, rng: random.Random):
    """(family, given, sex, born, country, code) of `count` persons named with two or
    three of CLUSTER_WORDS (as PersonRows.generate yields them)."""
    for _ in range(count):
        words = rng.sample(CLUSTER_WORDS, rng.choice((2, 2, 3)))
        yield words[0], " ".join(words[1:]), "M", DAY, "SO", ""


def add_crowd(count: int, organisation_id: int, rng: random.Random, names: str) -> None:
    """`count` persons born on DAY (COPY, as bench/search.py)."""
    from django.db import connection

    from crocevia.people.models import Person

    rows = search_bench.PersonRows(rng, organisation_id)
    out = io.StringIO()
    people = clustered_names(count, rng) if names == "clustered" else rows.generate(count)
    for family, given, sex, _born, country, _code in people:
        values = {
            "family_name": family,
            "given_names": given,
            "sex": sex,
            "birth_date": DAY.isoformat(),
            "birth_country": country,
            "citizenship": country,
            "codice_fiscale": "",  # none: a code of the million could be the same
            "search_name": rows.fold(f"{family} {given}"),
            "created_by_organisation_id": str(organisation_id),
        }
        out.write("\t".join(values.get(c) or rows.constants.get(c, "") for c in rows.columns))
        out.write("\n")
    table = Person._meta.db_table
    copy_sql = f"COPY {table} ({', '.join(rows.columns)}) FROM STDIN"
    with connection.cursor() as cur, cur.cursor.copy(copy_sql) as copy:
        copy.write(out.getvalue())


def crowd_scan(count: int, organisation_id: int, rng: random.Random, names: str) -> None:
    from crocevia.people.models import Person
    from crocevia.people.pairs import scan_duplicates

    def work():
        add_crowd(count, organisation_id, rng, names)
        born = Person.objects.filter(birth_date=DAY).count()
        found, seconds, queries = timed(lambda: scan_duplicates(birth_dates=[DAY]))
        return born, found, seconds, queries

    born, found, seconds, queries = rolled_back(work)
    print(
        f"{count:,} added ({names} names) on {DAY:%d/%m/%Y} ({born:,} born that day): "
        f"scan of the day {seconds:.2f} s, {queries:,} queries, {found:,} new pairs"
    )


def add_pairs(count: int) -> None:
    """`count` open pairs of persons of the bench (their ids, consecutive, two by two)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO people_duplicatepair (person_a_id, person_b_id, reason, status, found_at)"
            " SELECT id, next_id, 'similar_name', 'open', now() FROM ("
            "  SELECT id, lead(id) OVER (ORDER BY id) AS next_id, row_number() OVER"
            "  (ORDER BY id) AS n FROM people_person WHERE merged_into_id IS NULL) AS p"
            " WHERE next_id IS NOT NULL AND n %% 2 = 1 ORDER BY id LIMIT %s"
            " ON CONFLICT DO NOTHING",
            [count],
        )
        # The statistics as autovacuum would keep them (in this transaction only: a column
        # added by a migration after the load has none, and the planner then guesses).
        cur.execute("ANALYZE people_duplicatepair")
        cur.execute("ANALYZE people_person")


def coordinator(org):
    from crocevia.accounts.models import Membership, Profile, User

    user = User.objects.create(username="bench.coordinatore")
    Membership.objects.create(user=user, organisation=org, profile=Profile.COORDINATOR)
    return user


def queue_counts(count: int, org, repeat: int) -> None:
    from crocevia.accounts.models import User
    from crocevia.people import access
    from crocevia.people.models import DuplicatePair

    def work():
        add_pairs(count)
        total = DuplicatePair.objects.filter(status="open").count()
        admin = User.objects.create(username="bench.admin", is_superuser=True, is_staff=True)
        lines = []
        for label, user in (("coordinator", coordinator(org)), ("administrator", admin)):
            calls = {
                "home page count": lambda user=user: access.open_duplicates_count_for(user),
                "queue page 1": lambda user=user: _page(access, user, 1),
                "queue page 2": lambda user=user: _page(access, user, 2),
                "queue page 100": lambda user=user: _page(access, user, 100),
            }
            for name, call in calls.items():
                call()  # warm: the memberships, the plan cache
                times, shown = [], None
                for _ in range(repeat):
                    shown, seconds, queries = timed(call)
                    times.append(seconds * 1000)
                lines.append(
                    f"  {label}, {name}: median {statistics.median(times):.1f} ms, "
                    f"max {max(times):.1f} ms, {queries} queries, shows {shown}"
                )
        return total, lines

    total, lines = rolled_back(work)
    print(f"{total:,} open pairs:")
    print("\n".join(lines))


def _page(access, user, number):
    page = access.duplicate_pairs_page_for(user, page_number=number)
    return f"{len(page.object_list)} rows, count {page.paginator.count}"


def main(argv=None) -> None:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    search_bench.setup_django(args.url)  # migrated, PostgreSQL only
    from django.db import connection

    from crocevia.people.models import Person

    _user, org = search_bench.ensure_operator()
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0]
    print(f"{version}; {Person.objects.count():,} persons.")
    if not args.skip_full_scan:
        full_scan()
    for count in args.crowd:
        crowd_scan(count, org.pk, rng, args.names)
    if args.pairs:
        queue_counts(args.pairs, org, args.repeat)


if __name__ == "__main__":
    main()
