"""Every write to the registry: persons, households, consents. Atomic, validated, audited."""

import contextlib
import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import active_memberships
from crocevia.audit.actions import AuditAction
from crocevia.audit.bulk import insert_change_events
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.bulkdb import bulk_insert  # COPY on PostgreSQL
from crocevia.core.countries import country_code
from crocevia.core.dates import EARLIEST_BIRTH_DATE
from crocevia.core.errors import ConflictError as BaseConflictError
from crocevia.core.text import clean_line, fold, names_similar

from .models import Consent, DuplicatePair, Household, Person, PersonAlias, Relationship
from .pairs import record_pairs, scan_duplicates
from .validators import canonical_codice_fiscale, check_codice_fiscale, check_languages

# The fields a caller may set through person_create / person_update.
PERSON_FIELDS = (
    "family_name",
    "given_names",
    "sex",
    "birth_date",
    "citizenship",
    "birth_country",
    "codice_fiscale",
    "comune",
    "phone",
    "email",
    "languages",
    "needs_mediator",
    "permit_type",
    "permit_expires_on",
    "external_id",
)
# What the trail records of a person (the household fields change through their services).
AUDITED_PERSON_FIELDS = (*PERSON_FIELDS, "household", "household_relationship")

OLDEST_BIRTH_DATE = EARLIEST_BIRTH_DATE


class ConflictError(BaseConflictError):
    """The record changed since the caller read it (optimistic locking)."""

    def __init__(self, current):
        super().__init__(current, _("This record was changed by someone else in the meantime."))


class DuplicateSuspected(Exception):
    """Likely duplicates exist; the caller must confirm this is a different person."""

    def __init__(self, candidates: list[Person]):
        super().__init__(_("A similar person is already registered."))
        self.candidates = candidates


# --- one code, one person ------------------------------------------------------------------


def codice_fiscale_owners(codes) -> dict[str, int]:
    """{canonical code: id of the person it belongs to} for those of `codes` taken.

    A code belongs to the person who has it, and stays with a person who had it before
    (a provisional code replaced by the definitive one, the code of a record merged into
    them, an omocodia variant as issued): no other person may be registered with it.
    This is the rule every path that writes a code keeps (form, import, merge); the
    database's unique constraint on Person.codice_fiscale backs it against races.
    """
    codes = {c for c in codes if c}
    if not codes:
        return {}
    owners = dict(
        PersonAlias.objects.filter(value__in=codes, kind__in=PersonAlias.OWNED_KINDS).values_list(
            "value", "person_id"
        )
    )
    owners.update(
        Person.objects.filter(codice_fiscale__in=codes).values_list("codice_fiscale", "pk")
    )
    return owners


def code_taken_error(owner_pk: int) -> ValidationError:
    return ValidationError(
        _(
            "This codice fiscale is already registered for another person: a codice fiscale "
            "identifies one person. Open that person's record instead (or, if the two "
            "records are one person, ask a coordinator to merge them)."
        ),
        code="cf_taken",
        params={"person_id": owner_pk},
    )


def _sync_code_aliases(person: Person, *, previous: str, issued: str) -> None:
    """Keep the identifiers a code change leaves behind.

    `previous` is the stored code before the change, `issued` the code as typed or read
    when it is an omocodia variant of the stored canonical one ("" otherwise). The variant
    as issued is replaced only by another variant, and dropped only when the code itself
    changes (a form showing the canonical form, or a register without the variant, does
    not erase it). A provisional 11-digit code replaced by a definitive one stays
    searchable. A code held back (another record had it) is dropped once the record has
    a code of its own, and its pairs "same code" become pairs to check like any other.
    """
    current = person.codice_fiscale
    aliases = PersonAlias.objects.filter(person=person)
    if issued:
        aliases.filter(kind=PersonAlias.Kind.ISSUED).exclude(value=issued).delete()
        PersonAlias.objects.get_or_create(person=person, kind=PersonAlias.Kind.ISSUED, value=issued)
    elif current != previous:
        aliases.filter(kind=PersonAlias.Kind.ISSUED).delete()
    if previous and len(previous) == 11 and len(current) == 16:
        PersonAlias.objects.get_or_create(
            person=person, kind=PersonAlias.Kind.PROVISIONAL, value=previous
        )
    if current and aliases.filter(kind=PersonAlias.Kind.HELD).exists():
        aliases.filter(kind=PersonAlias.Kind.HELD).delete()
        DuplicatePair.objects.filter(
            Q(person_a=person) | Q(person_b=person),
            status=DuplicatePair.Status.OPEN,
            reason=DuplicatePair.Reason.SAME_CODE,
        ).update(reason=DuplicatePair.Reason.SIMILAR_NAME)


