"""The registry of interchange kinds, and the pieces a kind is made of.

A kind (territory, persons, contacts, ...) is a subclass of `Kind` registered with
`register(MyKind())`. See ../README.md for how to add one. The engine (engine.py) does
everything else: reading, header matching, duplicate keys inside the file, the
transaction, dry runs, the report, the export file and pseudonyms.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from crocevia.audit.actions import action_for
from crocevia.audit.bulk import insert_change_events
from crocevia.core.dates import EARLIEST_EVENT_DATE
from crocevia.core.errors import RowsRefused
from crocevia.people.selectors import persons_by_external_id

from .. import parsers
from ..errors import CellError, RowError


@dataclass(frozen=True)
class Column:
    """A column of the contract: its code, Italian header aliases, and whether required."""

    code: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # What else the summary tells, {code: count} (the kind's `notice` words it): e.g. the
    # cases whose case manager is to be appointed.
    notices: dict[str, int] = field(default_factory=dict)

    def add(self, other: "Counts") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        for code, count in other.notices.items():
            self.notices[code] = self.notices.get(code, 0) + count


class Row:
    """One row being parsed: typed getters that record a RowError instead of raising.

    Each getter returns the value, or None/"" when the cell is empty or wrong; `ok` says
    whether the row has no error so far.
    """

    __slots__ = ("line", "raw", "list_separator", "_errors", "error_count")

    def __init__(self, line: int, raw: dict, list_separator: str, errors: list):
        self.line = line
        self.raw = raw
        self.list_separator = list_separator
        self._errors = errors
        self.error_count = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, column: str, reason: str, code: str, value: str | None = None) -> None:
        if value is None:
            value = self.raw.get(column, "")
        self._errors.append(RowError(self.line, column, value, reason, code))
        self.error_count += 1

    def _get(self, column, required, parse, *args, **kwargs):
        value = self.raw.get(column, "")
        if not value:
            if required:
                self.error(column, _("This cell is required and is empty."), "required")
            return None
        try:
            return parse(value, *args, **kwargs)
        except CellError as exc:
            self.error(column, exc.reason, exc.code)
            return None

    def text(self, column, *, required=False, max_length=None, multiline=False) -> str:
        value = self._get(
            column, required, parsers.parse_text, max_length=max_length, multiline=multiline
        )
        if value == "" and required:  # only spaces once cleaned (non-breaking ones)
            self.error(column, _("This cell is required and is empty."), "required")
        return value or ""

    def date(self, column, *, required=False, allow_future=False, earliest=EARLIEST_EVENT_DATE):
        return self._get(
            column, required, parsers.parse_date, allow_future=allow_future, earliest=earliest
        )

    def boolean(self, column, *, default=False) -> bool:
        value = self._get(column, False, parsers.parse_boolean)
        return default if value is None else value

    def choice(self, column, choices, *, required=False, default=""):
        value = self._get(column, required, parsers.parse_choice, choices)
        return default if value is None else value

    def integer(self, column, *, required=False, minimum=None, maximum=None):
        return self._get(column, required, parsers.parse_integer, minimum=minimum, maximum=maximum)

    def country(self, column, *, required=False) -> str:
        return self._get(column, required, parsers.parse_country) or ""

    def sex(self, column, *, required=False) -> str:
        return self._get(column, required, parsers.parse_sex) or ""

    def istat(self, column, *, required=False) -> str:
        return self._get(column, required, parsers.parse_istat) or ""

    def items(self, column, *, required=False) -> list[str]:
        value = self._get(column, required, parsers.split_list, self.list_separator)
        if required and value == []:
            self.error(column, _("This cell is required and is empty."), "required")
        return value or []

    def unknown(self, column: str, value: str | None = None) -> None:
        """Record 'unknown code' for a reference that does not resolve."""
        self.error(
            column,
            _("Unknown code: %(value)s.") % {"value": value or self.raw.get(column, "")},
            "unknown_code",
            value,
        )


class Kind:
    """Base of every kind. Subclasses set the class attributes and implement the methods.

    - `parse(row, ctx)`: one row's cells to a dict of typed values, through the Row
      getters (which record errors). Cheap and per row: no queries.
    - `check(items, ctx)`: a chunk of parsed rows [(row, data)]: resolve references with
      one query per chunk (or from maps cached in ctx), add ids to `data`, and record
      errors with row.error(...). It must not write: writing is `write`'s job.
    - `write(datas, ctx, actor)`: write a chunk of checked rows through the owning app's
      services (bulk, audited, skipping unchanged rows); return Counts.
    - `check_scope(items, ctx)`: record `out_of_scope` errors for rows outside the acting
      user's zones (`ctx["scope"]`, see scope.py); nothing to do without a limited scope.
      Called right after `check`, so references are resolved.
    - `export_rows(list_separator, scope)`: every record within `scope` (None: every
      record) as {column code: string}, in key order.
    """

    name: str = ""
    label: str = ""
    columns: tuple[Column, ...] = ()
    key: str = "external_id"
    # Column code -> pseudonym domain (see pseudonym.py).
    pseudonymised: dict[str, str] = {}
    # Pseudonymised exports, k-anonymous (see anonymity.py). A person-level kind names its
    # quasi-identifiers (column -> ladder of anonymity.LADDERS), the steps (column, level)
    # by which rows still shared by fewer than k rows are generalised, in order, and the
    # columns it withholds (blank). An event kind names the columns generalised (column ->
    # ladder, level 0), those that say where and when (`event_class`) and its links to a
    # person (`person_links`, the person's pseudonym first), blanked for a rare event.
    quasi_identifiers: dict[str, str] = {}
    generalisation_steps: tuple[tuple[str, int], ...] = ()
    withheld: tuple[str, ...] = ()
    event_generalised: dict[str, str] = {}
    event_class: tuple[str, ...] = ()
    person_links: tuple[str, ...] = ()
    position: int = 100  # load order in the documentation: references before referrers
    # The models a write fills (for the planner statistics refreshed after a large import).
    written_models: tuple = ()
    # Column -> (model, fallback prefix, attname of the person the record is about): keys
    # an export gives records without an external id (see claim_exchange_keys).
    fallback_keys: dict = {}
    # Columns of names (of persons, places, offices) whose values with accents the check
    # shows as read from a CSV, so that the user sees the file's encoding was read right.
    sample_columns: tuple[str, ...] = ()

    def new_context(self) -> dict:
        return {}

    def notice(self, code: str, count: int) -> str:
        """The summary's sentence for `count` records of a notice `code` (see Counts)."""
        return f"{code}: {count}"

    def notice_url(self, code: str) -> str | None:
        """The page where the records of a notice are dealt with (None: no such page)."""
        return None

    def parse(self, row: Row, ctx: dict) -> dict:
        raise NotImplementedError

    def check(self, items: list[tuple[Row, dict]], ctx: dict) -> None:
        pass

    def check_scope(self, items: list[tuple[Row, dict]], ctx: dict) -> None:
        pass

    def claim_exchange_keys(self, items: list[tuple[Row, dict]], *, actor) -> int:
        """Give the records a file names by their fallback key that key as external id.

        An export names a record created in the application, which has no external id,
        `crocevia-person-12` (prefix and id). Imported back into the same database, such a
        key would find nothing and make a second person. So before a chunk is checked,
        each such key of `fallback_keys` columns that points to an existing record
        without an external id becomes that record's external id (audited), and the rest
        of the import finds the record by it: the file updates it, or leaves it alone.
        A key another record already holds (a round trip through another database) is
        that record's. Returns how many records were given their key.
        """
        claimed = 0
        for column, (model, prefix, person_attname) in self.fallback_keys.items():
            wanted: dict[int, str] = {}
            for row, data in items:
                key = data.get(column) if column in data else row.raw.get(column, "")
                if isinstance(key, str) and key.startswith(prefix):
                    number = key[len(prefix) :]
                    if number.isdigit() and len(number) < 19:
                        wanted[int(number)] = key
            if not wanted:
                continue
            candidates = dict(
                model.objects.filter(pk__in=wanted, external_id__isnull=True).values_list(
                    "pk", person_attname or "pk"
                )
            )
            taken = set(
                model.objects.filter(external_id__in=[wanted[pk] for pk in candidates]).values_list(
                    "external_id", flat=True
                )
            )
            claims = {pk: wanted[pk] for pk in candidates if wanted[pk] not in taken}
            if not claims:
                continue
            model.objects.bulk_update(
                [model(pk=pk, external_id=key) for pk, key in claims.items()],
                ["external_id"],
                batch_size=500,
            )
            insert_change_events(
                model._meta.label_lower,
                actor,
                [
                    (
                        action_for(model._meta.label_lower, "update"),
                        pk,
                        {"external_id": [None, key]},
                        candidates[pk] if person_attname else None,
                    )
                    for pk, key in claims.items()
                ],
            )
            claimed += len(claims)
        return claimed

    def write(self, datas: list[dict], ctx: dict, *, actor) -> Counts:
        raise NotImplementedError

    def finish(self, ctx: dict, *, write: bool) -> BaseException | None:
        """After the last chunk, in the import's transaction: write what `write` left
        pending (`write` true), or drop it and wait for anything in flight (false: the
        file had errors, or the import failed, and the transaction is rolled back). With
        `write` false, returns the error of a write that failed in the background, if
        any: the cause of the import's failure."""
        return None

    def export_rows(self, *, list_separator: str = ";", scope=None) -> Iterable[dict[str, str]]:
        raise NotImplementedError

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.columns]


