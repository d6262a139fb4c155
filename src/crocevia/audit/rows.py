"""Create, update and delete one row with its audit event, in one transaction.

The services of the installation's reference data (operators and their memberships,
zones, Comuni, organisations, desks, catalogues) are all "these fields of this row, with
these many-to-many links": each names its fields and its actions and calls these three.
Values are validated by the model (`full_clean`: field rules, uniqueness, constraints)
before anything is written; a save that changes nothing writes nothing and no event.
Many-to-many links are recorded as the sorted ids of the linked rows.
"""

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models.deletion import Collector
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .services import audit_change, creation_changes, diff, snapshot


def row_state(instance: models.Model, fields: Sequence[str], m2m: Sequence[str] = ()) -> dict:
    """The audited values of a row: `fields` as snapshot() gives them, links as ids."""
    data = snapshot(instance, fields)
    for name in m2m:
        data[name] = sorted(getattr(instance, name).values_list("pk", flat=True))
    return data


def _ids(objects: Iterable) -> list:
    return sorted(obj.pk if isinstance(obj, models.Model) else obj for obj in objects)


def split_values(values: dict, fields: Sequence[str], m2m: Sequence[str]) -> tuple[dict, dict]:
    unknown = set(values) - set(fields) - set(m2m)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    plain = {k: v for k, v in values.items() if k in fields}
    links = {k: list(v) for k, v in values.items() if k in m2m}
    return plain, links


@transaction.atomic
def row_create(
    *,
    actor,
    model: type[models.Model],
    action: str,
    fields: Sequence[str],
    values: dict,
    m2m: Sequence[str] = (),
) -> models.Model:
    plain, links = split_values(values, fields, m2m)
    instance = model(**plain)
    instance.full_clean()
    instance.save()
    for name, objects in links.items():
        getattr(instance, name).set(objects)
    audit_change(
        actor=actor,
        action=action,
        instance=instance,
        changes=creation_changes(row_state(instance, fields, m2m)),
    )
    return instance


@transaction.atomic
def row_update(
    *,
    actor,
    instance: models.Model,
    action: str,
    fields: Sequence[str],
    values: dict,
    m2m: Sequence[str] = (),
) -> bool:
    """Apply `values` to the row of `instance` (locked, read afresh: `instance` may carry
    unsaved edits). True if something changed; `instance` then holds the saved values."""
    plain, links = split_values(values, fields, m2m)
    row = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    before = row_state(row, fields, m2m)
    for name, value in plain.items():
        setattr(row, name, value)
    row.full_clean()
    after = snapshot(row, fields)
    for name in m2m:
        after[name] = _ids(links[name]) if name in links else before[name]
    changes = diff(before, after)
    if not changes:
        return False
    changed_fields = [name for name in fields if name in changes]
    if changed_fields:
        row.save(update_fields=changed_fields)
    for name in m2m:
        if name in changes:
            getattr(row, name).set(links[name])
    audit_change(actor=actor, action=action, instance=row, changes=changes)
    for name in fields:
        field = row._meta.get_field(name)
        setattr(instance, field.attname, getattr(row, field.attname))
    return True


def row_dependants(instance: models.Model, m2m: Sequence[str] = ()) -> list[str]:
    """What else deleting `instance` would delete or unlink (beyond its own `m2m` links,
    which its event records), as "Desks: 2". A cascade or a vanished link would change
    other rows with no event of their own (a desk leaving operators' memberships changes
    what they see), so a row with any is not deleted: it is deactivated or emptied first.
    Rows protected by the database rules raise ProtectedError or RestrictedError here."""
    model = type(instance)
    own = {model} | {getattr(model, name).through for name in m2m}
    collector = Collector(using=router.db_for_write(model), origin=instance)
    collector.collect([instance])
    counts: dict = {}
    for related, rows in collector.data.items():
        if related not in own and rows:
            counts[related] = counts.get(related, 0) + len(rows)
    for queryset in collector.fast_deletes:
        if queryset.model not in own:
            found = queryset.count()
            if found:
                counts[queryset.model] = counts.get(queryset.model, 0) + found
    return sorted(
        f"{capfirst(related._meta.verbose_name_plural)}: {n}" for related, n in counts.items()
    )


@transaction.atomic
def row_delete(
    *,
    actor,
    instance: models.Model,
    action: str,
    fields: Sequence[str],
    m2m: Sequence[str] = (),
) -> None:
    """Delete the row; its event keeps what it held (its `m2m` links included). A row
    other rows depend on is refused (row_dependants), with nothing written."""
    dependants = row_dependants(instance, m2m)
    if dependants:
        raise ValidationError(
            _("It cannot be deleted while other records use it: %(used)s.")
            % {"used": "; ".join(dependants)},
            code="in_use",
        )
    before = row_state(instance, fields, m2m)
    pk = instance.pk
    instance.delete()
    instance.pk = pk
    changes = {k: [v, None] for k, v in before.items() if v not in (None, "", [])}
    audit_change(actor=actor, action=action, instance=instance, changes=changes)
