"""Access events recorded by the access functions (each app's access.py), never by views.

Obtaining an object that shows personal data records its access event: `get_person_for`,
`get_case_for` and the others call `record_access` (one object) or `record_persons_shown`
(the persons a list shows, one event per person: the access report reads events by
person, so each person shown finds the page in their own report).

Within a request the events wait in the request's buffer (AccessEventsMiddleware) and are
written together, in one insert, when the answer shows something: a page or a download
(2xx), or a form shown again with its errors (400, 409, 422). A refusal (403, 404, 405),
an error (5xx) or a redirect shows nothing and writes nothing, whatever the view had
obtained before it refused: so a view may check its own conditions after the access
function (`can_manage_case`, ...) without leaving an event for a page no one saw.
The same event asked twice in a request is written once. The request's events are
sealed into the hash chain by a job of the queue on PostgreSQL (chain.schedule_seal,
off_the_request), so that a page waits for one insert, not for the chain.

Outside a request (a command, a service called by a test) the event is written at once.
"""

import contextvars
import functools
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from crocevia.core.sqlarrays import array_literal

from .actions import AuditAction, action_for
from .chain import schedule_seal
from .models import AuditEvent
from .services import organisations_label

# The notes of the events of persons shown in a list, by list.
NOTE_SEARCH = "search results"
NOTE_HOUSEHOLD = "household"
NOTE_DUPLICATES = "suspected duplicates"
NOTE_REGISTER = "desk register"
NOTE_REFERRALS = "referrals"
NOTE_CASE_LIST = "case list"
NOTE_HOME = "home page"
NOTE_QUEUE = "work queue"
NOTE_QUEUE_EXPORT = "work queue export"
NOTE_BENEFITS = "income-support applications"
NOTE_BENEFITS_EXPORT = "income-support applications export"
# A registration refused because the codice fiscale is another person's, whom the
# operator may not see: nobody is named, but the attempt is in that person's report.
NOTE_CODE_TAKEN = "codice fiscale already registered"
# How the access report names each list.
LIST_LABELS = {
    NOTE_SEARCH: gettext_lazy("search results"),
    NOTE_HOUSEHOLD: gettext_lazy("household of a person seen"),
    NOTE_DUPLICATES: gettext_lazy("suspected duplicates"),
    NOTE_REGISTER: gettext_lazy("desk register"),
    NOTE_REFERRALS: gettext_lazy("list of referrals"),
    NOTE_CASE_LIST: gettext_lazy("list of cases"),
    NOTE_HOME: gettext_lazy("home page alerts"),
    NOTE_QUEUE: gettext_lazy("work queue"),
    NOTE_QUEUE_EXPORT: gettext_lazy("work queue exported"),
    NOTE_BENEFITS: gettext_lazy("list of income-support applications"),
    NOTE_BENEFITS_EXPORT: gettext_lazy("list of income-support applications exported"),
    NOTE_CODE_TAKEN: gettext_lazy("codice fiscale typed again, person not shown"),
}
# The note of an access granted by an agreement's data-sharing clause (network.sharing),
# after the page's own note if any: "agreement: <title>[; <title>]" (the access report
# says it in words, people.access_report).
NOTE_AGREEMENT = "agreement: "
NOTE_SEPARATOR = " · "
NOTE_MAX = 250  # AuditEvent.note's length


def with_agreements(note: str, titles) -> str:
    """`note`, plus the agreements under which the object was shown (if any)."""
    if not titles:
        return note
    ground = NOTE_AGREEMENT + "; ".join(titles)
    return (f"{note}{NOTE_SEPARATOR}{ground}" if note else ground)[:NOTE_MAX]


def split_agreements(note: str) -> tuple[str, str]:
    """(the page's own note, the agreements' titles or "") of a note with_agreements wrote."""
    if note.startswith(NOTE_AGREEMENT):
        return "", note[len(NOTE_AGREEMENT) :]
    own, separator, ground = note.partition(NOTE_SEPARATOR + NOTE_AGREEMENT)
    return (own, ground) if separator else (note, "")


# The answers that show the user something (see the module doc).
SHOWN_STATUSES = frozenset({400, 409, 422})


@dataclass(frozen=True)
class _Pending:
    object_type: str
    object_id: str
    person_id: int | None
    note: str
    action: AuditAction  # the "view" of the object (PERSON_VIEW, CASE_VIEW...)


@functools.cache
def _view_of(object_type: str) -> AuditAction:
    return action_for(object_type, "view")


def _pending(object_type: str, object_id: str, person_id, note: str) -> _Pending:
    return _Pending(object_type, object_id, person_id, note, _view_of(object_type))


class _Buffer:
    """The access events asked during one request, for its one user."""

    def __init__(self):
        self.actor = None
        self.events: dict[_Pending, None] = {}  # an ordered set: the order they were asked


