"""Counts and pages of lists too long to count whole on every page (a queue of 50,000).

Counting every row of a list scoped to a user costs as much as reading them all (each
row's visibility is checked); a page shows 50. These count as far as the page needs.
"""

import contextlib
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.utils.functional import cached_property


@dataclass(frozen=True)
class CappedCount:
    """How many rows, counted up to `cap` + 1: shown as the number, or "100+" past the
    cap."""

    value: int
    cap: int

    @property
    def more(self) -> bool:
        return self.value > self.cap

    def __str__(self) -> str:
        return f"{self.cap}+" if self.more else str(self.value)

    def __bool__(self) -> bool:
        return self.value > 0


def first_rows(queryset, limit: int) -> tuple[list, int]:
    """The first `limit` rows of `queryset` and how many rows it has (counted only when
    there may be more)."""
    rows = list(queryset[:limit])
    return rows, len(rows) if len(rows) < limit else queryset.count()


def capped_count(queryset, cap: int) -> CappedCount:
    """Count `queryset` up to `cap` + 1 rows (unordered: the order costs a sort)."""
    return CappedCount(queryset.order_by()[: cap + 1].count(), cap)


class CappedPaginator(Paginator):
    """A paginator that counts the rows as far as the page asked for needs: at least
    `cap` of them, or up to the end of that page, and one more to know whether another
    page follows.

    `more` is True when rows lie beyond what was counted: the page says "more than
    `counted`" and names no last page, and the next page, reached by its link, counts one
    page further. `object_list` is a QuerySet."""

    def __init__(self, object_list, per_page, *, cap: int, number=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        try:
            wanted = max(int(number), 1)
        except (TypeError, ValueError):
            wanted = 1
        self.counted = max(cap, wanted * self.per_page)

    def validate_number(self, number):
        # Below 1: the first page (get_page would give the last one counted, which is not
        # the last page when there are more).
        with contextlib.suppress(TypeError, ValueError):
            number = max(int(number), 1)
        return super().validate_number(number)

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.counted + 1].count()

    @property
    def more(self) -> bool:
        return self.count > self.counted