def _save_unique(person: Person, **kwargs) -> None:
    """Save; a concurrent registration of the same code is a field error, not a 500."""
    try:
        with transaction.atomic():
            person.save(**kwargs)
    except IntegrityError:
        if not person.codice_fiscale:
            raise
        owner = codice_fiscale_owners([person.codice_fiscale]).get(person.codice_fiscale)
        if owner is None or owner == person.pk:
            raise
        raise ValidationError({"codice_fiscale": [code_taken_error(owner)]}) from None


def lock_live_person(person: Person) -> None:
    """Hold `person`'s record for the rest of the transaction, before adding something to it.

    A merge locks both records too, so the two take turns: a contact, case, consent or
    referral added at the same moment is either moved by the merge or, written after it,
    refused here (ValidationError) instead of landing on a record nobody sees any more.
    """
    current = (
        Person.objects.select_for_update(no_key=True).only("pk", "merged_into").get(pk=person.pk)
    )
    if current.merged_into_id is not None:
        raise ValidationError(
            _(
                "This record was merged into record n. %(number)s in the meantime: "
                "open that record and record it there."
            )
            % {"number": current.merged_into_id},
            code="merged",
        )


# --- persons -------------------------------------------------------------------------------


def _check_keys(data: dict) -> None:
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"Unknown person fields: {', '.join(sorted(unknown))}")


def _apply_and_validate(person: Person, data: dict) -> None:
    """Set `data` on `person`, derive the search columns, and validate the whole record.

    Raises one ValidationError with every field's messages, so a form can show them all.
    """
    errors: dict[str, list] = {}
    for name, value in data.items():
        if isinstance(value, str) and name not in ("languages",):
            # Names and codes: NFC, trimmed, no invisible or direction-changing character.
            try:
                value = clean_line(value)
            except ValidationError as exc:
                errors[name] = [exc]
                value = ""
        setattr(person, name, value)
    if person.external_id == "":
        person.external_id = None
    person.search_name = fold(f"{person.family_name} {person.given_names}")[:250]

    try:
        person.full_clean(exclude=["codice_fiscale", "languages", *errors])
    except ValidationError as exc:
        errors.update(exc.error_dict)
    birth_date = person.birth_date if isinstance(person.birth_date, datetime.date) else None
    if birth_date and "birth_date" not in errors:
        if birth_date > timezone.localdate():
            errors["birth_date"] = [ValidationError(_("The birth date is in the future."))]
        elif birth_date < OLDEST_BIRTH_DATE:
            errors["birth_date"] = [ValidationError(_("The birth date is before 1900."))]
    person._issued_cf = ""
    try:
        issued = check_codice_fiscale(
            person.codice_fiscale,
            birth_date=birth_date,
            sex=person.sex if "sex" not in errors else None,
        )
    except ValidationError as exc:
        errors["codice_fiscale"] = [exc]
    else:
        # Stored in canonical form: the omocodia variants of a code are one code.
        person.codice_fiscale = canonical_codice_fiscale(issued)
        person._issued_cf = issued if issued != person.codice_fiscale else ""
        owner = codice_fiscale_owners([person.codice_fiscale]).get(person.codice_fiscale)
        if owner is not None and owner != person.pk:
            errors["codice_fiscale"] = [code_taken_error(owner)]
        elif person.pk is not None and owner == person.pk and len(person.codice_fiscale) == 11:
            stored = Person.objects.filter(pk=person.pk).values_list("codice_fiscale", flat=True)
            if len(stored.first() or "") == 16:
                errors["codice_fiscale"] = [
                    ValidationError(
                        _(
                            "This is the provisional code the person had before: their "
                            "definitive codice fiscale is %(code)s."
                        )
                        % {"code": stored.first()},
                        code="cf_provisional_replaced",
                    )
                ]
    try:
        person.languages = check_languages(person.languages)
    except ValidationError as exc:
        errors["languages"] = [exc]
    if errors:
        raise ValidationError(errors)


