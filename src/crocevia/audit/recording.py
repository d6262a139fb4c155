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
sealed into the hash chain by the sealing thread on PostgreSQL (chain.schedule_seal,
off_the_request), so that a page waits for one insert, not for the chain.

Outside a request (a command, a service called by a test) the event is written at once.
"""

import contextvars
from dataclasses import dataclass

from django.db import models

from .models import AuditEvent
from .services import organisations_label

ACTION_VIEW = "view"
# The answers that show the user something (see the module doc).
SHOWN_STATUSES = frozenset({400, 409, 422})


@dataclass(frozen=True)
class _Pending:
    object_type: str
    object_id: str
    person_id: int | None
    note: str


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


def _write(actor, pending, *, off_the_request: bool = False) -> list[AuditEvent]:
    """One insert for all the events; the actor's organisations named once, from the
    memberships cached on the user. `off_the_request`: sealed by the sealing thread
    (chain.schedule_seal), so that a page does not wait for the chain."""
    if not pending:
        return []
    if actor is not None and not actor.is_authenticated:
        actor = None
    organisations = organisations_label(actor)
    return AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                kind=AuditEvent.Kind.ACCESS,
                action=ACTION_VIEW,
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


def record_access(*, actor, instance: models.Model, person_id=None, note: str = "") -> None:
    """`actor` was shown `instance`, which is about the person `person_id` (if any)."""
    _add(actor, [_Pending(instance._meta.label_lower, str(instance.pk), person_id, note)])


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
            pending.append(_Pending("people.person", str(person_id), person_id, note))
        else:
            label = instance._meta.label_lower
            pending.append(_Pending(label, str(instance.pk), person_id, note))
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

    def write(self) -> list[AuditEvent]:
        events, self.buffer.events = list(self.buffer.events), {}
        return _write(self.buffer.actor, events, off_the_request=True)
