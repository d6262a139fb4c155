"""k-anonymity of pseudonymised exports: no one can be singled out by what an export
tells about them (see README.md, "What a pseudonymised export still reveals").

Pseudonyms hide names and ids, but a person is also recognised by what anyone may know
of them: sex, age, citizenship, where they live, their permit. These quasi-identifiers
of a person-level export (a Kind's `quasi_identifiers`) are generalised until every
combination that goes out is shared by at least k rows (settings.CROCEVIA_EXPORT_K):

1. Every value starts at level 0 of its ladder (`LADDERS`): the birth date becomes an
   age band, a country with fewer than k persons in the export its ISTAT area, the
   Comune its zone, the permit's expiry its year, the permit type a type that reveals no
   health ("health", cure mediche, goes out as "other").
2. The rows whose combination is shared by fewer than k rows go up one step of the
   kind's `generalisation_steps` (one column one level up: the expiry year dropped,
   the country to its area, the age band to 0-17/18-64/65+, ...), only those rows;
   combinations shared by k or more never change. Repeat until no row is left alone or
   the steps run out. The ladders are nested (two values equal at one level are equal
   at every level above), so the rows of a combination move together.
3. Rows still alone lose every quasi-identifier (blank cells; the row stays, so the
   counts stay right). If fewer than k rows end up blank, rows of the largest
   combinations (which keep at least k) are blanked too: a blank row is then one of at
   least k as well. Below k rows in the whole export, every row is blank.

Event exports (contacts, cases, applications) tell nothing of the person but point at
them by pseudonym. What identifies an event is where and when it happened (a desk and a
day someone saw the person there): dates go out as the month (`month` pseudonym domain),
an application's Comune as its zone, and an event whose place and month (the kind's
`event_class`) are shared by fewer than k different persons loses its links to the
person (the kind's `person_links`): it still counts, but joins nobody.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils import timezone

from crocevia.core.areas import area_of, continent_of
from crocevia.network.models import Comune

# Age bands of the exports (years at the day of the export), and the broad ones above.
AGE_BANDS = ((0, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64))
OLDEST_BAND = "65+"
BROAD_AGE_BANDS = ((0, 17), (18, 64))

# Permit types that reveal a health condition, and the type they go out as. "health" is
# the permit for medical treatment (permesso per cure mediche).
HEALTH_PERMITS = {"health": "other"}
# Service areas of a case that reveal a health condition, and the area they go out as:
# "disability" (disabilità e non autosufficienza).
HEALTH_AREAS = {"disability": "other"}
# Level 1 of the permit ladder: the kind of stay, without the reason.
PERMIT_GROUPS = {
    "asylum": "protection",
    "subsidiary": "protection",
    "special": "protection",
    "asylum_seeker": "protection",
    "eu_long_term": "eu_long_term",
    "work": "temporary",
    "study": "temporary",
    "family": "temporary",
    "health": "temporary",
    "other": "temporary",
}


def export_k() -> int:
    return settings.CROCEVIA_EXPORT_K


def age_band(birth_date: str, today: datetime.date, bands=AGE_BANDS) -> str:
    if not birth_date:
        return ""
    born = datetime.date.fromisoformat(birth_date)
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    for low, high in bands:
        if age <= high:
            return f"{low}-{high}"
    return OLDEST_BAND


class Context:
    """What the ladders need to know of the whole export: the day, how many persons have
    each country, the zone of each Comune."""

    def __init__(self, records: list[dict], columns: Iterable[str], k: int):
        self.k = k
        self.today = timezone.localdate()
        self.counts = {column: Counter(r.get(column, "") for r in records) for column in columns}
        self._zones: dict[str, str] | None = None

    def zone(self, istat: str) -> str:
        if self._zones is None:
            self._zones = dict(Comune.objects.values_list("istat_code", "zone__code"))
        return self._zones.get(istat, "")

    def country(self, column: str, code: str) -> str:
        return code if self.counts[column][code] >= self.k else area_of(code)


def _keep(value, column, ctx):
    return value


def _blank(value, column, ctx):
    return ""


# Column kind -> its ladder: the value at each level, level 0 first. The last level of
# every ladder is blank (suppressed). Each level is a function of the level below.
LADDERS: dict[str, tuple[Callable[[str, str, Context], str], ...]] = {
    "value": (_keep, _blank),
    "age": (
        lambda v, c, ctx: age_band(v, ctx.today),
        lambda v, c, ctx: age_band(v, ctx.today, BROAD_AGE_BANDS),
        _blank,
    ),
    "country": (
        lambda v, c, ctx: ctx.country(c, v),
        lambda v, c, ctx: area_of(v),
        lambda v, c, ctx: continent_of(v),
        _blank,
    ),
    "zone": (lambda v, c, ctx: ctx.zone(v) if v else "", _blank),
    "permit": (
        lambda v, c, ctx: HEALTH_PERMITS.get(v, v),
        lambda v, c, ctx: PERMIT_GROUPS.get(v, v),
        _blank,
    ),
    "area": (lambda v, c, ctx: HEALTH_AREAS.get(v, v), _blank),
    "year": (lambda v, c, ctx: v[:4], _blank),
    "month": (lambda v, c, ctx: v[:7], _blank),
}


def k_anonymise(records: list[dict], kind, k: int | None = None) -> list[dict]:
    """The records with their quasi-identifiers generalised (and suppressed where they
    must be) so that every combination is shared by at least k records; the other
    columns the kind withholds (`withheld`) blank. Records keep their order."""
    k = export_k() if k is None else k
    columns = list(kind.quasi_identifiers)
    if not columns:
        return records
    ladders = [LADDERS[kind.quasi_identifiers[c]] for c in columns]
    ctx = Context(records, columns, k)
    raw = [tuple(r.get(c, "") for c in columns) for r in records]
    cache: dict = {}

    def value(i: int, level: int, v: str) -> str:
        key = (i, level, v)
        if key not in cache:
            cache[key] = ladders[i][level](v, columns[i], ctx)
        return cache[key]

    levels = [[0] * len(columns) for _ in records]
    shown = [tuple(value(i, 0, v) for i, v in enumerate(row)) for row in raw]
    index = {c: i for i, c in enumerate(columns)}
    for column, level in kind.generalisation_steps:
        sizes = Counter(shown)
        alone = [n for n, combination in enumerate(shown) if sizes[combination] < k]
        if not alone:
            break
        i = index[column]
        for n in alone:
            if levels[n][i] < level:
                levels[n][i] = level
                row = list(shown[n])
                row[i] = value(i, level, raw[n][i])
                shown[n] = tuple(row)
    blank = ("",) * len(columns)
    sizes = Counter(shown)
    for n, combination in enumerate(shown):
        if sizes[combination] < k:
            shown[n] = blank
    _fill_the_blank_class(shown, blank, k)
    withheld = set(kind.withheld)
    result = []
    for record, combination in zip(records, shown, strict=True):
        record = {c: ("" if c in withheld else v) for c, v in record.items()}
        record.update(zip(columns, combination, strict=True))
        result.append(record)
    return result


def _fill_the_blank_class(shown: list[tuple], blank: tuple, k: int) -> None:
    """Blank more rows until the blank rows are none or at least k: rows of the largest
    combinations first while they keep k rows, then whole combinations, smallest first."""
    missing = k - shown.count(blank)
    if missing <= 0 or missing == k:
        return
    members = defaultdict(list)
    for n, combination in enumerate(shown):
        if combination != blank:
            members[combination].append(n)
    by_size = sorted(members.values(), key=len, reverse=True)
    for rows in by_size:
        spare = min(len(rows) - k, missing)
        if spare <= 0:
            break
        for n in rows[-spare:]:
            shown[n] = blank
        missing -= spare
    for rows in reversed(by_size):
        if missing <= 0:
            return
        left = [n for n in rows if shown[n] != blank]
        for n in left:
            shown[n] = blank
        missing -= len(left)


def generalise_events(records: list[dict], kind) -> list[dict]:
    """An event export's dates to the month and Comuni to the zone (`event_generalised`,
    level 0 of the ladder named); the free text the kind withholds (`withheld`) blank."""
    if not kind.quasi_identifiers:  # k_anonymise blanks a person-level kind's own
        for r in records:
            for column in kind.withheld:
                r[column] = ""
    if not kind.event_generalised:
        return records
    ctx = Context([], (), export_k())
    ladders = {c: LADDERS[name][0] for c, name in kind.event_generalised.items()}
    for r in records:
        for column, ladder in ladders.items():
            r[column] = ladder(r.get(column, ""), column, ctx)
    return records


def unlink_rare_events(records: list[dict], kind, k: int | None = None) -> list[dict]:
    """Blank the person links (`kind.person_links`) of the events whose `event_class`
    (place and month, already generalised) is shared by fewer than k different persons:
    someone who knows that a person came to a desk that month finds k pseudonyms, or
    none."""
    k = export_k() if k is None else k
    if not kind.event_class:
        return records
    person = kind.person_links[0]
    persons = defaultdict(set)
    for r in records:
        persons[tuple(r[c] for c in kind.event_class)].add(r[person])
    for r in records:
        if len(persons[tuple(r[c] for c in kind.event_class)]) < k:
            for column in kind.person_links:
                r[column] = ""
    return records
