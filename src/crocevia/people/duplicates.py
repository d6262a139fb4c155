"""Duplicate records: the pairs a coordinator checks, and the merge of two into one.

Writes, atomic and audited, like services.py. A pair is found when two live records
share a birth date and a similar name (transliterations, inverted names: core.text), or
when one holds back the code the other has (migration 0005: duplicates that existed
before a code identified one person). A coordinator then merges the two, or records that
they are different persons; either decision is kept, so a later scan does not ask again.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import coordinated_zone_ids, organisation_ids
from crocevia.audit.actions import AuditAction
from crocevia.audit.sensitive import redact
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.countries import country_code

from .models import DuplicatePair, Person, PersonAlias
from .pairs import ordered_pair, scan_duplicates
from .services import (
    AUDITED_PERSON_FIELDS,
    PERSON_FIELDS,
    ConflictError,
    _apply_and_validate,
    _save_unique,
)
from .validators import canonical_codice_fiscale

# The fields whose surviving value the coordinator picks (the external id is never moved:
# the merged record keeps its own, and imports find the survivor through it).
MERGE_FIELDS = tuple(f for f in PERSON_FIELDS if f != "external_id")

# Relations to a person a merge never moves: the audit trail is append-only evidence (the
# access report of the survivor covers its merged records instead).
_NEVER_MOVED = {"audit.auditevent", "people.personalias"}


@transaction.atomic
def pair_mark_distinct(*, actor, pair: DuplicatePair) -> DuplicatePair:
    """The coordinator checked the pair: two different persons. Audited on both."""
    current = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
    if current.status != DuplicatePair.Status.OPEN:
        raise ValidationError(_("This pair has been decided already."), code="decided")
    if current.reason == DuplicatePair.Reason.SAME_CODE:
        raise ValidationError(
            _(
                "Two different persons cannot have the same codice fiscale: correct the "
                "code of the record that holds it wrongly, or merge the two."
            ),
            code="same_code",
        )
    current.status = DuplicatePair.Status.DISTINCT
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.save(update_fields=["status", "decided_by", "decided_at"])
    for person_id, other in (
        (current.person_a_id, current.person_b_id),
        (current.person_b_id, current.person_a_id),
    ):
        audit_change(
            actor=actor,
            action=AuditAction.DUPLICATE_MARK_DISTINCT,
            instance=current,
            changes={"status": ["open", "distinct"], "other_person": [None, other]},
            person=Person(pk=person_id),
        )
    return current


# --- merge ------------------------------------------------------------------------------------


def merge_problems(survivor: Person, merged: Person, *, user=None) -> list[str]:
    """Why these two records cannot be merged now (empty: they can). Each reason says
    what to do first. For `user` (None: whoever may know all), an organisation they do
    not work in nor coordinate is not named: an open case at a health service is itself
    sensitive."""
    problems = []
    if survivor.pk == merged.pk:
        return [_("A record cannot be merged with itself.")]
    if survivor.is_merged or merged.is_merged:
        return [_("One of the two records has been merged into another already.")]
    named = _organisation_namer(user)
    # A person has one open case at a time (cases.services opens no second one): two
    # records with an open case each would make a person with two.
    open_cases = defaultdict(set)  # record -> organisations where it has an open case
    for rel in _moved_relations():
        model = rel.related_model
        if model._meta.label_lower != "cases.case":
            continue
        for person_id, *organisation in model._default_manager.filter(
            **{f"{rel.field.name}__in": [survivor.pk, merged.pk]}, closed_on__isnull=True
        ).values_list(
            rel.field.attname, "organisation_id", "organisation__zone_id", "organisation__name"
        ):
            open_cases[person_id].add(named(*organisation))
    if len(open_cases) == 2:
        shared = open_cases[survivor.pk] & open_cases[merged.pk]
        for organisation in sorted(shared):
            problems.append(
                _(
                    "Both records have an open case at %(organisation)s: close or merge the "
                    "cases first."
                )
                % {"organisation": organisation}
            )
        if not shared:
            problems.append(
                _(
                    "Both records have an open case (at %(first)s and at %(second)s), and a "
                    "person has one open case at a time: close one of the two cases first."
                )
                % {
                    "first": ", ".join(sorted(open_cases[survivor.pk])),
                    "second": ", ".join(sorted(open_cases[merged.pk])),
                }
            )
    if (
        survivor.household_id
        and merged.household_id
        and survivor.household_id != merged.household_id
    ):
        problems.append(
            _(
                "The two records belong to two different households: take one of them out "
                "of their household first."
            )
        )
    return problems


def _organisation_namer(user):
    """(id, zone id, name) -> the name, or "another organisation" for one `user` neither
    works in nor coordinates."""
    if user is None or user.is_superuser:
        return lambda _pk, _zone, name: name
    own, zones = set(organisation_ids(user)), set(coordinated_zone_ids(user))

    def named(pk, zone, name):
        return name if pk in own or zone in zones else _("another organisation")

    return named


def _moved_relations():
    """The foreign keys to a person that a merge moves to the survivor."""
    return [
        rel
        for rel in Person._meta.related_objects
        if (rel.one_to_many or rel.one_to_one)
        and rel.related_model._meta.label_lower not in _NEVER_MOVED
    ]


def _value(person: Person, field: str):
    if field in ("citizenship", "birth_country"):
        return country_code(person, field)
    if field == "comune":
        return person.comune
    value = getattr(person, field)
    return list(value) if isinstance(value, list) else value


def merge_differences(survivor: Person, merged: Person) -> list[str]:
    """The fields whose values differ between the two records (the coordinator's choices)."""
    return [f for f in MERGE_FIELDS if _value(survivor, f) != _value(merged, f)]


@transaction.atomic
def person_merge(
    *,
    actor,
    survivor: Person,
    merged: Person,
    take_from_merged=(),
    expected_versions: tuple[int, int] | None = None,
) -> Person:
    """Merge `merged` into `survivor`; returns the survivor.

    `take_from_merged`: the fields (of MERGE_FIELDS) whose value the survivor takes from
    the merged record; the others keep the survivor's. Contacts, cases, consents,
    referrals, language needs, applications and earlier merged records move to the
    survivor, and so do the merged record's other codes; its own codice fiscale, when it
    differs from the survivor's, stays searchable as an alias. The merged record becomes
    a tombstone (merged_into) that keeps its external id, so an import of the old
    register finds the survivor. One audit event names both. ValidationError (with the
    reasons) when a rule forbids it (merge_problems); ConflictError when either record
    changed since `expected_versions` (survivor, merged) were read.
    """
    unknown = set(take_from_merged) - set(MERGE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown merge fields: {', '.join(sorted(unknown))}")
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
    }
    keep, gone = locked.get(survivor.pk), locked.get(merged.pk)
    if keep is None or gone is None:
        raise ValidationError(_("One of the two records no longer exists."), code="missing")
    if expected_versions is not None:
        for person, version in zip((keep, gone), expected_versions, strict=True):
            if person.version != version:
                raise ConflictError(person)
    problems = merge_problems(keep, gone, user=actor)
    if problems:
        raise ValidationError(problems, code="merge_refused")

    before = snapshot(keep, AUDITED_PERSON_FIELDS)
    keep_code, gone_code = keep.codice_fiscale, gone.codice_fiscale
    gone_before = snapshot(gone, AUDITED_PERSON_FIELDS)
    # Free the merged record's code and identifiers first: they become the survivor's.
    gone.codice_fiscale = ""
    gone.save(update_fields=["codice_fiscale"])
    kept_aliases = set(PersonAlias.objects.filter(person=keep).values_list("kind", "value"))
    for alias in PersonAlias.objects.filter(person=gone):
        if (alias.kind, alias.value) in kept_aliases:
            alias.delete()
        else:
            alias.person = keep
            alias.save(update_fields=["person"])

    data = {f: _value(gone if f in take_from_merged else keep, f) for f in MERGE_FIELDS}
    # The codes as they were read (both records' codes were cleared above).
    chosen = gone_code if "codice_fiscale" in take_from_merged else keep_code
    data["codice_fiscale"] = chosen
    for issued in PersonAlias.objects.filter(person=keep, kind=PersonAlias.Kind.ISSUED):
        if canonical_codice_fiscale(issued.value) == chosen:
            data["codice_fiscale"] = issued.value  # as issued: the alias is kept
    if keep_code:
        # The survivor's own code is set again from `data`: let validation see it free.
        keep.codice_fiscale = ""
        keep.save(update_fields=["codice_fiscale"])
    _apply_and_validate(keep, data)
    final = keep.codice_fiscale
    PersonAlias.objects.filter(person=keep, kind=PersonAlias.Kind.ISSUED).exclude(
        value=keep._issued_cf
    ).delete()
    for old in (keep_code, gone_code):
        if old and old != final:
            PersonAlias.objects.get_or_create(person=keep, kind=PersonAlias.Kind.MERGED, value=old)
    # A code held back because another record had it is the survivor's own now, whichever
    # of the two codes the survivor keeps.
    PersonAlias.objects.filter(
        person=keep,
        kind=PersonAlias.Kind.HELD,
        value__in=[c for c in (final, keep_code, gone_code) if c],
    ).delete()
    if gone.household_id and not keep.household_id:
        keep.household_id = gone.household_id
        keep.household_relationship = gone.household_relationship
    keep.version += 1
    _save_unique(keep)

    # Which rows moved, by id: the audit event keeps them, so a wrong merge can be told
    # apart again (what belonged to which record).
    moved = {}
    for rel in _moved_relations():
        model = rel.related_model
        rows = model._default_manager.filter(**{rel.field.name: gone})
        ids = sorted(rows.values_list("pk", flat=True))
        if ids:
            model._default_manager.filter(pk__in=ids).update(**{rel.field.name: keep})
            moved[model._meta.label_lower] = ids

    gone.merged_into = keep
    gone.merged_at = timezone.now()
    gone.household = None
    gone.household_relationship = ""
    gone.version += 1
    gone.save(
        update_fields=[
            "merged_into",
            "merged_at",
            "household",
            "household_relationship",
            "version",
            "updated_at",
        ]
    )

    pair_a, pair_b = ordered_pair(keep.pk, gone.pk)
    now = timezone.now()
    decided = DuplicatePair.objects.filter(person_a_id=pair_a, person_b_id=pair_b).update(
        status=DuplicatePair.Status.MERGED, decided_by=actor, decided_at=now
    )
    if not decided:
        DuplicatePair.objects.create(
            person_a_id=pair_a,
            person_b_id=pair_b,
            reason=DuplicatePair.Reason.SIMILAR_NAME,
            status=DuplicatePair.Status.MERGED,
            decided_by=actor,
            decided_at=now,
        )
    _carry_pairs(gone=gone, keep=keep)

    changes = diff(before, snapshot(keep, AUDITED_PERSON_FIELDS))
    changes["merged_person"] = [None, gone.pk]
    # The merged record as it was, its sensitive fields recorded as "changed" only (the
    # trail redacts the top level of an event's changes, not a record nested in them).
    changes["merged_record"] = [redact(Person._meta.label_lower, gone_before), None]
    changes["moved"] = [None, moved]
    audit_change(
        actor=actor,
        action=AuditAction.PERSON_MERGE,
        instance=keep,
        changes=changes,
        person=keep,
        note=_("Record %(merged)s merged into record %(survivor)s.")
        % {"merged": gone.pk, "survivor": keep.pk},
    )
    scan_duplicates(birth_dates=[keep.birth_date])
    survivor.refresh_from_db()
    merged.refresh_from_db()
    return keep


def history_counts(pks) -> dict[int, dict[str, int]]:
    """{pk: {model label: rows}}: what each record holds that a merge moves (contacts,
    cases, consents..., records merged into it earlier as "people.person"). One query."""
    relations = _moved_relations()
    counts = {}
    for n, rel in enumerate(relations):
        rows = (
            rel.related_model._default_manager.filter(**{rel.field.name: OuterRef("pk")})
            .order_by()
            .values(rel.field.name)
            .annotate(n=Count("pk"))
            .values("n")
        )
        counts[f"n{n}"] = Coalesce(Subquery(rows), 0)
    result = {}
    for row in Person.objects.filter(pk__in=list(pks)).values("pk", **counts):
        result[row["pk"]] = {
            rel.related_model._meta.label_lower: row[f"n{n}"] for n, rel in enumerate(relations)
        }
    return result


def suggested_survivor(first: Person, second: Person, counts: dict) -> Person:
    """The record a merge should keep, unless the coordinator chooses: the one with more
    history (history_counts), else the one registered first."""

    def weight(person):
        return (-sum(counts.get(person.pk, {}).values()), person.created_at, person.pk)

    return min((first, second), key=weight)


def _carry_pairs(*, gone: Person, keep: Person) -> None:
    """The merged record's other pairs become the survivor's: an open one is the survivor's
    to check now, a decision (different persons) holds for the survivor too."""
    rows = DuplicatePair.objects.filter(Q(person_a=gone) | Q(person_b=gone)).exclude(
        status=DuplicatePair.Status.MERGED
    )
    for pair in list(rows):
        other = pair.person_b_id if pair.person_a_id == gone.pk else pair.person_a_id
        pair.delete()
        if other == keep.pk:
            continue
        a, b = ordered_pair(keep.pk, other)
        current = DuplicatePair.objects.filter(person_a_id=a, person_b_id=b).first()
        if current is None:
            DuplicatePair.objects.create(
                person_a_id=a,
                person_b_id=b,
                reason=pair.reason,
                status=pair.status,
                decided_by=pair.decided_by,
                decided_at=pair.decided_at,
            )
        elif (
            current.status == DuplicatePair.Status.OPEN
            and pair.status == DuplicatePair.Status.DISTINCT
        ):
            current.status = pair.status
            current.decided_by, current.decided_at = pair.decided_by, pair.decided_at
            current.save(update_fields=["status", "decided_by", "decided_at"])


def merged_ids(person: Person) -> list[int]:
    """The ids of the records merged into `person` (their trail is part of its history)."""
    return list(Person.objects.filter(merged_into=person).values_list("pk", flat=True))


def resolve_merged(pks) -> dict[int, int]:
    """{pk: the live record it stands for} (a merged record's survivor, or itself)."""
    return dict(
        (pk, into or pk)
        for pk, into in Person.objects.filter(pk__in=list(pks)).values_list("pk", "merged_into")
    )