_REGISTRY: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind (an instance of a Kind subclass) under `kind.name`."""
    if not kind.name or not kind.columns:
        raise ValueError("A kind needs a name and columns.")
    if not any(c.code == kind.key for c in kind.columns):
        raise ValueError(f"The key {kind.key} of {kind.name} is not one of its columns.")
    _REGISTRY[kind.name] = kind
    return kind


def get_kind(name: str) -> Kind:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(name) from None


def kind_names() -> list[str]:
    _load()
    return [k.name for k in sorted(_REGISTRY.values(), key=lambda k: (k.position, k.name))]


_loaded = False


def _load() -> None:
    """Import the kinds (each module registers its own; they import this one, so not at
    its top)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from . import (  # noqa: F401
        benefit_applications,
        cases,
        contacts,
        desks,
        organisations,
        persons,
        referrals,
        territory,
    )


# --- small helpers shared by kinds ----------------------------------------------------------


class ImportRefused(Exception):
    """A bulk service refused a chunk the check had accepted (the data changed meanwhile)."""


def report_refused(items, refused: RowsRefused, columns: dict[str, str]) -> None:
    """Name the rows a bulk service refused (RowsRefused: by position in `items`, keyed
    by the service's row keys) as the file's errors: each on its row's line, in its
    column (`columns`: a service key -> the column; other keys are the column's own
    code), with code "rule"."""
    for index, messages in refused.errors.items():
        row = items[index][0]
        for key, message in messages.items():
            row.error(columns.get(key, key), message, "rule")


