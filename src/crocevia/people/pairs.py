"""Finding the pairs of records that may be one person (the duplicates queue's rows).

Writes only DuplicatePair rows; called by the registry's services after a write and by
`crocevia duplicates scan`. No audit: a pair is a suggestion, not a change to a person.
"""

from collections import defaultdict
from itertools import combinations

from django.db import transaction

from crocevia.core.text import name_keys

from .models import DuplicatePair, Person, PersonAlias

# Birth dates scanned per query: a day holds about 30 persons in a registry of a million.
SCAN_DATES_PER_QUERY = 500
# Pairs written at a time (a few inserts each) while a scan goes on.
RECORD_PAIRS_EVERY = 20_000
# Below this many distinct first records the count of record_pairs reads their rows only
# (an index range each: a save's few pairs), above it the whole table.
COUNT_BY_PERSON = 500

# The candidates of a day come from blocks: the persons born that day who share a word
# key (core.text.name_keys), or two. A block larger than its cap suggests no pair: a key
# that hundreds born on the same day share ("Mohamed" on 01/01/1990, the conventional
# date of many permits) is no evidence that two of them are one person, and pairing them
# all would make the scan quadratic and flood the queue with pairs nobody can check.
# Two persons sharing a crowded key are still compared through another key they share
# (a "Mohamed Warsame" with the few other "Warsame"s) or, when every key they share is
# crowded, through the block of two of them (the few "Hassan Mohamed" among hundreds of
# "Hassan"s and of "Mohamed"s); a pair of keys that more than KEY_PAIR_BLOCK_CAP share
# suggests nothing either. A one-word name whose word is crowded is paired with no one.
KEY_BLOCK_CAP = 50
KEY_PAIR_BLOCK_CAP = 10


def ordered_pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _count_known(firsts: set[int]) -> int:
    rows = DuplicatePair.objects.all()
    if len(firsts) <= COUNT_BY_PERSON:
        rows = rows.filter(person_a_id__in=firsts)
    return rows.count()


def record_pairs(pairs) -> int:
    """Add pairs [(pk, pk, reason)]; a pair already known (whatever its state) is kept as
    it is. Returns how many were new.

    No read first: the unique constraint on (person_a, person_b) skips the known pairs
    (ignore_conflicts). The number of new rows is a count before and after the inserts,
    as the database reports no more (Django sets no primary key on the objects when
    conflicts are ignored, on PostgreSQL as on SQLite); pairs another transaction commits
    meanwhile may be counted with them."""
    rows = {}
    for a, b, reason in pairs:
        if a != b:
            rows.setdefault(ordered_pair(a, b), reason)
    if not rows:
        return 0
    firsts = {a for a, _b in rows}
    new = [
        DuplicatePair(person_a_id=a, person_b_id=b, reason=reason)
        for (a, b), reason in rows.items()
    ]
    with transaction.atomic():
        before = _count_known(firsts)
        DuplicatePair.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        return _count_known(firsts) - before


def _similar_pairs(people, keys_of=name_keys) -> set[tuple[int, int]]:
    """Pairs of similar names (core.text.names_similar) among [(pk, family, given)] born
    on one day, except those that only a block over its cap would suggest (KEY_BLOCK_CAP).

    At most KEY_BLOCK_CAP - 1 candidates per person and key, and KEY_PAIR_BLOCK_CAP - 1
    per person and pair of keys: linear in the persons of the day, however many share
    a name."""
    keys = {}
    by_key = defaultdict(list)
    for pk, family, given in people:
        words = keys_of(family, given)
        if words:
            keys[pk] = words
            for word in words:
                by_key[word].append(pk)
    found = set()
    crowded = set()
    for word, pks in by_key.items():
        if len(pks) > KEY_BLOCK_CAP:
            crowded.add(word)
            continue
        for a, b in combinations(pks, 2):
            ka, kb = keys[a], keys[b]
            # One shared word is enough for a one-word name (names_similar's rule).
            if len(ka & kb) >= min(2, len(ka), len(kb)):
                found.add(ordered_pair(a, b))
    # Two names sharing two words, each of them crowded (a pair sharing a word that is
    # not crowded was compared above).
    by_pair = defaultdict(list)
    for pk, words in keys.items():
        for pair in combinations(sorted(words & crowded), 2):
            by_pair[pair].append(pk)
    for pks in by_pair.values():
        if len(pks) <= KEY_PAIR_BLOCK_CAP:
            found.update(ordered_pair(a, b) for a, b in combinations(pks, 2))
    return found


def scan_duplicates(*, birth_dates=None) -> int:
    """Record the likely pairs among live persons born on `birth_dates` (None: every
    person); returns how many pairs are new. One query per SCAN_DATES_PER_QUERY days, and
    the inserts of the pairs found (_similar_pairs: linear in the persons of a day)."""
    live = Person.objects.filter(merged_into__isnull=True)
    if birth_dates is None:
        dates = list(live.order_by().values_list("birth_date", flat=True).distinct())
    else:
        dates = sorted(set(birth_dates))
    found = 0
    pairs = []
    # The word keys of a name, computed once per scan (names repeat across days).
    known_keys = {}

    def keys_of(family, given):
        name = (family, given)
        if name not in known_keys:
            known_keys[name] = frozenset(name_keys(family, given))
        return known_keys[name]

    for start in range(0, len(dates), SCAN_DATES_PER_QUERY):
        by_day = defaultdict(list)
        rows = live.filter(birth_date__in=dates[start : start + SCAN_DATES_PER_QUERY])
        for pk, day, family, given in rows.values_list(
            "pk", "birth_date", "family_name", "given_names"
        ):
            by_day[day].append((pk, family, given))
        for people in by_day.values():
            if len(people) > 1:
                pairs.extend(
                    (a, b, DuplicatePair.Reason.SIMILAR_NAME)
                    for a, b in sorted(_similar_pairs(people, keys_of))
                )
        if len(pairs) >= RECORD_PAIRS_EVERY:
            found += record_pairs(pairs)
            pairs = []
    found += record_pairs(pairs)
    # Codes held back by a record because another had them.
    held = PersonAlias.objects.filter(kind=PersonAlias.Kind.HELD, person__merged_into__isnull=True)
    holders = dict(
        Person.objects.filter(codice_fiscale__in=held.values("value")).values_list(
            "codice_fiscale", "pk"
        )
    )
    found += record_pairs(
        (pk, holders[value], DuplicatePair.Reason.SAME_CODE)
        for pk, value in held.values_list("person_id", "value")
        if value in holders
    )
    return found
