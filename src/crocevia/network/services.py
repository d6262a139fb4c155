"""Every write of the network's agreements: validated and audited in one transaction.

Errors are ValidationError dicts keyed by the agreement form's fields (``title``,
``kind``, ``signed_on``, ``valid_from``, ``valid_until``, ``parties``, ``document``...).
Parties are given as `PartySpec`s; a save replaces the agreement's parties with them.
"""

import datetime
import os
import struct
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import coordinated_zone_ids
from crocevia.audit.actions import AuditAction
from crocevia.audit.rows import row_create, row_delete, row_update
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.dates import is_day
from crocevia.core.errors import ConflictError as BaseConflictError
from crocevia.core.files import UnsafeArchive, ZipLimits, check_zip

from .access import agreement_editable_by, clauses_beyond
from .models import (
    Agreement,
    AgreementParty,
    CasePart,
    Comune,
    Desk,
    Organisation,
    Zone,
    metropolitan_by_province,
)

AUDIT_FIELDS = [
    "title",
    "kind",
    "reference",
    "signed_on",
    "valid_from",
    "valid_until",
    "renewable",
    "renewal_terms",
    "document_name",
    "notes",
]
# Money in euro: up to 12 digits before the decimal point (DecimalField(14, 2)).
MAX_AMOUNT = Decimal("999999999999.99")
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
DEFAULT_DOCUMENT_MAX_BYTES = 20 * 1024 * 1024


def document_max_bytes() -> int:
    return getattr(settings, "CROCEVIA_AGREEMENT_MAX_BYTES", DEFAULT_DOCUMENT_MAX_BYTES)


class ConflictError(BaseConflictError):
    """The agreement changed since the operator opened it; their save is refused."""

    def __init__(self, current: Agreement):
        super().__init__(current, _("This agreement was changed by someone else in the meantime."))


@dataclass(frozen=True)
class PartySpec:
    organisation: Organisation
    role: str = ""
    amount: Decimal | None = None
    shared_parts: tuple[str, ...] = field(default_factory=tuple)


# --- validation ------------------------------------------------------------------------------


