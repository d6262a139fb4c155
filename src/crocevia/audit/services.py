"""Writing audit events. Called by every service inside its own transaction.

Every event is sealed into the hash chain after its transaction commits
(crocevia.audit.chain); seal_pending and verify_chain are re-exported here.
"""

import datetime
import decimal
from collections.abc import Iterable

from django.db import models

from crocevia.core.countries import country_code, is_country_field

from .actions import AuditAction, action_for, check_action
from .actors import actor_organisation_names
from .chain import seal_pending, verify_chain
from .models import AuditEvent

__all__ = [
    "audit_access",
    "audit_change",
    "creation_changes",
    "diff",
    "organisations_label",
    "seal_pending",
    "snapshot",
    "verify_chain",
]

ORGANISATIONS_MAX = AuditEvent._meta.get_field("actor_organisations").max_length


def organisations_label(actor) -> str:
    """The names of `actor`'s active organisations, as recorded on their events.

    Asks the function accounts registered (audit.actors), which uses the memberships
    cached on the user object: a view has usually loaded them already to decide what the
    user may see.
    """
    return "; ".join(actor_organisation_names(actor))[:ORGANISATIONS_MAX]


def plain_value(value):
    """A JSON-safe, human-readable form of a field value."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [plain_value(v) for v in value]
    if hasattr(value, "code") and not isinstance(value, str):  # django-countries Country
        return value.code
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict:
    """Current values of `fields` (FKs by id), for a before/after comparison."""
    data = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if is_country_field(field):
            data[name] = country_code(instance, name)
            continue
        attname = field.attname if field.is_relation else name
        data[name] = plain_value(getattr(instance, attname))
    return data


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for every field whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def creation_changes(after: dict) -> dict:
    """diff({}, after), faster: {field: [None, value]} for every value that is not None."""
    return {k: [None, v] for k, v in after.items() if v is not None}


def audit_change(
    *,
    actor,
    action: AuditAction,
    instance: models.Model,
    changes: dict,
    person=None,
    note: str = "",
) -> AuditEvent:
    """A change event. `action`: a member of AuditAction (ValueError for anything else)."""
    return AuditEvent.objects.create(
        kind=AuditEvent.Kind.CHANGE,
        action=check_action(action),
        actor=actor,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        person=person,
        changes=changes,
        note=note,
    )


def audit_access(*, actor, instance: models.Model, person=None, note: str = "") -> AuditEvent:
    """An access event: the "view" action of the instance's object (PERSON_VIEW...)."""
    return AuditEvent.objects.create(
        kind=AuditEvent.Kind.ACCESS,
        action=action_for(instance._meta.label_lower, "view"),
        actor=actor,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        person=person,
        note=note,
    )
