"""Every write of the desk: contacts and language needs, validated and audited.

Validation errors are ValidationError dicts keyed by the names of the contact form's fields
(desk, date, services, outcome, referred_to, notes, italian_level, needs_job_italian,
work_sector), so a view can show each message beside its field.
"""

import datetime
import json
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.audit.actions import AuditAction
from crocevia.audit.bulk import (
    CHANGE_EVENT_COLUMNS,
    change_event_json,
    change_event_line,
    change_event_rows,
)
from crocevia.audit.chain import schedule_seal
from crocevia.audit.models import AuditEvent
from crocevia.audit.rows import row_create, row_update
from crocevia.audit.sensitive import SENSITIVE_CHANGE_JSON
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.bulkdb import (
    COPY_NULL,
    BackgroundInserts,
    allocate_ids,
    bulk_insert_rows,
    copy_text,
    copy_timestamp,
    json_string,
    select_any,
)
from crocevia.core.dates import EARLIEST_EVENT_DATE
from crocevia.core.errors import ConflictError as BaseConflictError
from crocevia.core.errors import FieldErrors
from crocevia.network.selectors import desks_of
from crocevia.people.models import SharingBasis
from crocevia.people.selectors import persons_visible_to
from crocevia.people.services import lock_live_person
from crocevia.people.sharing import has_network_sharing_consent

from .models import (
    Contact,
    ContactService,
    DeskService,
    ItalianLevel,
    LanguageNeed,
    WorkSector,
)
from .referrals import check_contact_sharing, sync_contact_referral

# Contacts before this date are typing mistakes, not history (the services are younger).
EARLIEST_DATE = EARLIEST_EVENT_DATE

CONTACT_AUDIT_FIELDS = [
    "person",
    "desk",
    "date",
    "outcome",
    "referred_to",
    "notes",
    "operator",
    "external_id",
]
LANGUAGE_NEED_AUDIT_FIELDS = [
    "person",
    "contact",
    "recorded_on",
    "italian_level",
    "needs_job_italian",
    "work_sector",
]

_UNSET = object()


class ConflictError(BaseConflictError):
    """The contact changed since the operator opened it; their edit is refused."""

    def __init__(self, current: Contact):
        super().__init__(current, _("This contact was changed by someone else in the meantime."))


def _check_date(errors: FieldErrors, field: str, day) -> None:
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        errors.add(field, _("Enter a valid date."))
    elif day > timezone.localdate():
        errors.add(field, _("The date cannot be in the future."))
    elif day < EARLIEST_DATE:
        errors.add(
            field,
            _("The date cannot be before %(date)s.") % {"date": EARLIEST_DATE.strftime("%d/%m/%Y")},
        )


def validate_contact_date(day) -> None:
    """Raise ValidationError unless `day` is a plausible date for a contact (used by forms)."""
    errors = FieldErrors()
    _check_date(errors, "date", day)
    if errors.errors:
        raise ValidationError(errors.errors["date"])


def validate_referral(outcome, referred_to, *, contact: Contact | None = None) -> None:
    """Raise ValidationError({field: ...}) unless outcome and receiver agree (used by forms).

    `contact`: the contact being edited, whose unnamed receiver may stay unnamed (see
    _check_outcome)."""
    errors = FieldErrors()
    _check_outcome(errors, outcome, referred_to, unnamed_allowed=_keeps_unnamed(contact))
    errors.raise_if_any()


def _keeps_unnamed(contact: Contact | None) -> bool:
    return contact is not None and contact.receiver_not_named


def _resolve_services(errors: FieldErrors, services, *, allowed_inactive=()) -> list[DeskService]:
    """DeskService objects from objects or codes; unknown or inactive ones are named."""
    items = list(services or [])
    codes = [s for s in items if isinstance(s, str)]
    objects = [s for s in items if isinstance(s, DeskService)]
    others = [s for s in items if not isinstance(s, str | DeskService)]
    found = {s.code: s for s in DeskService.objects.filter(code__in=codes)} if codes else {}
    resolved: dict[int, DeskService] = {}
    allowed_inactive_ids = {s.pk for s in allowed_inactive}
    for code in codes:
        service = found.get(code)
        if service is None:
            errors.add("services", _("Unknown desk service: %(code)s.") % {"code": code})
        else:
            objects.append(service)
    for service in objects:
        if not service.active and service.pk not in allowed_inactive_ids:
            message = _("The desk service %(code)s is no longer in use.")
            errors.add("services", message % {"code": service.code})
        else:
            resolved[service.pk] = service
    for other in others:
        errors.add("services", _("Unknown desk service: %(code)s.") % {"code": other})
    if not items:
        errors.add("services", _("Select at least one service."))
    return sorted(resolved.values(), key=lambda s: (s.position, s.name))