_current: contextvars.ContextVar[_Buffer | None] = contextvars.ContextVar(
    "crocevia_access_events", default=None
)


def _add(actor, pending: list[_Pending]) -> None:
    buffer = _current.get()
    if buffer is None:
        _write(actor, pending)
        return
    if buffer.events and buffer.actor != actor:
        # Never the case in a request (every access function gets request.user); if it
        # were, the events asked so far keep their own actor.
        _write(buffer.actor, list(buffer.events))
        buffer.events = {}
    buffer.actor = actor
    for event in pending:
        buffer.events.setdefault(event, None)


def _write(actor, pending, *, off_the_request: bool = False) -> int:
    """Insert the events in one statement and schedule their sealing; how many.

    The actor's organisations are named once, from the memberships cached on the user.
    `off_the_request`: sealed by a job of the queue (chain.schedule_seal), so that a page
    does not wait for the chain.
    """
    if not pending:
        return 0
    if actor is not None and not actor.is_authenticated:
        actor = None
    organisations = organisations_label(actor)
    if connection.vendor == "postgresql":
        first = _insert_postgresql(actor, organisations, pending)
        schedule_seal(first, off_the_request=off_the_request)
        return len(pending)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                kind=AuditEvent.Kind.ACCESS,
                action=p.action,
                actor=actor,
                actor_organisations=organisations,
                object_type=p.object_type,
                object_id=p.object_id,
                person_id=p.person_id,
                note=p.note,
            )
            for p in pending
        ],
        seal_off_the_request=off_the_request,
    )
    return len(pending)


def _insert_postgresql(actor, organisations: str, pending) -> int:
    """One INSERT from arrays (unnest): the ORM's bulk_create spent 8 of the 9 ms of 50
    events preparing each value of each row in Python. The values are those bulk_create
    would write (the chain hashes what it reads back). Returns the lowest id written."""
    meta = AuditEvent._meta
    column = {f.name: connection.ops.quote_name(f.column) for f in meta.concrete_fields}
    names = ["at", "kind", "action", "actor", "actor_organisations", "object_type"]
    names += ["object_id", "person", "changes", "note"]
    table = connection.ops.quote_name(meta.db_table)
    # Our own model's table and column names; every value is a parameter.
    statement = (
        f"INSERT INTO {table} ({', '.join(column[n] for n in names)}) "  # noqa: S608
        "SELECT %s, %s, v.action, %s, %s, v.object_type, v.object_id, v.person_id, "
        "'{}'::jsonb, v.note "
        "FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[]) "
        "AS v(action, object_type, object_id, person_id, note) RETURNING id"
    )
    # Person ids as text: array_literal writes None as "None"; NULL is spelled out.
    person_ids = (
        "{"
        + ",".join("NULL" if p.person_id is None else str(int(p.person_id)) for p in pending)
        + "}"
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            statement,
            [
                timezone.now(),
                AuditEvent.Kind.ACCESS.value,
                actor.pk if actor is not None else None,
                organisations,
                array_literal([p.action.value for p in pending]),
                array_literal([p.object_type for p in pending]),
                array_literal([p.object_id for p in pending]),
                person_ids,
                array_literal([p.note for p in pending]),
            ],
        )
        return min(row[0] for row in cursor.fetchall())


def record_access(*, actor, instance: models.Model, person_id=None, note: str = "") -> None:
    """`actor` was shown `instance`, which is about the person `person_id` (if any)."""
    _add(actor, [_pending(instance._meta.label_lower, str(instance.pk), person_id, note)])


def record_persons_shown(
    *, actor, person_ids, instance: models.Model | None = None, note: str = ""
) -> None:
    """`actor` was shown the persons `person_ids` (a list's rows): one event per person.

    The event names `instance` (the meeting, ...) when the persons are shown as part of
    it, else the person itself.
    """
    pending = []
    for person_id in dict.fromkeys(person_ids):  # once each, in the list's order
        if person_id is None:
            continue
        if instance is None:
            pending.append(_pending("people.person", str(person_id), person_id, note))
        else:
            label = instance._meta.label_lower
            pending.append(_pending(label, str(instance.pk), person_id, note))
    _add(actor, pending)


def shows_something(status: int) -> bool:
    return 200 <= status < 300 or status in SHOWN_STATUSES


class collecting:  # noqa: N801 - used as a context manager, like a function
    """Hold the access events recorded inside the block; write them when it ends, if
    `write(answer)` says the answer shows something (see the module doc)."""

    def __enter__(self):
        self.buffer = _Buffer()
        self.token = _current.set(self.buffer)
        return self

    def __exit__(self, *exc):
        _current.reset(self.token)
        return False

    def write(self) -> int:
        events, self.buffer.events = list(self.buffer.events), {}
        return _write(self.buffer.actor, events, off_the_request=True)
