"""Every write of an income-support application: recording, updating, importing.

Atomic, validated, audited (the audit event names the applicant as the person concerned).
Validation errors are ValidationError dicts keyed by the model's field names, which are
also the keys of an imported row (the interchange, kind `benefit_applications`, reads
the file and names each error by its column).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.errors import ConflictError as BaseConflictError
from crocevia.core.errors import RowsRefused, messages_of
from crocevia.network.models import Comune

from .access import can_record_benefit_applications
from .models import BenefitApplication, Status
from .opening import check_referral_within_application

__all__ = [
    "APPLICATION_FIELDS",
    "ConflictError",
    "application_case_errors",
    "benefit_application_import",
    "benefit_application_record",
    "benefit_application_update",
    "benefit_applications_import_bulk",
    "check_referral_within_application",
]

# The fields a caller may set through benefit_application_record / _update.
APPLICATION_FIELDS = (
    "external_id",
    "household",
    "applicant",
    "comune",
    "measure",
    "submitted_on",
    "status",
    "outcome_on",
)


class ConflictError(BaseConflictError):
    """The application changed since the caller read it (optimistic locking)."""

    def __init__(self, current):
        super().__init__(
            current, _("This application was changed by someone else in the meantime.")
        )


def _require_may_record(actor, comune) -> None:
    # No actor: the system itself (the `crocevia import` command run by the operator of
    # the installation), as for the other imports.
    if actor is None:
        return
    if isinstance(comune, Comune) and not can_record_benefit_applications(actor, comune):
        raise PermissionDenied(_("You may not record applications for this Comune."))


# --- record and update ----------------------------------------------------------------------


def _format(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _check_keys(data: dict) -> None:
    unknown = set(data) - set(APPLICATION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown application fields: {', '.join(sorted(unknown))}")


def _apply_and_validate(
    application: BenefitApplication, data: dict, *, check_membership: bool = True
) -> None:
    """Set `data` on `application` and validate the whole record; one ValidationError with
    every field's message, keyed by field name.

    The applicant must belong to the household when the application is recorded or its
    household or applicant changes (people move later; an old application stays valid).
    """
    for name, value in data.items():
        setattr(application, name, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list] = {}
    try:
        # The two check constraints are checked below, with messages on their field.
        application.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    today = timezone.localdate()
    submitted = application.submitted_on
    outcome = application.outcome_on
    for name, day in (("submitted_on", submitted), ("outcome_on", outcome)):
        if name not in errors and isinstance(day, datetime.date) and day > today:
            errors[name] = [
                ValidationError(
                    _("The date (%(day)s) cannot be in the future.") % {"day": _format(day)}
                )
            ]
    if "outcome_on" not in errors:
        if (
            isinstance(outcome, datetime.date)
            and isinstance(submitted, datetime.date)
            and outcome < submitted
        ):
            errors["outcome_on"] = [
                ValidationError(
                    _("The INPS outcome (%(day)s) cannot be before the submission (%(sub)s).")
                    % {"day": _format(outcome), "sub": _format(submitted)}
                )
            ]
        elif application.status == Status.ACCEPTED and outcome is None:
            errors["outcome_on"] = [
                ValidationError(_("Enter the INPS outcome date of an accepted application."))
            ]
    if (
        check_membership
        and "applicant" not in errors
        and "household" not in errors
        and application.applicant_id
        and application.household_id
        and application.applicant.household_id != application.household_id
    ):
        errors["applicant"] = [
            ValidationError(
                _("%(person)s is not a member of this household.")
                % {"person": application.applicant}
            )
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def benefit_application_record(*, actor, data: dict, note: str = "") -> BenefitApplication:
    """Record a household's application. `data` holds APPLICATION_FIELDS (instances for
    household, applicant and comune). The applicant is a member of the household."""
    _check_keys(data)
    _require_may_record(actor, data.get("comune"))
    application = BenefitApplication()
    _apply_and_validate(application, data)
    application.save()
    audit_change(
        actor=actor,
        action=AuditAction.BENEFIT_APPLICATION_CREATE,
        instance=application,
        changes=diff({}, snapshot(application, APPLICATION_FIELDS)),
        person=application.applicant,
        note=note,
    )
    return application


@transaction.atomic
def benefit_application_update(
    *, actor, application, data: dict, expected_version: int | None = None, note: str = ""
) -> BenefitApplication:
    """Change an application (a new status, the INPS outcome…). ConflictError if it
    changed since `expected_version`; nothing is written when nothing changes."""
    _check_keys(data)
    current = BenefitApplication.objects.select_for_update().get(pk=application.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(current)
    _require_may_record(actor, current.comune)
    _require_may_record(actor, data.get("comune"))
    before = snapshot(current, APPLICATION_FIELDS)
    changed = {name for name, value in data.items() if before[name] != snapshot_value(value)}
    if not changed:
        return current
    _apply_and_validate(current, data, check_membership=bool(changed & {"household", "applicant"}))
    changes = diff(before, snapshot(current, APPLICATION_FIELDS))
    if changes:
        current.version += 1
        current.save()
        audit_change(
            actor=actor,
            action=AuditAction.BENEFIT_APPLICATION_UPDATE,
            instance=current,
            changes=changes,
            person=current.applicant,
            note=note,
        )
    if application is not current:
        application.refresh_from_db()
    return current


def snapshot_value(value):
    """A value as snapshot() records it (instances by pk, dates ISO, strings stripped)."""
    if hasattr(value, "_meta"):
        return str(value.pk)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value


# --- import (rows parsed by the interchange, kind `benefit_applications`) ------------------


def _import_one(actor, row: dict, existing: BenefitApplication | None):
    data = {name: row[name] for name in APPLICATION_FIELDS}
    with transaction.atomic():
        if existing is None:
            application = benefit_application_record(actor=actor, data=data, note=_("Imported."))
            return application, "created"
        version = existing.version
        application = benefit_application_update(
            actor=actor, application=existing, data=data, note=_("Imported.")
        )
        return application, ("unchanged" if application.version == version else "updated")


def benefit_application_import(*, actor, row: dict) -> tuple[BenefitApplication, str]:
    """Create or update the application of one parsed row, keyed by its external_id.

    `row` holds APPLICATION_FIELDS, parsed and resolved (instances for household,
    applicant and comune; dates; measure and status codes). Returns (application,
    action) with action "created", "updated" or "unchanged" (an identical row writes
    nothing, not even an audit event). Errors: ValidationError keyed by the row's keys;
    PermissionDenied for a Comune the actor may not record applications of.
    """
    existing = BenefitApplication.objects.filter(external_id=row["external_id"]).first()
    return _import_one(actor, row, existing)


def benefit_applications_import_bulk(*, actor, rows: list[dict]) -> tuple[int, int, int]:
    """Create or update the applications of parsed rows (as benefit_application_import's),
    all or nothing; returns (created, updated, unchanged).

    Every row is validated; any bad row raises RowsRefused with every bad row's errors
    (keyed by the row's keys, a refused Comune on "comune") and nothing is written.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    errors: dict[int, dict[str, str]] = {}
    with transaction.atomic():
        existing = {
            a.external_id: a
            for a in BenefitApplication.objects.filter(
                external_id__in=[row["external_id"] for row in rows]
            )
        }
        for index, row in enumerate(rows):
            try:
                application, action = _import_one(actor, row, existing.get(row["external_id"]))
            except PermissionDenied as exc:
                errors[index] = {"comune": str(exc)}
            except ValidationError as exc:
                errors[index] = messages_of(exc)
            else:
                existing[application.external_id] = application
                counts[action] += 1
        if errors:
            raise RowsRefused(errors)
    return counts["created"], counts["updated"], counts["unchanged"]


# --- a case opened from an application (the `cases` import) ---------------------------------


def application_case_errors(application: BenefitApplication, referred_on) -> dict[str, str]:
    """Why `application` cannot open a case referred on `referred_on`, keyed by the case's
    field ("benefit_application" or "referred_on"); empty when it can: accepted by INPS,
    the referral between the submission and the outcome."""
    errors: dict[str, str] = {}
    if application.status != Status.ACCEPTED or application.outcome_on is None:
        errors["benefit_application"] = _("Only an application accepted by INPS opens a case.")
    else:
        check_referral_within_application(errors, "referred_on", referred_on, application)
    return errors
