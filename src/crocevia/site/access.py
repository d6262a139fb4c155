"""The one way a view obtains a work queue (site.queues): 404 for no such queue, 403 for
a queue that is not of the user's profiles; the persons a queue's page or export shows
recorded as shown (crocevia.audit.recording)."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.audit.recording import NOTE_QUEUE, NOTE_QUEUE_EXPORT, record_persons_shown

from .queues import BY_CODE, Queue, queues_for

PAGE_SIZE = 50


def get_queue_for(user, code: str) -> Queue:
    queue = BY_CODE.get(code)
    if queue is None:
        raise Http404(_("No such work queue."))
    if not queue.is_for(user):
        raise PermissionDenied(_("This work queue is not one of your profiles'."))
    return queue


@dataclass(frozen=True)
class Cell:
    value: object
    link: bool  # the cell names the row's person: it links to the row's page
    is_date: bool


@dataclass
class Row:
    """A row of a queue's page: its object, its cells, its page and whether it is late."""

    obj: object
    cells: list
    url: str
    late: bool


def _cell(column, obj) -> Cell:
    value = column.value(obj)
    return Cell(value, column.link, isinstance(value, datetime.date))


def _row(queue: Queue, obj, today: datetime.date) -> Row:
    return Row(
        obj=obj,
        cells=[_cell(column, obj) for column in queue.columns],
        url=queue.link(obj),
        late=bool(queue.late and queue.late(obj, today)),
    )


def queue_page_for(user, queue: Queue, *, filters: dict, order: str, page=1) -> Page:
    """A page of the queue (50 rows), filtered and ordered, as Rows; the persons it shows
    recorded. Two queries (the count and the rows), whatever the rows."""
    today = timezone.localdate()
    listed = queue.listed(user, today=today, filters=filters, order=order)
    page = Paginator(listed, PAGE_SIZE).get_page(page)
    objects = list(page.object_list)
    record_persons_shown(
        actor=user, person_ids=[queue.person_id(obj) for obj in objects], note=NOTE_QUEUE
    )
    page.object_list = [_row(queue, obj, today) for obj in objects]
    return page


def queue_export_for(user, queue: Queue, *, filters: dict, order: str) -> tuple[list, list]:
    """The whole filtered queue as (header, rows of values) for a file; every person it
    names recorded as shown. One query."""
    today = timezone.localdate()
    objects = list(queue.listed(user, today=today, filters=filters, order=order))
    record_persons_shown(
        actor=user,
        person_ids=[queue.person_id(obj) for obj in objects],
        note=NOTE_QUEUE_EXPORT,
    )
    header = [str(column.label) for column in queue.columns]
    return header, [[column.value(obj) for column in queue.columns] for obj in objects]


def queue_counts_for(user) -> list[tuple[Queue, int]]:
    """The user's queues with how many rows each holds (the home page: counts only, no
    name, so nothing to record). One query per queue."""
    today = timezone.localdate()
    return [(queue, queue.count(user, today=today)) for queue in queues_for(user)]
