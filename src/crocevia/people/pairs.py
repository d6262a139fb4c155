"""Finding the pairs of records that may be one person (the duplicates queue's rows).

Writes only DuplicatePair rows; called by the registry's services after a write and by
`crocevia duplicates scan`. No audit: a pair is a suggestion, not a change to a person.
"""

from collections import defaultdict
from itertools import combinations

from django.db.models import Q

from crocevia.core.text import name_keys

from .models import DuplicatePair, Person, PersonAlias

# Birth dates scanned per query: a day holds about 30 persons in a registry of a million.
SCAN_DATES_PER_QUERY = 500


def ordered_pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def record_pairs(pairs) -> int:
    """Add pairs [(pk, pk, reason)]; a pair already known (whatever its state) is kept as
    it is. Returns how many were new."""
    rows = {}
    for a, b, reason in pairs:
        if a != b:
            rows.setdefault(ordered_pair(a, b), reason)
    if not rows:
        return 0
    known = set()
    keys = list(rows)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        condition = Q()
        for a, b in chunk:
            condition |= Q(person_a_id=a, person_b_id=b)
        known.update(DuplicatePair.objects.filter(condition).values_list("person_a", "person_b"))
    new = [
        DuplicatePair(person_a_id=a, person_b_id=b, reason=reason)
        for (a, b), reason in rows.items()
        if (a, b) not in known
    ]
    DuplicatePair.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    return len(new)


def _similar_pairs(people) -> list[tuple[int, int]]:
    """Pairs of similar names among [(pk, family, given)] born on one day."""
    keys = {pk: name_keys(family, given) for pk, family, given in people}
    by_key = defaultdict(list)
    for pk, words in keys.items():
        for word in words:
            by_key[word].append(pk)
    candidates = set()
    for pks in by_key.values():
        if len(pks) > 1:
            candidates.update(ordered_pair(a, b) for a, b in combinations(pks, 2))
    found = []
    for a, b in candidates:
        ka, kb = keys[a], keys[b]
        if ka and kb and len(ka & kb) >= min(2, len(ka), len(kb)):
            found.append((a, b))
    return found


def scan_duplicates(*, birth_dates=None) -> int:
    """Record the likely pairs among live persons born on `birth_dates` (None: every
    person); returns how many pairs are new. One query per SCAN_DATES_PER_QUERY days."""
    live = Person.objects.filter(merged_into__isnull=True)
    if birth_dates is None:
        dates = list(live.order_by().values_list("birth_date", flat=True).distinct())
    else:
        dates = sorted(set(birth_dates))
    found = 0
    for start in range(0, len(dates), SCAN_DATES_PER_QUERY):
        by_day = defaultdict(list)
        rows = live.filter(birth_date__in=dates[start : start + SCAN_DATES_PER_QUERY])
        for pk, day, family, given in rows.values_list(
            "pk", "birth_date", "family_name", "given_names"
        ):
            by_day[day].append((pk, family, given))
        pairs = []
        for people in by_day.values():
            if len(people) > 1:
                pairs.extend(
                    (a, b, DuplicatePair.Reason.SIMILAR_NAME) for a, b in _similar_pairs(people)
                )
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