def check_by_writing(items, columns: dict[str, str], write: Callable[[], object]) -> None:
    """The owning app's own rules for a chunk: `write()` (its bulk service, called with
    the rows of `items` in their order) on a write that is rolled back, so that a check
    writes nothing; the rows it refuses get their errors (report_refused)."""
    try:
        with transaction.atomic():
            write()
            transaction.set_rollback(True)
    except RowsRefused as refused:
        report_refused(items, refused, columns)


def out_of_scope(row: Row, column: str, reason: str | None = None) -> None:
    """Record that this row reaches outside the zones of the acting user."""
    row.error(
        column,
        reason or _("This code belongs to a record outside your zone."),
        "out_of_scope",
    )


def column_values(items, column: str) -> set:
    """The distinct non-empty values of one parsed column in a chunk."""
    return {data[column] for _row, data in items} - {"", None}


def refuse_hidden_persons(items, scope, column: str) -> None:
    """Rows naming (by external id) an existing person the scope's user may not see (a
    merged record's id: the record it was merged into)."""
    keys = column_values(items, column)
    if not keys:
        return
    known = {key: person.pk for key, person in persons_by_external_id(keys).items()}
    visible = set(scope.persons().filter(pk__in=known.values()).values_list("pk", flat=True))
    for row, data in items:
        if data[column] in known and known[data[column]] not in visible:
            out_of_scope(row, column, _("This external id belongs to a record outside your zone."))


def refuse_records_of_other_zones(items, scope, model, zone_field: str) -> None:
    """Rows that would change an existing record (by external_id) of another zone."""
    existing = dict(
        model.objects.filter(external_id__in=column_values(items, "external_id")).values_list(
            "external_id", zone_field
        )
    )
    for row, data in items:
        key = data["external_id"]
        if key in existing and not scope.has_zone(existing[key]):
            out_of_scope(
                row, "external_id", _("This external id belongs to a record outside your zone.")
            )


def scoped(queryset, scope, zone_field: str):
    """An export's queryset limited to the scope's zones (None: everything)."""
    return queryset if scope is None else scope.limit(queryset, zone_field)


def fmt_date(value) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else ""


def fmt_bool(value) -> str:
    return "true" if value else "false"


@dataclass
class RefMap:
    """A code -> id map of a small reference table, loaded once per import."""

    ids: dict = field(default_factory=dict)

    @classmethod
    def of(cls, queryset, code_field: str) -> "RefMap":
        return cls(dict(queryset.values_list(code_field, "pk")))

    def get(self, code):
        return self.ids.get(code)


def in_key_order(queryset, key_field: str, fallback_prefix: str, batch: int = 2000):
    """(key, object) for every row, sorted by key in Python (the same order on every
    database), fetched in batches. A row without a key gets `fallback_prefix` + its id."""
    pairs = sorted(
        (key or f"{fallback_prefix}{pk}", pk) for key, pk in queryset.values_list(key_field, "pk")
    )
    for start in range(0, len(pairs), batch):
        part = pairs[start : start + batch]
        objects = queryset.in_bulk([pk for _key, pk in part])
        for key, pk in part:
            yield key, objects[pk]
