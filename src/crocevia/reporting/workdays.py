"""Working days (INDICATORS.md "Conventions") and the statistics over them.

A working day is Monday–Friday, not an Italian national public holiday (the `holidays`
package) and not the patron saint's day of the Comune of the case's organisation: the
Tuscan provincial capitals are built in (BUILT_IN_PATRON_DAYS), other Comuni are set by
an administrator (PatronDay). An organisation without a Comune has national holidays only.
"""

import contextlib
import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import holidays

from crocevia.network.models import Comune

from .models import PatronDay

# ISTAT code → (month, day, Comune) of the patron saint's day of the Tuscan provincial
# capitals. Prato's Santo Stefano (26 December) is already a national holiday.
BUILT_IN_PATRON_DAYS: dict[str, tuple[int, int, str]] = {
    "045003": (6, 16, "Carrara"),  # San Ceccardo
    "045010": (10, 4, "Massa"),  # San Francesco
    "046017": (7, 12, "Lucca"),  # San Paolino
    "047014": (7, 25, "Pistoia"),  # San Jacopo
    "048017": (6, 24, "Firenze"),  # San Giovanni Battista
    "049009": (5, 22, "Livorno"),  # Santa Giulia
    "050026": (6, 17, "Pisa"),  # San Ranieri
    "051002": (8, 7, "Arezzo"),  # San Donato
    "052032": (12, 1, "Siena"),  # Sant'Ansano
    "053011": (8, 10, "Grosseto"),  # San Lorenzo
    "100005": (12, 26, "Prato"),  # Santo Stefano
}

TENTH = Decimal("0.1")


class Calendar:
    """Counts working days for many Comuni at once; holidays are computed once per year."""

    def __init__(
        self,
        patron_days: dict[int | None, set[tuple[int, int]]] | None = None,
        national: dict[int, list[datetime.date]] | None = None,
    ):
        self._patron = patron_days or {}
        # {year: national holidays}; may be shared between calendars (it never changes).
        self._national: dict[int, list[datetime.date]] = {} if national is None else national
        self._closed: dict[tuple[int | None, int], list[int]] = {}
        # Cumulative working days, shared by the Comuni with the same patron days:
        # {patron days: (first ordinal, last ordinal, counts)} where counts[i] is the
        # number of working days from the first ordinal to the first ordinal + i.
        self._tables: dict[frozenset, tuple[int, int, list[int]]] = {}

    @classmethod
    def for_comuni(
        cls,
        comune_ids: Iterable[int | None],
        national: dict[int, list[datetime.date]] | None = None,
    ) -> "Calendar":
        """Loads the patron days of the given Comuni (two queries at most)."""
        ids = {pk for pk in comune_ids if pk is not None}
        patron: dict[int | None, set[tuple[int, int]]] = {pk: set() for pk in ids}
        if ids:
            for pk, code, name in (
                Comune.objects.filter(pk__in=ids).values_list("pk", "istat_code", "name").order_by()
            ):
                built_in = BUILT_IN_PATRON_DAYS.get(code)
                if built_in is None:
                    built_in = next(
                        (
                            entry
                            for entry in BUILT_IN_PATRON_DAYS.values()
                            if entry[2].casefold() == name.casefold()
                        ),
                        None,
                    )
                if built_in is not None:
                    patron[pk].add(built_in[:2])
            patron_rows = (
                PatronDay.objects.filter(comune_id__in=ids)
                .values_list("comune_id", "month", "day")
                .order_by()  # no join for the model's ordering by Comune name
            )
            for pk, month, day in patron_rows:
                patron[pk].add((month, day))
        return cls(patron, national)

    def _national_days(self, year: int) -> list[datetime.date]:
        if year not in self._national:
            self._national[year] = list(holidays.country_holidays("IT", years=year).keys())
        return self._national[year]

    def _closed_ordinals(self, comune_id: int | None, year: int) -> list[int]:
        """Sorted ordinals of the holidays of `year` that fall Monday–Friday."""
        key = (comune_id, year)
        if key not in self._closed:
            days = set(self._national_days(year))
            for month, day in self._patron.get(comune_id, ()):
                with contextlib.suppress(ValueError):  # 29 February in a common year
                    days.add(datetime.date(year, month, day))
            self._closed[key] = sorted(d.toordinal() for d in days if d.weekday() < 5)
        return self._closed[key]

    def _table(self, comune_id: int | None, lo: int, hi: int) -> tuple[int, list[int]]:
        """(first ordinal, cumulative counts) covering the ordinals lo..hi, whole years."""
        key = frozenset(self._patron.get(comune_id, ()))
        table = self._tables.get(key)
        if table is None or lo < table[0] or hi > table[1]:
            first_year = datetime.date.fromordinal(lo).year
            last_year = datetime.date.fromordinal(hi).year
            if table is not None:  # widen, never narrow
                first_year = min(first_year, datetime.date.fromordinal(table[0]).year)
                last_year = max(last_year, datetime.date.fromordinal(table[1]).year)
            first = datetime.date(first_year, 1, 1).toordinal()
            last = datetime.date(last_year, 12, 31).toordinal()
            closed = set()
            for year in range(first_year, last_year + 1):
                closed.update(self._closed_ordinals(comune_id, year))
            counts, running = [], 0
            weekday = datetime.date.fromordinal(first).weekday()
            for ordinal in range(first, last + 1):
                if weekday < 5 and ordinal not in closed:
                    running += 1
                counts.append(running)
                weekday = 0 if weekday == 6 else weekday + 1
            table = self._tables[key] = (first, last, counts)
        return table[0], table[2]

    def working_days(self, d1: datetime.date, d2: datetime.date, comune_id: int | None) -> int:
        """Days d with d1 < d ≤ d2 that are Monday–Friday and not a holiday (0 if d1 = d2).

        Two look-ups in a cumulative table per set of patron days (built once per range
        of years), so a report's thousands of pairs cost microseconds each."""
        if d2 < d1:
            raise ValueError("d2 is before d1")
        lo, hi = d1.toordinal(), d2.toordinal()
        first, counts = self._table(comune_id, lo, hi)
        return counts[hi - first] - counts[lo - first]


def working_days(d1: datetime.date, d2: datetime.date, comune_id: int | None) -> int:
    """Working days from d1 (excluded) to d2 (included) for an organisation in `comune_id`."""
    return Calendar.for_comuni([comune_id]).working_days(d1, d2, comune_id)


def half_up(value: Decimal, exponent: Decimal = TENTH) -> Decimal:
    return Decimal(value).quantize(exponent, rounding=ROUND_HALF_UP)


def statistics(values: Iterable[int]) -> dict:
    """{"n", "min", "median", "mean", "max"}; median and mean half-up to one decimal.

    Median and mean are Decimal (JSON: a number with one decimal); all None when n = 0.
    """
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return {"n": 0, "min": None, "median": None, "mean": None, "max": None}
    middle = n // 2
    if n % 2:
        median = Decimal(ordered[middle])
    else:
        median = Decimal(ordered[middle - 1] + ordered[middle]) / 2
    mean = Decimal(sum(ordered)) / Decimal(n)
    return {
        "n": n,
        "min": ordered[0],
        "median": half_up(median),
        "mean": half_up(mean),
        "max": ordered[-1],
    }


def percentage(part: int, whole: int) -> Decimal | None:
    """part / whole × 100, half-up to one decimal; None over an empty denominator."""
    if not whole:
        return None
    return half_up(Decimal(part) * 100 / Decimal(whole))