def _default_organisation(actor):
    memberships = sorted(active_memberships(actor), key=lambda m: m.pk)
    return memberships[0].organisation if memberships else None


def find_duplicates(
    *, family_name, given_names, birth_date, codice_fiscale="", exclude_pk=None
) -> list[Person]:
    """Likely duplicates in the whole registry (not scoped: the caller hides what it must).

    Same codice fiscale, or same birth date and a similar name (transliteration variants
    and inverted family/given names included). Candidates are read through the
    codice_fiscale and birth_date indexes, so the check stays fast on a large registry.
    """
    cf = (codice_fiscale or "").strip().upper().replace(" ", "")
    if len(cf) == 16:
        with contextlib.suppress(ValidationError):  # an invalid code matches nobody anyway
            cf = canonical_codice_fiscale(check_codice_fiscale(cf, birth_date=None, sex=None))
    condition = Q()
    if birth_date:
        condition |= Q(birth_date=birth_date)
    if cf:
        condition |= Q(codice_fiscale=cf)
    if not condition:
        return []
    rows = Person.objects.filter(condition, merged_into__isnull=True).select_related("comune")
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    name = (family_name or "", given_names or "")
    return [
        p
        for p in rows
        if (cf and p.codice_fiscale == cf) or names_similar(name, (p.family_name, p.given_names))
    ]


@transaction.atomic
def person_create(
    *, actor, data: dict, organisation=None, confirmed_distinct: bool = False
) -> Person:
    """Register a person. Raises ValidationError, or DuplicateSuspected unless confirmed.

    A codice fiscale already registered is a ValidationError no confirmation overrides;
    a similar name with the same birth date is a DuplicateSuspected the caller may
    confirm as a different person (the pair then waits in the duplicates queue).
    """
    _check_keys(data)
    person = Person()
    _apply_and_validate(person, data)
    candidates = find_duplicates(
        family_name=person.family_name,
        given_names=person.given_names,
        birth_date=person.birth_date,
    )
    if candidates and not confirmed_distinct:
        raise DuplicateSuspected(candidates)
    person.created_by = actor
    person.created_by_organisation = organisation or _default_organisation(actor)
    person.version = 1
    _save_unique(person)
    _sync_code_aliases(person, previous="", issued=person._issued_cf)
    # Confirmed by the operator; a coordinator still sees the pairs in the duplicates queue.
    record_pairs((person.pk, c.pk, DuplicatePair.Reason.SIMILAR_NAME) for c in candidates)
    audit_change(
        actor=actor,
        action=AuditAction.PERSON_CREATE,
        instance=person,
        changes=diff({}, snapshot(person, AUDITED_PERSON_FIELDS)),
        person=person,
        note=_("Confirmed as a different person from a likely duplicate.")
        if confirmed_distinct
        else "",
    )
    return person