def _check_outcome(errors: FieldErrors, outcome, referred_to, *, unnamed_allowed=False) -> None:
    """An operator names the organisation a person is referred to. Only a register's
    referral may leave it unnamed (an import, INTERCHANGE.md): an edit of such a contact
    that keeps it a referral (`unnamed_allowed`) is not refused for what the register
    never said; one that makes a contact a referral names the receiver."""
    if outcome not in Contact.Outcome.values:
        errors.add("outcome", _("Choose a valid outcome."))
    elif outcome == Contact.Outcome.REFERRED and referred_to is None and not unnamed_allowed:
        errors.add("referred_to", _("Choose the organisation the person was referred to."))
    elif outcome != Contact.Outcome.REFERRED and referred_to is not None:
        errors.add(
            "referred_to", _("An organisation is given only when the person was referred to it.")
        )


def _check_actor_desk(errors: FieldErrors, actor, desk) -> None:
    if actor.is_superuser:
        return
    if not desks_of(actor).filter(pk=desk.pk).exists():
        errors.add("desk", _("You do not work at this desk."))


def _check_person_visible(errors: FieldErrors, actor, person) -> None:
    if actor.is_superuser:
        return
    if not persons_visible_to(actor, agreements=False).filter(pk=person.pk).exists():
        # Recording a contact would make the person visible: that is not a way in, nor
        # is an agreement's reading (it would turn into the desk's own ground).
        errors.add("person", _("You may not record contacts for this person."))


def _check_language_need(errors: FieldErrors, data: dict) -> dict:
    """Validated language-need values, with defaults."""
    unknown = set(data) - {"italian_level", "needs_job_italian", "work_sector"}
    for key in sorted(unknown):
        errors.add(key, _("Unknown language-need field: %(name)s.") % {"name": key})
    level = data.get("italian_level") or ""
    needs_job = bool(data.get("needs_job_italian", False))
    sector = data.get("work_sector") or ""
    if level not in ItalianLevel.values:
        errors.add("italian_level", _("Choose the person's level of Italian."))
    if sector and sector not in WorkSector.values:
        errors.add("work_sector", _("Choose a valid work sector."))
    if needs_job and not sector:
        errors.add("work_sector", _("Choose the work sector the job-specific Italian is for."))
    return {"italian_level": level, "needs_job_italian": needs_job, "work_sector": sector}


def _service_codes(services: Iterable[DeskService]) -> list[str]:
    return sorted(s.code for s in services)


def _contact_snapshot(contact: Contact, services: Iterable[DeskService]) -> dict:
    data = snapshot(contact, CONTACT_AUDIT_FIELDS)
    data["services"] = _service_codes(services)
    return data


