"""A person's access report: who viewed or changed their data, when, from where.

For a data-subject request (GDPR art. 15): every event about the person in a period,
and a summary per operator. "From which organisation" is the actor's active
organisations when the event was written (recorded on the event since the hash chain
was introduced); for older events, which lack it, the actor's organisations today,
marked as such.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.accounts.models import Membership, User
from crocevia.audit import recording
from crocevia.audit.actions import AuditAction, action_label, action_of
from crocevia.audit.models import AuditEvent
from crocevia.audit.sensitive import is_sensitive_entry, model_for, redact

PRINT_LIMIT = 2000  # events listed one by one in the PDF; the summary counts them all
# Changes whose old and new values the on-screen report shows: the registry record, which
# the report's readers (administrators) see anyway. For every other record (intake and
# assessment, with health, legal and family notes; plans; cases) the report names the
# fields changed, not their content: who touched what is the question it answers, and an
# access report must not become a way round need-to-know.
VALUES_SHOWN = frozenset({"people.person", "people.household"})


def period_bounds(start: datetime.date | None, end: datetime.date | None):
    """Aware datetimes [from, to) for local days start..end (both included)."""
    tz = timezone.get_current_timezone()
    low = datetime.datetime.combine(start, datetime.time.min, tz) if start else None
    high = (
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tz)
        if end
        else None
    )
    return low, high


def events_for_person(person, *, start=None, end=None, merged_ids=()):
    """The person's events in the period, newest first (a queryset).

    `merged_ids`: the records merged into the person (people.duplicates.merged_ids),
    whose events are the person's history too: the report covers them.
    """
    events = AuditEvent.objects.filter(person_id__in=[person.pk, *merged_ids])
    low, high = period_bounds(start, end)
    if low:
        events = events.filter(at__gte=low)
    if high:
        events = events.filter(at__lt=high)
    return events.select_related("actor").order_by("-at", "-id")


def _current_organisations(actor_ids) -> dict[int, str]:
    """Today's active organisations of each actor (for events that did not record them)."""
    names: dict[int, set[str]] = {}
    for user_id, name in Membership.objects.filter(user_id__in=actor_ids, active=True).values_list(
        "user_id", "organisation__name"
    ):
        names.setdefault(user_id, set()).add(name)
    return {user_id: "; ".join(sorted(n)) for user_id, n in names.items()}


def _model(object_type: str):
    return model_for(object_type)


def changed_fields(event: AuditEvent) -> list[tuple[str, object, object]]:
    """(label, old, new) for each changed field, labelled with the model's field names."""
    model = _model(event.object_type)
    result = []
    # Events written before sensitive fields were left out of the trail still hold their
    # values (sealed: see the README): they are not shown either.
    changes = redact(event.object_type, event.changes or {})
    for name, values in changes.items():
        label = name
        if model is not None:
            try:
                label = str(model._meta.get_field(name).verbose_name)
            except Exception:  # noqa: BLE001 - a field renamed since; show the raw name
                label = name
        if is_sensitive_entry(values):
            old, new = None, _("changed (value not recorded)")
        elif isinstance(values, list):
            old, new = (list(values) + [None, None])[:2]
        else:
            old, new = None, values
        result.append((label, old, new))
    return result


def what(event: AuditEvent) -> str:
    """What happened, in words: "Viewed: case 12", "Changed: person 3"; for what was
    shown under an agreement's data-sharing clause, which agreement (network.sharing)."""
    model = _model(event.object_type)
    thing = str(model._meta.verbose_name) if model is not None else event.object_type
    subject = f"{thing} {event.object_id}"
    action = action_of(event)  # old events' actions too (actions.LEGACY_ACTIONS)
    if event.kind == AuditEvent.Kind.ACCESS:
        note, agreements = recording.split_agreements(event.note or "")
        text = _access_what(thing, subject, action, note)
        if agreements:
            text = _("%(what)s, under the agreement “%(agreements)s”") % {
                "what": text,
                "agreements": agreements,
            }
        return text
    if action is not None and action.verb == "create":
        return _("Created: %(what)s") % {"what": subject}
    return _("Changed: %(what)s") % {"what": subject}


