"""Sensitive fields: the trail records that they changed, never their values.

Each model names its sensitive fields once, as a class attribute read here by label (the
audit knows models only by label):

    class Intake(models.Model):
        AUDIT_SENSITIVE_FIELDS = ("health_declared", ...)

A name may be a field or a key a service writes into an event's changes for that model
(a plan version's "objectives"). Every path that writes change events passes its changes
through redact() or redact_json(): AuditEvent.save() and bulk_create() (so audit_change and
every service), and the imports' rows (audit.bulk.change_event_rows, by COPY on
PostgreSQL). The entry of a sensitive field becomes SENSITIVE_CHANGE: "it changed", with
no old or new value. The rule: free text written about a person (notes, minutes, the
intake's narrative) may carry special-category data, health above all, whatever the field
is called; so may a coded value that reveals health (a permit for medical treatment).
"""

import functools
import json

from django.apps import apps

ATTRIBUTE = "AUDIT_SENSITIVE_FIELDS"
# The entry of a sensitive field in an event's changes, and its JSON text as written by
# json.dumps (the imports' fast writers use the text as it is).
SENSITIVE_CHANGE = {"changed": True}
SENSITIVE_CHANGE_JSON = json.dumps(SENSITIVE_CHANGE)


# The labels events were written under for models that moved to another app since (the
# table kept, the label changed): the app the model moved to fills it in its
# AppConfig.ready(), so the old events still name their model (and hide its sensitive
# fields).
_MOVED: dict[str, str] = {}


def register_moved_model(former_label: str, label: str) -> None:
    """Events labelled `former_label` ("cases.meeting") are about the model now `label`."""
    _MOVED[former_label.lower()] = label.lower()
    sensitive_fields.cache_clear()


def model_for(object_type: str):
    """The model labelled `object_type` (or its former label), or None."""
    try:
        return apps.get_model(_MOVED.get(object_type, object_type))
    except (LookupError, ValueError):
        return None


@functools.cache
def sensitive_fields(object_type: str) -> frozenset[str]:
    """The sensitive fields of the model labelled `object_type` ("assessments.intake")."""
    model = model_for(object_type)
    if model is None:
        return frozenset()
    return frozenset(getattr(model, ATTRIBUTE, ()))


def is_sensitive_entry(value) -> bool:
    return value == SENSITIVE_CHANGE


def redact(object_type: str, changes):
    """`changes` with the entry of each sensitive field replaced by SENSITIVE_CHANGE."""
    keys = sensitive_fields(object_type)
    if not keys or not isinstance(changes, dict) or keys.isdisjoint(changes):
        return changes
    return {k: (dict(SENSITIVE_CHANGE) if k in keys else v) for k, v in changes.items()}


def redact_json(object_type: str, text: str) -> str:
    """redact() of changes given as JSON text. Text whose sensitive keys are all already
    SENSITIVE_CHANGE (or absent) is returned as it is, without parsing: an import writes
    hundreds of thousands of these."""
    keys = sensitive_fields(object_type)
    for key in keys:
        # A key is a Python identifier: its JSON is itself in quotes. Inside a JSON
        # string a quote is escaped, so a value cannot imitate a key here.
        found = text.count(f'"{key}"')
        if found and found != text.count(f'"{key}": {SENSITIVE_CHANGE_JSON}'):
            return json.dumps(redact(object_type, json.loads(text)))
    return text