def _save_unique(instance, errors: FieldErrors) -> None:
    """Save, turning a duplicate external id into a field error (savepoint kept clean)."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        if (
            instance.external_id
            and type(instance)
            .objects.filter(external_id=instance.external_id)
            .exclude(pk=instance.pk)
            .exists()
        ):
            errors.add("external_id", _("Another contact already has this external id."))
            errors.raise_if_any()
        raise


@transaction.atomic
def language_need_record(
    *,
    actor,
    person,
    recorded_on,
    italian_level,
    needs_job_italian=False,
    work_sector="",
    contact=None,
) -> LanguageNeed:
    """Record a person's level of Italian and need for job-specific Italian.

    Without a contact, the actor must be able to see the person; with one, the contact's
    service (contact_record) has already checked it and the contact must be that person's.
    """
    errors = FieldErrors()
    _check_date(errors, "recorded_on", recorded_on)
    values = _check_language_need(
        errors,
        {
            "italian_level": italian_level,
            "needs_job_italian": needs_job_italian,
            "work_sector": work_sector,
        },
    )
    if contact is None:
        _check_person_visible(errors, actor, person)
    elif contact.person_id != person.pk:
        errors.add("person", _("The contact belongs to another person."))
    errors.raise_if_any()
    need = LanguageNeed.objects.create(
        person=person, contact=contact, recorded_on=recorded_on, recorded_by=actor, **values
    )
    audit_change(
        actor=actor,
        action=AuditAction.LANGUAGE_NEED_CREATE,
        instance=need,
        changes=diff({}, snapshot(need, LANGUAGE_NEED_AUDIT_FIELDS)),
        person=person,
    )
    return need


@transaction.atomic
def contact_record(
    *,
    actor,
    person,
    desk,
    date,
    services,
    outcome=Contact.Outcome.SOLVED,
    referred_to=None,
    notes="",
    language_need: dict | None = None,
    external_id=None,
    check_actor_desk=True,
    sharing_basis="",
    sharing_note="",
    consent_now=False,
) -> Contact:
    """Record one visit of a person at a desk, with the services given and the outcome.

    `services`: DeskService objects or codes. `language_need`: optional dict with
    italian_level, needs_job_italian, work_sector; it creates a LanguageNeed linked to the
    contact. `check_actor_desk=False` (imports) skips the checks that the desk is the
    actor's and that the actor can see the person.

    A contact that refers the person to another organisation is a referral (desk.referrals)
    and asks for the basis on which the person's data crosses (`sharing_basis`,
    `sharing_note`, `consent_now`: people.sharing); a register's contact (imports) carries
    the consent on record, or the register's own basis.
    """
    errors = FieldErrors()
    _check_date(errors, "date", date)
    resolved = _resolve_services(errors, services)
    _check_outcome(errors, outcome, referred_to)
    if check_actor_desk:
        _check_actor_desk(errors, actor, desk)
        _check_person_visible(errors, actor, person)
    sharing = _check_sharing(
        errors,
        person=person,
        desk=desk,
        outcome=outcome,
        referred_to=referred_to,
        asked=check_actor_desk,
        sharing_basis=sharing_basis,
        sharing_note=sharing_note,
        consent_now=consent_now,
    )
    need_values = _check_language_need(errors, language_need) if language_need else None
    errors.raise_if_any()
    lock_live_person(person)

    contact = Contact(
        person=person,
        desk=desk,
        date=date,
        outcome=outcome,
        referred_to=referred_to,
        notes=(notes or "").strip(),
        operator=actor,
        external_id=external_id or None,
    )
    _save_unique(contact, errors)
    contact.services.set(resolved, through_defaults=_through_defaults(contact))
    audit_change(
        actor=actor,
        action=AuditAction.CONTACT_CREATE,
        instance=contact,
        changes=diff({}, _contact_snapshot(contact, resolved)),
        person=person,
    )
    if need_values is not None:
        language_need_record(
            actor=actor, person=person, recorded_on=date, contact=contact, **need_values
        )
    sync_contact_referral(actor=actor, contact=contact, **sharing)
    return contact


def _check_sharing(errors: FieldErrors, *, person, desk, outcome, referred_to, asked, **sharing):
    """The sharing arguments of sync_contact_referral (desk.referrals.check_contact_sharing):
    an operator is asked (`asked`); a register's contact carries the consent on record or
    the register's basis."""
    if not asked:
        basis = (
            SharingBasis.CONSENT if has_network_sharing_consent(person) else SharingBasis.REGISTER
        )
        return {"basis": basis}
    found: dict[str, str] = {}
    basis = check_contact_sharing(
        found,
        person=person,
        desk=desk,
        outcome=outcome,
        referred_to=referred_to,
        basis=sharing["sharing_basis"],
        note=sharing["sharing_note"],
        consent_now=sharing["consent_now"],
    )
    for field, message in found.items():
        errors.add(field, message)
    return {
        "basis": basis,
        "sharing_note": sharing["sharing_note"] or "",
        "consent_now": sharing["consent_now"],
    }


def _through_defaults(contact: Contact) -> dict:
    """What each service given in `contact` repeats of it (see ContactService)."""
    return {"date": contact.date, "desk_id": contact.desk_id}