@transaction.atomic
def person_update(*, actor, person, data: dict, expected_version: int | None = None) -> Person:
    """Change a person's registry data. ConflictError if it changed since `expected_version`.

    Returns the saved record; `person` itself is refreshed too.
    """
    _check_keys(data)
    current = Person.objects.select_for_update().get(pk=person.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(current)
    if current.is_merged:
        raise ValidationError(
            _("This record was merged into another: change the record it was merged into."),
            code="merged",
        )
    before = snapshot(current, AUDITED_PERSON_FIELDS)
    previous_code = current.codice_fiscale
    _apply_and_validate(current, data)
    changes = diff(before, snapshot(current, AUDITED_PERSON_FIELDS))
    if changes:
        current.version += 1
        _save_unique(current)
        audit_change(
            actor=actor,
            action=AuditAction.PERSON_UPDATE,
            instance=current,
            changes=changes,
            person=current,
        )
    _sync_code_aliases(current, previous=previous_code, issued=current._issued_cf)
    if changes.keys() & {"family_name", "given_names", "birth_date"}:
        scan_duplicates(birth_dates=[current.birth_date])
    if person is not current:
        person.refresh_from_db()
    return current


# --- households ----------------------------------------------------------------------------


def _set_membership(person: Person, household, relationship: str) -> dict:
    before = snapshot(person, ("household", "household_relationship"))
    person.household = household
    person.household_relationship = relationship
    # Only these columns: a concurrent edit of the registry data is not overwritten.
    person.save(update_fields=["household", "household_relationship", "updated_at"])
    return diff(before, snapshot(person, ("household", "household_relationship")))


@transaction.atomic
def household_create(*, actor, reference_person, external_id=None) -> Household:
    """A new household with `reference_person` as its reference person."""
    person = Person.objects.select_for_update().get(pk=reference_person.pk)
    if person.household_id:
        raise ValidationError(
            {"household": _("This person already belongs to a household.")},
            code="already_member",
        )
    household = Household(external_id=external_id or None, created_by=actor)
    household.full_clean()
    household.save()
    changes = _set_membership(person, household, Relationship.REFERENCE)
    audit_change(
        actor=actor,
        action=AuditAction.HOUSEHOLD_CREATE,
        instance=household,
        changes={"reference_person": [None, person.pk]},
        person=person,
    )
    audit_change(
        actor=actor,
        action=AuditAction.PERSON_UPDATE,
        instance=person,
        changes=changes,
        person=person,
    )
    reference_person.household = household
    reference_person.household_relationship = Relationship.REFERENCE
    return household


@transaction.atomic
def household_add_member(*, actor, household, person, relationship) -> Person:
    """Add `person` to `household`, with their relationship to the reference person."""
    member = Person.objects.select_for_update().get(pk=person.pk)
    if relationship not in Relationship.values:
        raise ValidationError(
            {"relationship": _("Choose a relationship from the list.")}, code="invalid_choice"
        )
    if (
        relationship == Relationship.REFERENCE
        and household.members.filter(household_relationship=Relationship.REFERENCE)
        .exclude(pk=member.pk)
        .exists()
    ):
        raise ValidationError(
            {"relationship": _("The household already has a reference person.")},
            code="reference_exists",
        )
    if member.household_id == household.pk:
        raise ValidationError(
            {"person": _("This person is already a member of the household.")},
            code="already_member",
        )
    if member.household_id:
        raise ValidationError(
            {"person": _("This person belongs to another household: remove them from it first.")},
            code="other_household",
        )
    changes = _set_membership(member, household, relationship)
    audit_change(
        actor=actor,
        action=AuditAction.HOUSEHOLD_ADD_MEMBER,
        instance=household,
        changes={"member": [None, member.pk], "relationship": [None, relationship]},
        person=member,
    )
    audit_change(
        actor=actor,
        action=AuditAction.PERSON_UPDATE,
        instance=member,
        changes=changes,
        person=member,
    )
    person.household = household
    person.household_relationship = relationship
    return member


@transaction.atomic
def household_remove_member(*, actor, person) -> Person:
    """Take `person` out of their household. The reference person leaves last."""
    member = Person.objects.select_for_update().get(pk=person.pk)
    household = member.household
    if household is None:
        raise ValidationError(
            {"person": _("This person does not belong to a household.")}, code="not_member"
        )
    if (
        member.household_relationship == Relationship.REFERENCE
        and household.members.exclude(pk=member.pk).exists()
    ):
        raise ValidationError(
            {
                "person": _(
                    "The reference person can leave the household only after the other members."
                )
            },
            code="reference_last",
        )
    relationship = member.household_relationship
    changes = _set_membership(member, None, "")
    audit_change(
        actor=actor,
        action=AuditAction.HOUSEHOLD_REMOVE_MEMBER,
        instance=household,
        changes={"member": [member.pk, None], "relationship": [relationship, None]},
        person=member,
    )
    audit_change(
        actor=actor,
        action=AuditAction.PERSON_UPDATE,
        instance=member,
        changes=changes,
        person=member,
    )
    person.household = None
    person.household_relationship = ""
    return member


# --- consents ------------------------------------------------------------------------------

CONSENT_FIELDS = ("scope", "given_on", "withdrawn_on", "notes", "collected_by")


@transaction.atomic
def consent_record(*, actor, person, scope, given_on, notes="") -> Consent:
    """Record a consent the person gave, collected by `actor`."""
    lock_live_person(person)
    consent = Consent(
        person=person,
        scope=scope,
        given_on=given_on,
        collected_by=actor,
        notes=(notes or "").strip(),
    )
    errors = {}
    try:
        consent.full_clean()
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if isinstance(given_on, datetime.date) and given_on > timezone.localdate():
        errors.setdefault("given_on", []).append(
            ValidationError(_("The date of the consent cannot be in the future."))
        )
    if errors:
        raise ValidationError(errors)
    consent.save()
    audit_change(
        actor=actor,
        action=AuditAction.CONSENT_CREATE,
        instance=consent,
        changes=diff({}, snapshot(consent, CONSENT_FIELDS)),
        person=person,
    )
    return consent


@transaction.atomic
def consent_withdraw(*, actor, consent, withdrawn_on) -> Consent:
    """Record that the person withdrew a consent on `withdrawn_on`."""
    current = Consent.objects.select_for_update().get(pk=consent.pk)
    if current.withdrawn_on is not None:
        raise ValidationError(
            {"withdrawn_on": _("This consent has already been withdrawn.")},
            code="already_withdrawn",
        )
    if not isinstance(withdrawn_on, datetime.date):
        raise ValidationError({"withdrawn_on": _("Enter a valid date.")}, code="invalid")
    if withdrawn_on > timezone.localdate():
        raise ValidationError(
            {"withdrawn_on": _("The date of withdrawal cannot be in the future.")},
            code="future",
        )
    if withdrawn_on < current.given_on:
        raise ValidationError(
            {"withdrawn_on": _("A consent cannot be withdrawn before it was given.")},
            code="before_given",
        )
    before = snapshot(current, CONSENT_FIELDS)
    current.withdrawn_on = withdrawn_on
    current.save(update_fields=["withdrawn_on"])
    audit_change(
        actor=actor,
        action=AuditAction.CONSENT_WITHDRAW,
        instance=current,
        changes=diff(before, snapshot(current, CONSENT_FIELDS)),
        person=current.person,
    )
    consent.withdrawn_on = withdrawn_on
    return current


# --- bulk import (interchange) ---------------------------------------------------------------

# What an import may set on a person (household by the household's external id).
IMPORT_PERSON_FIELDS = (
    "external_id",
    "family_name",
    "given_names",
    "sex",
    "birth_date",
    "citizenship",
    "birth_country",
    "codice_fiscale",
    "comune_id",
    "languages",
    "needs_mediator",
    "permit_type",
    "permit_expires_on",
)


def _import_audit(actor, label, entries):
    insert_change_events(label, actor, entries)


def _import_snapshot(person: Person) -> dict:
    """snapshot(person, AUDITED_PERSON_FIELDS) without per-field lookups (bulk speed)."""
    return {
        "family_name": person.family_name,
        "given_names": person.given_names,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "citizenship": country_code(person, "citizenship"),
        "birth_country": country_code(person, "birth_country"),
        "codice_fiscale": person.codice_fiscale,
        "comune": person.comune_id,
        "phone": person.phone,
        "email": person.email,
        "languages": list(person.languages),
        "needs_mediator": person.needs_mediator,
        "permit_type": person.permit_type,
        "permit_expires_on": person.permit_expires_on.isoformat()
        if person.permit_expires_on
        else None,
        "external_id": person.external_id,
        "household": person.household_id,
        "household_relationship": person.household_relationship,
    }


@transaction.atomic
def persons_import_bulk(*, actor, rows: list[dict], organisation=None) -> tuple[int, int, int]:
    """Create or update persons keyed by external_id; returns (created, updated, unchanged).

    For imports of already validated rows (interchange: every cell checked with the
    validators of this app): each row holds IMPORT_PERSON_FIELDS and `household_id`, the
    external id of the household ("" for none; a missing household is created), with the
    codice fiscale in canonical form, free (the caller checked codice_fiscale_owners), and
    `issued_cf` the code as read when it is an omocodia variant. A row of a record merged
    into another changes nothing (counted unchanged). Unchanged rows are not written;
    every created or changed person and household gets an audit event with old and new
    values. A person moved to another household loses their
    relationship (to be set again on the household page); new members have none.
    """
    household_keys = {r["household_id"] for r in rows if r["household_id"]}
    households = {
        h.external_id: h.pk for h in Household.objects.filter(external_id__in=household_keys)
    }
    missing = sorted(household_keys - set(households))
    if missing:
        made = bulk_insert(
            Household, [Household(external_id=key, created_by=actor) for key in missing]
        )
        _import_audit(
            actor,
            Household._meta.label_lower,
            [
                (AuditAction.HOUSEHOLD_CREATE, h.pk, {"external_id": [None, h.external_id]}, None)
                for h in made
            ],
        )
        households.update({h.external_id: h.pk for h in made})

    existing = {
        p.external_id: p
        for p in Person.objects.filter(external_id__in=[r["external_id"] for r in rows])
    }
    issued_now = dict(
        PersonAlias.objects.filter(
            person_id__in=[p.pk for p in existing.values()], kind=PersonAlias.Kind.ISSUED
        ).values_list("person_id", "value")
    )
    # The rule of one code, one person holds here too, whoever the caller.
    owners = codice_fiscale_owners(r["codice_fiscale"] for r in rows)
    for row in rows:
        owner = owners.get(row["codice_fiscale"])
        own = existing.get(row["external_id"])
        if owner is not None and (own is None or owner != (own.merged_into_id or own.pk)):
            raise ValidationError({"codice_fiscale": [code_taken_error(owner)]}, code="cf_taken")
    new, changed, entries = [], [], []
    recoded = []  # (person, previous code, issued code): their aliases follow the change
    update_fields = set()
    for row in rows:
        household_id = households.get(row["household_id"]) if row["household_id"] else None
        person = existing.get(row["external_id"])
        issued = row.get("issued_cf", "")
        if person is not None and person.merged_into_id:
            # The register's id of a record merged into another: the merge chose the
            # survivor's data; the old register does not undo it.
            continue
        if person is None:
            person = Person(
                household_id=household_id,
                created_by=actor,
                created_by_organisation=organisation,
                version=1,
                **{name: row[name] for name in IMPORT_PERSON_FIELDS},
            )
            person.search_name = fold(f"{person.family_name} {person.given_names}")[:250]
            new.append(person)
            continue
        previous = person.codice_fiscale
        before = snapshot(person, AUDITED_PERSON_FIELDS)
        for name in IMPORT_PERSON_FIELDS:
            setattr(person, name, row[name])
        if person.household_id != household_id:
            person.household_id = household_id
            person.household_relationship = ""
        changes = diff(before, snapshot(person, AUDITED_PERSON_FIELDS))
        if previous != person.codice_fiscale or issued_now.get(person.pk, "") != issued:
            recoded.append((person, previous, issued))
        if changes:
            person.search_name = fold(f"{person.family_name} {person.given_names}")[:250]
            person.version += 1
            changed.append(person)
            update_fields.update(changes)
            entries.append((AuditAction.PERSON_UPDATE, person.pk, changes, person.pk))
    if new:
        bulk_insert(Person, new)
        entries.extend(
            (AuditAction.PERSON_CREATE, p.pk, diff({}, _import_snapshot(p)), p.pk) for p in new
        )
        issued_of = {r["external_id"]: r.get("issued_cf", "") for r in rows}
        PersonAlias.objects.bulk_create(
            [
                PersonAlias(person=p, kind=PersonAlias.Kind.ISSUED, value=issued_of[p.external_id])
                for p in new
                if issued_of.get(p.external_id)
            ],
            batch_size=500,
        )
    if changed:
        now = timezone.now()
        for person in changed:
            person.updated_at = now
        fields = {"search_name", "version", "updated_at", *update_fields}
        Person.objects.bulk_update(changed, sorted(fields))
    for person, previous, issued in recoded:
        _sync_code_aliases(person, previous=previous, issued=issued)
    _import_audit(actor, Person._meta.label_lower, entries)
    return len(new), len(changed), len(rows) - len(new) - len(changed)
