#!/usr/bin/env python
"""Prototype of a faster `search_persons`, measured with the queries of search.py.

Not used by the application: evidence for a change in crocevia.people (see README.md).
Tier 1 reads the persons whose folded name starts with the query in index order
(needs `search_name` in the "C" collation on PostgreSQL, so its b-tree serves both
LIKE 'prefix%' and ORDER BY); tier 2, only when tier 1 gives fewer than `limit`, takes
every-word-contained matches through the trigram index, bounded to CAP candidates.

    psql ... -c 'ALTER TABLE people_person ALTER COLUMN search_name TYPE varchar(250) COLLATE "C"'
    PGOPTIONS="-c jit=off" .venv/bin/python bench/search_two_tier.py
"""

import datetime
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))
import search as bench  # noqa: E402

CAP = 1000


def search_persons_two_tier(user, query, *, limit=50):
    from django.db.models import Value
    from django.db.models.functions import StrIndex

    from crocevia.core.text import fold
    from crocevia.people.selectors import parse_person_query, persons_visible_to

    parsed = parse_person_query(query)
    if parsed.is_empty or parsed.invalid_date:
        return []
    rows = persons_visible_to(user)
    if parsed.codice_fiscale:
        rows = rows.filter(codice_fiscale=parsed.codice_fiscale)
    if parsed.birth_date:
        rows = rows.filter(birth_date=parsed.birth_date)
    if parsed.birth_year:
        rows = rows.filter(
            birth_date__gte=datetime.date(parsed.birth_year, 1, 1),
            birth_date__lt=datetime.date(parsed.birth_year + 1, 1, 1),
        )
    folded = fold(parsed.name_text)
    order = ("family_name", "given_names", "birth_date", "pk")
    if not folded:
        return list(rows.select_related("comune").order_by(*order)[:limit])
    # Tier 1: "family given" starts with the query; in C order this is the old rank 0-2.
    ids = list(
        rows.filter(search_name__startswith=folded)
        .order_by("search_name", "birth_date", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    words = folded.split()
    long_words = [w for w in words if len(w) >= 3]
    narrowed = parsed.codice_fiscale or parsed.birth_date or parsed.birth_year
    if len(ids) < limit and (long_words or narrowed):
        more = rows.exclude(search_name__startswith=folded)
        for word in long_words:
            more = more.filter(search_name__contains=word)  # the trigram index
        for n, word in enumerate(w for w in words if len(w) < 3):
            # Too short for trigrams: checked on the rows the other criteria found.
            more = more.annotate(**{f"_pos{n}": StrIndex("search_name", Value(word))})
            more = more.filter(**{f"_pos{n}__gt": 0})
        candidates = list(more.values_list("pk", "search_name", "birth_date")[:CAP])
        candidates.sort(key=lambda r: (r[1], r[2], r[0]))
        ids += [r[0] for r in candidates[: limit - len(ids)]]
    by_pk = rows.model.objects.select_related("comune").in_bulk(ids)
    return [by_pk[pk] for pk in ids]


def main():
    bench.setup_django(os.environ.get("DATABASE_URL") or bench.DEFAULT_URL)
    user, _org = bench.ensure_operator()
    import crocevia.people.selectors as selectors

    selectors.search_persons = search_persons_two_tier
    bench.run_queries(user, 200, random.Random(2026), explain=False, slowest=5)


if __name__ == "__main__":
    main()