def _access_what(thing: str, subject: str, action, note: str) -> str:
    if action == AuditAction.DATA_EXPORT:
        return _("Exported: %(what)s") % {"what": thing}
    if note == "pdf":
        return _("Printed: %(what)s") % {"what": subject}
    if note in recording.LIST_LABELS:
        return _("Listed (%(list)s): %(what)s") % {
            "list": recording.LIST_LABELS[note],
            "what": subject,
        }
    return _("Viewed: %(what)s") % {"what": subject}


def shown_note(event: AuditEvent) -> str:
    """The event's note as the report shows it beside the action: without the agreements,
    which `what` names in words."""
    return recording.split_agreements(event.note or "")[0]


@dataclass
class Row:
    event: AuditEvent
    what: str
    action: str  # the action's label (old events': their member's, actions.LEGACY_ACTIONS)
    organisations: str
    organisations_today: bool  # not recorded on the event: the actor's organisations today
    changes: list
    values_shown: bool = False  # old and new values, or only the names of the fields
    # The id of the record merged into the person on which the event was recorded (None:
    # recorded on the person's own record).
    merged_record: int | None = None
    note: str = ""  # the event's note, less the agreements (named in `what`)


def rows(events, *, person=None) -> list[Row]:
    """Report rows for `events` (with actor selected); one query for the older ones.
    `person`: the report's person, whose merged records' events are marked as such."""
    events = list(events)
    missing = {e.actor_id for e in events if e.actor_id and not e.actor_organisations}
    today = _current_organisations(missing) if missing else {}
    result = []
    for event in events:
        recorded = event.actor_organisations
        fallback = not recorded and event.actor_id is not None
        result.append(
            Row(
                event=event,
                what=what(event),
                action=action_label(event),
                organisations=recorded or today.get(event.actor_id, ""),
                organisations_today=fallback and bool(today.get(event.actor_id)),
                changes=changed_fields(event),
                values_shown=event.object_type in VALUES_SHOWN,
                merged_record=event.person_id
                if person is not None and event.person_id != person.pk
                else None,
                note=shown_note(event),
            )
        )
    return result


@dataclass
class SummaryLine:
    actor: User | None
    organisations: str
    organisations_today: bool
    views: int
    changes: int
    first: datetime.datetime
    last: datetime.datetime


def summary(events) -> list[SummaryLine]:
    """Per operator and organisation: how many views and changes, first and last time."""
    grouped = (
        events.order_by()
        .values("actor_id", "actor_organisations")
        .annotate(
            views=Count("id", filter=Q(kind=AuditEvent.Kind.ACCESS)),
            changes=Count("id", filter=Q(kind=AuditEvent.Kind.CHANGE)),
            first=Min("at"),
            last=Max("at"),
        )
    )
    grouped = list(grouped)
    actor_ids = {g["actor_id"] for g in grouped if g["actor_id"]}
    users = User.objects.in_bulk(actor_ids)
    missing = {g["actor_id"] for g in grouped if g["actor_id"] and not g["actor_organisations"]}
    today = _current_organisations(missing) if missing else {}
    lines = [
        SummaryLine(
            actor=users.get(g["actor_id"]),
            organisations=g["actor_organisations"] or today.get(g["actor_id"], ""),
            organisations_today=not g["actor_organisations"] and bool(today.get(g["actor_id"])),
            views=g["views"],
            changes=g["changes"],
            first=g["first"],
            last=g["last"],
        )
        for g in grouped
    ]
    lines.sort(key=lambda line: line.last, reverse=True)
    return lines


def report_pdf(person, *, start, end, user, merged_ids=()) -> bytes:
    """The printable access report (PDF, WeasyPrint), in the site's language; it covers
    the records merged into the person (`merged_ids`), as events_for_person."""
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import translation
    from weasyprint import HTML  # heavy import, only when printing

    events = events_for_person(person, start=start, end=end, merged_ids=merged_ids)
    with translation.override(settings.LANGUAGE_CODE):
        listed = rows(events[:PRINT_LIMIT], person=person)
        html = render_to_string(
            "people/audit_report.html",
            {
                "person": person,
                "start": start,
                "end": end,
                "summary": summary(events),
                "rows": listed,
                "total": events.count(),
                "limit": PRINT_LIMIT,
                "printed_by": user,
                "printed_at": timezone.localtime(),
                "any_today": any(r.organisations_today for r in listed),
                "merged_ids": list(merged_ids),
            },
        )
    return HTML(string=html, base_url=None).write_pdf()