@transaction.atomic
def contact_update(
    *,
    actor,
    contact: Contact,
    desk=_UNSET,
    date=_UNSET,
    services=_UNSET,
    outcome=_UNSET,
    referred_to=_UNSET,
    notes=_UNSET,
    language_need=_UNSET,
    external_id=_UNSET,
    expected_version: int | None = None,
    check_actor_desk=True,
    sharing_basis="",
    sharing_note="",
    consent_now=False,
) -> Contact:
    """Change a contact; arguments left out keep their value. Same rules as contact_record.

    `language_need`: a dict updates (or creates) the language need linked to the contact,
    None removes it. Raises ConflictError when `expected_version` is given and the contact
    has changed since. The audit event holds old and new values, the services list included.
    """
    # Lock the row so two simultaneous edits cannot both pass the version check.
    current = Contact.objects.select_for_update().get(pk=contact.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(current)
    old_services = list(current.services.all())
    before = _contact_snapshot(current, old_services)

    new_desk = current.desk if desk is _UNSET else desk
    new_date = current.date if date is _UNSET else date
    new_outcome = current.outcome if outcome is _UNSET else outcome
    new_referred_to = current.referred_to if referred_to is _UNSET else referred_to

    errors = FieldErrors()
    _check_date(errors, "date", new_date)
    if services is _UNSET:
        resolved = old_services
    else:
        # A service retired since the contact was recorded may stay on it.
        resolved = _resolve_services(errors, services, allowed_inactive=old_services)
    _check_outcome(errors, new_outcome, new_referred_to, unnamed_allowed=current.receiver_not_named)
    if check_actor_desk:
        _check_actor_desk(errors, actor, current.desk)
        if new_desk.pk != current.desk_id:
            _check_actor_desk(errors, actor, new_desk)
    need_values = None
    if language_need not in (_UNSET, None):
        need_values = _check_language_need(errors, language_need)
    newly_shared = new_outcome == Contact.Outcome.REFERRED and (
        current.outcome != Contact.Outcome.REFERRED or new_referred_to != current.referred_to
    )
    sharing = _check_sharing(
        errors,
        person=current.person,
        desk=new_desk,
        outcome=new_outcome,
        referred_to=new_referred_to,
        asked=check_actor_desk and newly_shared,
        sharing_basis=sharing_basis,
        sharing_note=sharing_note,
        consent_now=consent_now,
    )
    errors.raise_if_any()

    current.desk = new_desk
    current.date = new_date
    current.outcome = new_outcome
    current.referred_to = new_referred_to
    if notes is not _UNSET:
        current.notes = (notes or "").strip()
    if external_id is not _UNSET:
        current.external_id = external_id or None
    after = _contact_snapshot(current, resolved)
    changes = diff(before, after)
    if changes:
        current.version += 1
        _save_unique(current, errors)
        if "services" in changes:
            current.services.set(resolved, through_defaults=_through_defaults(current))
        if "date" in changes or "desk" in changes:
            # The services given keep the contact's date and desk (ContactService).
            ContactService.objects.filter(contact=current).update(**_through_defaults(current))
        audit_change(
            actor=actor,
            action=AuditAction.CONTACT_UPDATE,
            instance=current,
            changes=changes,
            person=current.person,
        )
    if language_need is not _UNSET:
        _language_need_replace(actor=actor, contact=current, values=need_values)
    if changes.keys() & {"outcome", "referred_to", "date", "desk"}:
        sync_contact_referral(
            actor=actor,
            contact=current,
            was_referred=before["outcome"] == Contact.Outcome.REFERRED,
            **sharing,
        )
    return current


def _language_need_replace(*, actor, contact: Contact, values: dict | None) -> None:
    """Update, create or remove the language need linked to a contact, audited."""
    existing = LanguageNeed.objects.filter(contact=contact).first()
    if values is None:
        if existing is not None:
            before = snapshot(existing, LANGUAGE_NEED_AUDIT_FIELDS)
            audit_change(
                actor=actor,
                action=AuditAction.LANGUAGE_NEED_DELETE,
                instance=existing,
                changes=diff(before, dict.fromkeys(before)),
                person=contact.person,
            )
            existing.delete()
        return
    if existing is None:
        language_need_record(
            actor=actor, person=contact.person, recorded_on=contact.date, contact=contact, **values
        )
        return
    before = snapshot(existing, LANGUAGE_NEED_AUDIT_FIELDS)
    for name, value in values.items():
        setattr(existing, name, value)
    existing.recorded_on = contact.date
    changes = diff(before, snapshot(existing, LANGUAGE_NEED_AUDIT_FIELDS))
    if changes:
        existing.save()
        audit_change(
            actor=actor,
            action=AuditAction.LANGUAGE_NEED_UPDATE,
            instance=existing,
            changes=changes,
            person=contact.person,
        )


# --- bulk import (interchange) ---------------------------------------------------------------


# The columns an import compares, in the order select_any returns them.
_IMPORT_COLUMNS = (
    "id",
    "external_id",
    "person_id",
    "desk_id",
    "date",
    "outcome",
    "referred_to_id",
    "notes",
    "operator_id",
    "version",
)

# The columns of a service given (ContactService) as the import writes them.
THROUGH_COLUMNS = ["contact_id", "deskservice_id", "date", "desk_id"]


def _import_snapshot(values: dict, codes: list[str]) -> dict:
    # The same shape as _contact_snapshot, built from plain values (bulk speed).
    return {
        "person": values["person_id"],
        "desk": values["desk_id"],
        "date": values["date"].isoformat(),
        "outcome": values["outcome"],
        "referred_to": values["referred_to_id"],
        "notes": values["notes"],
        "operator": values["operator_id"],
        "external_id": values["external_id"],
        "services": codes,
    }


def _created_contact_json(row: dict, codes_json: str) -> str:
    """json.dumps(creation_changes(after)) of a new contact (the `after` of
    _import_snapshot, notes redacted as the trail records them), written directly: the
    JSON encoder took a third of the Python time of a large import."""
    referred_to = row["referred_to_id"]
    return (
        f'{{"person": [null, {row["person_id"]}], "desk": [null, {row["desk_id"]}], '
        f'"date": [null, "{row["date"].isoformat()}"], '
        f'"outcome": [null, {json_string(row["outcome"])}], '
        + ("" if referred_to is None else f'"referred_to": [null, {referred_to}], ')
        + f'"notes": {SENSITIVE_CHANGE_JSON}, '
        f'"external_id": [null, {json_string(row["external_id"])}], '
        f'"services": [null, {codes_json}]}}'
    )


def _contact_copy_line(c: tuple) -> str:
    """A row of contacts_import_bulk's new contacts as a COPY line (types known: no
    adaptation value by value)."""
    pk, external_id, person, desk, date, outcome, referred_to, notes, operator, at, version = c
    return (
        f"{pk}\t{copy_text(external_id)}\t{person}\t{desk}\t{date}\t{outcome}\t"
        f"{COPY_NULL if referred_to is None else referred_to}\t{copy_text(notes)}\t"
        f"{COPY_NULL if operator is None else operator}\t{copy_timestamp(at)}\t{version}\n"
    )


def contacts_import_bulk(*, actor, rows: list[dict], inserts=None) -> tuple[int, int, int]:
    """Create or update contacts keyed by external_id; returns (created, updated, unchanged).

    For imports of rows already checked by the interchange with this module's rules
    (date, outcome and receiver, known services; a referral's receiver may be None, an
    organisation the register does not name): each row has external_id, person_id,
    desk_id, date, outcome, referred_to_id and `services` (a list of DeskService codes).
    The actor-desk and visibility checks do not apply (as contact_record with
    check_actor_desk=False). Unchanged rows are not written; each created or changed
    contact gets an audit event with old and new values, services included. Notes,
    operator and language needs are not part of the format and are left as they are.

    `inserts` (core.bulkdb.BackgroundInserts), for an import in chunks: the new
    rows of this call are queued there, and the rows queued by the previous call are sent
    meanwhile, so that the server writes one chunk while this process prepares the next;
    the caller sends the last ones (inserts.send(), then inserts.wait()) before its
    transaction ends. Without it everything is written before returning. The rows of a
    file have distinct external ids, so a chunk never looks up a row still in flight.
    """
    if inserts is not None and not connection.in_atomic_block:
        # The rows queued by this call are sent by the next one: they belong to the
        # caller's transaction, which a transaction of this function's own would not be.
        raise RuntimeError("contacts_import_bulk(inserts=...) runs inside a transaction.")
    with transaction.atomic(savepoint=False):
        return _contacts_import_bulk(actor=actor, rows=rows, inserts=inserts)


def _contacts_import_bulk(*, actor, rows, inserts):
    own_inserts = inserts is None
    if own_inserts:
        inserts = BackgroundInserts()
    service_ids = dict(DeskService.objects.values_list("code", "pk"))
    service_codes = {pk: code for code, pk in service_ids.items()}
    through = ContactService
    existing = {
        values["external_id"]: values
        for values in (
            dict(zip(_IMPORT_COLUMNS, row, strict=True))
            for row in select_any(
                Contact, list(_IMPORT_COLUMNS), "external_id", [r["external_id"] for r in rows]
            )
        )
    }
    old_codes: dict[int, list[str]] = {v["id"]: [] for v in existing.values()}
    for contact_id, service_id in select_any(
        through, ["contact_id", "deskservice_id"], "contact_id", old_codes
    ):
        old_codes[contact_id].append(service_codes[service_id])
    new, new_codes, changed, relink, entries = [], [], [], [], []
    fields = ("person_id", "desk_id", "date", "outcome", "referred_to_id")
    for row in rows:
        codes = sorted(set(row["services"]))
        old = existing.get(row["external_id"])
        if old is None:
            new.append(row)
            new_codes.append(codes)
            continue
        current = {**old, **{name: row[name] for name in fields}}
        changes = diff(
            _import_snapshot(old, sorted(old_codes[old["id"]])), _import_snapshot(current, codes)
        )
        if changes:
            contact = Contact(
                pk=old["id"],
                version=old["version"] + 1,
                **{name: row[name] for name in fields},
            )
            changed.append(contact)
            if {"services", "date", "desk"} & changes.keys():
                relink.append((contact, codes))
            entries.append((AuditAction.CONTACT_UPDATE, contact.pk, contact.person_id, changes))
    ids = allocate_ids(Contact, len(new))
    # The previous chunk's rows go to the server now; this chunk's are built meanwhile.
    inserts.send()
    now = timezone.now()
    contact_rows = [
        (pk, r["external_id"], *(r[f] for f in fields), "", None, now, 1)
        for pk, r in zip(ids, new, strict=True)
    ]
    service_rows = [
        (pk, service_ids[code], r["date"], r["desk_id"])
        for pk, r, codes in zip(ids, new, new_codes, strict=True)
        for code in codes
    ]
    codes_json: dict[tuple, str] = {}
    for pk, r, codes in zip(ids, new, new_codes, strict=True):
        key = tuple(codes)
        if key not in codes_json:
            codes_json[key] = json.dumps(codes)
        entries.append(
            (
                AuditAction.CONTACT_CREATE,
                pk,
                r["person_id"],
                _created_contact_json(r, codes_json[key]),
            )
        )
    events = change_event_rows(
        Contact._meta.label_lower,
        actor,
        [
            (action, pk, change_event_json(changes), person)
            for action, pk, person, changes in entries
        ],
    )
    if changed:
        Contact.objects.bulk_update(changed, [*fields, "version"])
    if relink:
        # Services changed, or the date or desk they repeat: written again whole.
        through.objects.filter(contact_id__in=[c.pk for c, _codes in relink]).delete()
        bulk_insert_rows(
            through,
            THROUGH_COLUMNS,
            [(c.pk, service_ids[code], c.date, c.desk_id) for c, codes in relink for code in codes],
        )
    # Plain rows, not Contact objects, written as COPY lines: the hot path of an import.
    inserts.add(
        Contact,
        ["id", "external_id", *fields, "notes", "operator_id", "created_at", "version"],
        contact_rows,
        line=_contact_copy_line,
    )
    inserts.add(
        through, THROUGH_COLUMNS, service_rows, line=lambda s: f"{s[0]}\t{s[1]}\t{s[2]}\t{s[3]}\n"
    )
    inserts.add(AuditEvent, CHANGE_EVENT_COLUMNS, events, line=change_event_line, json_text=True)
    schedule_seal()  # into the audit chain, after the import's transaction commits
    if own_inserts:
        inserts.send()
        inserts.wait()
    return len(new), len(changed), len(rows) - len(new) - len(changed)


# --- the catalogue of desk services (the administration) -------------------------------

DESK_SERVICE_FIELDS = ["code", "name", "position", "active"]


@transaction.atomic
def desk_service_create(*, actor, **values) -> DeskService:
    """A new entry of the desk services' catalogue (INTERCHANGE.md codes plus local ones)."""
    return row_create(
        actor=actor,
        model=DeskService,
        action=AuditAction.DESK_SERVICE_CREATE,
        fields=DESK_SERVICE_FIELDS,
        values=values,
    )


@transaction.atomic
def desk_service_update(*, actor, service: DeskService, **values) -> bool:
    """Rename, reorder, deactivate or reactivate a catalogue entry. A service used in
    contacts is deactivated, never deleted. True if something changed."""
    return row_update(
        actor=actor,
        instance=service,
        action=AuditAction.DESK_SERVICE_UPDATE,
        fields=DESK_SERVICE_FIELDS,
        values=values,
    )