def _amount(value) -> Decimal | None:
    """The amount as an exact Decimal; ValueError with the message when it is not valid."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise ValueError(_("Enter the amount as an exact number of euro and cents."))
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(_("Enter the amount as a number.")) from None
    if not amount.is_finite():
        raise ValueError(_("Enter the amount as a number."))
    if amount < 0:
        raise ValueError(_("The money transferred cannot be negative."))
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        # Never rounded silently: a third decimal is an input error.
        raise ValueError(_("Enter the amount in euro with at most two decimals."))
    if amount > MAX_AMOUNT:
        raise ValueError(_("The amount is too large."))
    return amount.quantize(Decimal("0.01"))


def _check_parties(parties, actor) -> tuple[list[PartySpec], list[str]]:
    errors: list[str] = []
    clean: list[PartySpec] = []
    seen: set[int] = set()
    valid_parts = set(CasePart.values)
    for spec in parties or []:
        org = spec.organisation
        if not isinstance(org, Organisation):
            errors.append(_("Choose the organisation of each party."))
            continue
        if org.pk in seen:
            errors.append(
                _("%(organisation)s is listed twice: each organisation is a party only once.")
                % {"organisation": org.name}
            )
            continue
        seen.add(org.pk)
        try:
            amount = _amount(spec.amount)
        except ValueError as error:
            errors.append(f"{org.name}: {error}")
            amount = None
        parts = list(dict.fromkeys(spec.shared_parts or ()))
        unknown = [p for p in parts if p not in valid_parts]
        if unknown:
            errors.append(
                _("%(organisation)s: unknown part of a case %(parts)s.")
                % {"organisation": org.name, "parts": ", ".join(map(str, unknown))}
            )
        # Kept in the order of the code list, so the table reads the same everywhere.
        parts = [p for p in CasePart.values if p in parts]
        clean.append(
            PartySpec(
                organisation=org,
                role=(spec.role or "").strip()[:100],
                amount=amount,
                shared_parts=tuple(parts),
            )
        )
    if len(seen) < 2:
        errors.insert(0, _("An agreement needs at least two parties."))
    elif actor is not None and not actor.is_superuser:
        zones = coordinated_zone_ids(actor)
        if not any(s.organisation.zone_id in zones for s in clean):
            errors.append(_("At least one party must be an organisation of a zone you coordinate."))
        for party, outside in clauses_beyond(clean, zones):
            errors.append(
                _(
                    "%(organisation)s: its data-sharing clause would open the data of "
                    "%(others)s, outside the zones you coordinate. Leave its clause empty: "
                    "only an administrator records a clause that opens the data of another "
                    "zone's organisation."
                )
                % {
                    "organisation": party.organisation.name,
                    "others": ", ".join(o.name for o in outside),
                }
            )
    return clean, errors


def _check_archive(upload) -> None:
    """An ODT or DOCX is a ZIP: refuse one whose central directory declares a bomb (the
    import's limits) before anything lists or reads its parts."""
    mb = 1024 * 1024
    limits = ZipLimits(
        max_members=settings.CROCEVIA_IMPORT_MAX_ZIP_MEMBERS,
        max_total_bytes=settings.CROCEVIA_IMPORT_MAX_UNCOMPRESSED_MB * mb,
        max_member_bytes=settings.CROCEVIA_IMPORT_MAX_UNCOMPRESSED_MB * mb,
        max_ratio=settings.CROCEVIA_IMPORT_MAX_ZIP_RATIO,
    )
    try:
        upload.seek(0)
        check_zip(upload, limits)
    except UnsafeArchive as exc:
        raise ValidationError({"document": exc.message}, code="document_unsafe") from None
    except (zipfile.BadZipFile, OSError, ValueError, struct.error):
        pass  # not a ZIP at all: _sniff_document says so
    finally:
        upload.seek(0)


def _sniff_document(upload, suffix: str) -> bool:
    """Whether the file's content is what its extension says (not only its name)."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if suffix == ".pdf":
        return head.startswith(b"%PDF-")
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if suffix == ".odt":
                if "mimetype" not in names:
                    return False
                with archive.open("mimetype") as part:  # its first bytes, never all of it
                    return part.read(100).strip() == DOCUMENT_TYPES[".odt"].encode()
            return "[Content_Types].xml" in names and any(n.startswith("word/") for n in names)
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    finally:
        upload.seek(0)


def validate_document(upload) -> None:
    """PDF, ODT or DOCX only, not empty, not larger than the limit; raises ValidationError."""
    name = os.path.basename(getattr(upload, "name", "") or "")
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in DOCUMENT_TYPES:
        raise ValidationError(
            {"document": _("Attach the signed document as a PDF, ODT or DOCX file.")},
            code="document_type",
        )
    size = upload.size or 0
    if not size:
        raise ValidationError({"document": _("The file is empty.")}, code="document_empty")
    if size > document_max_bytes():
        raise ValidationError(
            {
                "document": _("The document is larger than %(size)s.")
                % {"size": filesizeformat(document_max_bytes())}
            },
            code="document_size",
        )
    if suffix in (".odt", ".docx"):
        _check_archive(upload)
    if not _sniff_document(upload, suffix):
        raise ValidationError(
            {
                "document": _("The file's content is not a %(kind)s document.")
                % {"kind": suffix[1:].upper()}
            },
            code="document_content",
        )


def _validate(
    *,
    actor,
    title,
    kind,
    signed_on,
    valid_from,
    valid_until,
    parties,
    today: datetime.date,
) -> list[PartySpec]:
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if not (title or "").strip():
        add("title", _("Enter the title of the agreement."))
    if kind not in Agreement.Kind.values:
        add("kind", _("Choose the kind of agreement."))
    for name, day, required in (
        ("signed_on", signed_on, True),
        ("valid_from", valid_from, True),
        ("valid_until", valid_until, False),
    ):
        if day is None:
            if required:
                add(name, _("Enter the date."))
        elif not is_day(day):
            add(name, _("Enter a valid date."))
    if is_day(signed_on) and signed_on > today:
        add("signed_on", _("The signature date cannot be in the future."))
    if is_day(valid_from) and is_day(valid_until) and valid_until < valid_from:
        add("valid_until", _("The end of validity cannot be before its start."))
    clean, party_errors = _check_parties(parties, actor)
    for message in party_errors:
        add("parties", message)
    if errors:
        raise ValidationError(errors)
    return clean


# --- writes ----------------------------------------------------------------------------------


def _parties_audit(agreement: Agreement) -> list[dict]:
    return [
        {
            "organisation": str(p.organisation_id),
            "role": p.role,
            "amount": None if p.amount is None else str(p.amount),
            "shared_parts": list(p.shared_parts),
        }
        for p in agreement.parties.order_by("position", "pk")
    ]


def _save_parties(agreement: Agreement, parties: list[PartySpec]) -> None:
    agreement.parties.all().delete()
    AgreementParty.objects.bulk_create(
        AgreementParty(
            agreement=agreement,
            organisation=spec.organisation,
            role=spec.role,
            amount=spec.amount,
            shared_parts=list(spec.shared_parts),
            position=index,
        )
        for index, spec in enumerate(parties)
    )


def _delete_file(name: str | None) -> None:
    """Remove a stored document. A document written in a transaction that rolled back is
    gone with it in the database storage; an object store keeps it unless told."""
    if name:
        Agreement._meta.get_field("document").storage.delete(name)


def _check_document(document) -> None:
    if document is not None:
        validate_document(document)


def _store(agreement: Agreement, document) -> str:
    """Write the upload to the storage under a random name (`agreement_document_path`);
    the operator's file name is kept apart."""
    agreement.document_name = os.path.basename(document.name)[:255]
    agreement.document.save(document.name, document, save=False)
    return agreement.document.name


def agreement_create(
    *,
    actor,
    title: str,
    kind: str,
    signed_on,
    valid_from,
    valid_until=None,
    renewable: bool = False,
    renewal_terms: str = "",
    reference: str = "",
    notes: str = "",
    parties,
    document=None,
    today: datetime.date | None = None,
) -> Agreement:
    """Record a signed agreement with its parties, sharing clause and document."""
    today = today or timezone.localdate()
    clean = _validate(
        actor=actor,
        title=title,
        kind=kind,
        signed_on=signed_on,
        valid_from=valid_from,
        valid_until=valid_until,
        parties=parties,
        today=today,
    )
    _check_document(document)
    agreement = Agreement(
        title=title.strip(),
        kind=kind,
        reference=(reference or "").strip(),
        signed_on=signed_on,
        valid_from=valid_from,
        valid_until=valid_until,
        renewable=bool(renewable),
        renewal_terms=(renewal_terms or "").strip(),
        notes=(notes or "").strip(),
        created_by=actor,
    )
    stored = None
    try:
        with transaction.atomic():
            if document is not None:
                stored = _store(agreement, document)
            agreement.save()
            _save_parties(agreement, clean)
            changes = {k: [None, v] for k, v in snapshot(agreement, AUDIT_FIELDS).items()}
            changes["parties"] = [None, _parties_audit(agreement)]
            audit_change(
                actor=actor,
                action=AuditAction.AGREEMENT_CREATE,
                instance=agreement,
                changes=changes,
            )
    except BaseException:
        _delete_file(stored)  # nothing was recorded: the file must not stay behind
        raise
    return agreement


def agreement_update(
    *,
    actor,
    agreement: Agreement,
    expected_version: int | None = None,
    title: str,
    kind: str,
    signed_on,
    valid_from,
    valid_until=None,
    renewable: bool = False,
    renewal_terms: str = "",
    reference: str = "",
    notes: str = "",
    parties,
    document=None,
    remove_document: bool = False,
    today: datetime.date | None = None,
) -> Agreement:
    """Change an agreement; its parties become `parties`. A new `document` replaces the old
    one; `remove_document` detaches it. ConflictError if it changed since
    `expected_version`."""
    today = today or timezone.localdate()
    clean = _validate(
        actor=actor,
        title=title,
        kind=kind,
        signed_on=signed_on,
        valid_from=valid_from,
        valid_until=valid_until,
        parties=parties,
        today=today,
    )
    _check_document(document)
    stored = None
    try:
        with transaction.atomic():
            current = Agreement.objects.select_for_update().get(pk=agreement.pk)
            if not agreement_editable_by(actor, current):
                raise PermissionDenied(_("You cannot change this agreement."))
            if expected_version is not None and current.version != expected_version:
                raise ConflictError(current)
            before = snapshot(current, AUDIT_FIELDS)
            before["parties"] = _parties_audit(current)
            old_file = current.document.name or None
            current.title = title.strip()
            current.kind = kind
            current.reference = (reference or "").strip()
            current.signed_on = signed_on
            current.valid_from = valid_from
            current.valid_until = valid_until
            current.renewable = bool(renewable)
            current.renewal_terms = (renewal_terms or "").strip()
            current.notes = (notes or "").strip()
            if document is not None:
                stored = _store(current, document)
            elif remove_document:
                current.document = ""
                current.document_name = ""
            _save_parties(current, clean)
            after = snapshot(current, AUDIT_FIELDS)
            after["parties"] = _parties_audit(current)
            changes = diff(before, after)
            if document is not None:
                changes["document"] = [old_file, stored]
            if changes:
                current.version += 1
                current.save()
                audit_change(
                    actor=actor,
                    action=AuditAction.AGREEMENT_UPDATE,
                    instance=current,
                    changes=changes,
                )
            if old_file and old_file != (current.document.name or None):
                transaction.on_commit(lambda: _delete_file(old_file))
    except BaseException:
        _delete_file(stored)
        raise
    if agreement is not current:
        agreement.refresh_from_db()
    return current


# --- zones, Comuni, organisations, desks (the administration) --------------------------
# Who sees what follows from these rows (an organisation's zone, a desk's organisation, a
# Comune's zone), so each write is validated and audited like any other.

ZONE_FIELDS = ["code", "name"]
COMUNE_FIELDS = ["istat_code", "name", "province", "population", "zone", "in_metropolitan_city"]
ORGANISATION_FIELDS = ["code", "name", "kind", "zone", "comune"]
DESK_FIELDS = ["code", "organisation", "name", "level", "comune", "opening_hours", "active"]


@transaction.atomic
def zone_create(*, actor, **values) -> Zone:
    return row_create(
        actor=actor, model=Zone, action=AuditAction.ZONE_CREATE, fields=ZONE_FIELDS, values=values
    )


@transaction.atomic
def zone_update(*, actor, zone: Zone, **values) -> bool:
    return row_update(
        actor=actor,
        instance=zone,
        action=AuditAction.ZONE_UPDATE,
        fields=ZONE_FIELDS,
        values=values,
    )


@transaction.atomic
def zone_delete(*, actor, zone: Zone) -> None:
    row_delete(actor=actor, instance=zone, action=AuditAction.ZONE_DELETE, fields=ZONE_FIELDS)


@transaction.atomic
def comune_create(*, actor, **values) -> Comune:
    """A new Comune; unless `in_metropolitan_city` is given, it is set from the province
    (network.models.metropolitan_by_province)."""
    if values.get("in_metropolitan_city") is None:
        values["in_metropolitan_city"] = metropolitan_by_province(values.get("province") or "")
    return row_create(
        actor=actor,
        model=Comune,
        action=AuditAction.COMUNE_CREATE,
        fields=COMUNE_FIELDS,
        values=values,
    )


@transaction.atomic
def comune_update(*, actor, comune: Comune, **values) -> bool:
    return row_update(
        actor=actor,
        instance=comune,
        action=AuditAction.COMUNE_UPDATE,
        fields=COMUNE_FIELDS,
        values=values,
    )


@transaction.atomic
def comune_delete(*, actor, comune: Comune) -> None:
    row_delete(actor=actor, instance=comune, action=AuditAction.COMUNE_DELETE, fields=COMUNE_FIELDS)


@transaction.atomic
def organisation_create(*, actor, **values) -> Organisation:
    return row_create(
        actor=actor,
        model=Organisation,
        action=AuditAction.ORGANISATION_CREATE,
        fields=ORGANISATION_FIELDS,
        values=values,
    )


@transaction.atomic
def organisation_update(*, actor, organisation: Organisation, **values) -> bool:
    return row_update(
        actor=actor,
        instance=organisation,
        action=AuditAction.ORGANISATION_UPDATE,
        fields=ORGANISATION_FIELDS,
        values=values,
    )


@transaction.atomic
def organisation_delete(*, actor, organisation: Organisation) -> None:
    row_delete(
        actor=actor,
        instance=organisation,
        action=AuditAction.ORGANISATION_DELETE,
        fields=ORGANISATION_FIELDS,
    )


@transaction.atomic
def desk_create(*, actor, **values) -> Desk:
    return row_create(
        actor=actor, model=Desk, action=AuditAction.DESK_CREATE, fields=DESK_FIELDS, values=values
    )


@transaction.atomic
def desk_update(*, actor, desk: Desk, **values) -> bool:
    return row_update(
        actor=actor,
        instance=desk,
        action=AuditAction.DESK_UPDATE,
        fields=DESK_FIELDS,
        values=values,
    )


@transaction.atomic
def desk_delete(*, actor, desk: Desk) -> None:
    row_delete(actor=actor, instance=desk, action=AuditAction.DESK_DELETE, fields=DESK_FIELDS)
