"""Every write of an income-support application: recording, updating, importing.

Atomic, validated, audited (the audit event names the applicant as the person concerned).
Validation errors are ValidationError dicts keyed by the model's field names for
benefit_application_record/update, and by the interchange format's column names
(INTERCHANGE.md, kind `benefit_applications`) for the import functions.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships
from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.dates import date_range_error
from crocevia.core.errors import ConflictError as BaseConflictError
from crocevia.core.text import clean_line
from crocevia.network.models import Comune
from crocevia.people.models import Household
from crocevia.people.selectors import persons_by_external_id

from .models import BenefitApplication, Measure, Status

__all__ = [
    "APPLICATION_FIELDS",
    "COLUMNS",
    "ConflictError",
    "ImportResult",
    "RowError",
    "benefit_application_import",
    "benefit_application_record",
    "benefit_application_update",
    "benefit_applications_import_bulk",
    "can_record_benefit_applications",
    "row_date",
    "row_text",
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
# Interchange column → model field (INTERCHANGE.md, kind `benefit_applications`).
COLUMNS = {
    "external_id": "external_id",
    "household_id": "household",
    "applicant_external_id": "applicant",
    "comune_istat": "comune",
    "measure": "measure",
    "submitted_on": "submitted_on",
    "status": "status",
    "outcome_on": "outcome_on",
}
FIELD_TO_COLUMN = {f: c for c, f in COLUMNS.items()}
REQUIRED_COLUMNS = tuple(c for c in COLUMNS if c != "outcome_on")
# Who records applications: the social services and the coordinators of the Comune's zone.
RECORDING_PROFILES = {Profile.SOCIAL_WORKER, Profile.COORDINATOR, Profile.ADMINISTRATIVE}


class ConflictError(BaseConflictError):
    """The application changed since the caller read it (optimistic locking)."""

    def __init__(self, current):
        super().__init__(
            current, _("This application was changed by someone else in the meantime.")
        )


# --- shared by the importers (benefits and cases) -------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One reason a row cannot be imported; `index` is the row's position in the input."""

    index: int
    column: str
    value: object
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def row_text(row: dict, column: str, *, strict: bool = True) -> str:
    """The row's text in `column`, cleaned (core.text.clean_line); ValidationError keyed by
    the column if it holds an invisible, control or direction-changing character.

    `strict=False` only strips: for look-ups made before a row is validated.
    """
    value = row.get(column)
    if value is None:
        return ""
    if not strict:
        return str(value).strip()
    try:
        return clean_line(str(value))
    except ValidationError as exc:
        raise ValidationError({column: exc.messages[0]}) from None


def row_date(row: dict, column: str) -> datetime.date | None:
    """The row's date in `column`: a date, an ISO string, or empty (None).

    The interchange parser turns DD/MM/YYYY into dates before calling the services;
    anything else that is not a date raises ValidationError keyed by the column.
    """
    value = row.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        raise ValidationError({column: _("Enter a date, not a date and time.")})
    if isinstance(value, datetime.date):
        day = value
    else:
        try:
            day = datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError({column: _("Enter a valid date (YYYY-MM-DD).")}) from None
    # The range forms accept too; a date in the future gets its own message from the caller.
    reason = date_range_error(day, allow_future=True)
    if reason:
        raise ValidationError({column: reason})
    return day


def messages_of(exc: ValidationError) -> dict[str, str]:
    """{key: one message} from a ValidationError with or without a dict."""
    if hasattr(exc, "error_dict"):
        return {key: " ".join(messages) for key, messages in exc.message_dict.items()}
    return {"__all__": " ".join(exc.messages)}


# --- who may do what ------------------------------------------------------------------------


def can_record_benefit_applications(user, comune: Comune) -> bool:
    """Administrators, and the social workers, administrative staff and coordinators of an
    organisation in the Comune's zone."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(
        m.profile in RECORDING_PROFILES and m.organisation.zone_id == comune.zone_id
        for m in active_memberships(user)
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


# --- import ---------------------------------------------------------------------------------


class _Lookups:
    """Reference data resolved once per import (not once per row)."""

    def __init__(self, rows: Sequence[dict] = ()):
        def keys(column):
            return {row_text(r, column, strict=False) for r in rows} - {""}

        self.households = {
            h.external_id: h for h in Household.objects.filter(external_id__in=keys("household_id"))
        }
        # A merged record's id stands for the record it was merged into.
        self.persons = persons_by_external_id(keys("applicant_external_id"))
        self.comuni = {
            c.istat_code: c for c in Comune.objects.filter(istat_code__in=keys("comune_istat"))
        }
        self.applications = {
            a.external_id: a
            for a in BenefitApplication.objects.filter(external_id__in=keys("external_id"))
        }

    def get(self, mapping: dict, model, key: str, **lookup):
        if key not in mapping:
            mapping[key] = model.objects.filter(**lookup).first()
        return mapping[key]


def _row_data(row: dict, lookups: _Lookups) -> dict:
    """The row as APPLICATION_FIELDS values; ValidationError keyed by column."""
    errors: dict[str, str] = {}
    for column in REQUIRED_COLUMNS:
        if not row_text(row, column):
            errors[column] = _("This column is required.")
    data: dict = {}
    external_id = row_text(row, "external_id")
    if external_id:
        data["external_id"] = external_id
    key = row_text(row, "household_id")
    if key:
        household = lookups.get(lookups.households, Household, key, external_id=key)
        if household is None:
            errors["household_id"] = _("No household with id “%(id)s”.") % {"id": key}
        data["household"] = household
    key = row_text(row, "applicant_external_id")
    if key:
        if key not in lookups.persons:
            lookups.persons.update(persons_by_external_id([key]))
        person = lookups.persons.get(key)
        if person is None:
            errors["applicant_external_id"] = _("No person with id “%(id)s”.") % {"id": key}
        data["applicant"] = person
    key = row_text(row, "comune_istat")
    if key:
        comune = lookups.get(lookups.comuni, Comune, key, istat_code=key)
        if comune is None:
            errors["comune_istat"] = _("No Comune with ISTAT code “%(code)s”.") % {"code": key}
        data["comune"] = comune
    measure = row_text(row, "measure")
    if measure:
        # The codes are case-insensitive in a file (REI, rei, Other…).
        codes = {code.lower(): code for code in Measure.values}
        if measure.lower() not in codes:
            errors["measure"] = _("Unknown measure “%(value)s”: use %(codes)s.") % {
                "value": measure,
                "codes": ", ".join(Measure.values),
            }
        data["measure"] = codes.get(measure.lower(), measure)
    status = row_text(row, "status")
    if status:
        if status.lower() not in Status.values:
            errors["status"] = _("Unknown status “%(value)s”: use %(codes)s.") % {
                "value": status,
                "codes": ", ".join(Status.values),
            }
        data["status"] = status.lower()
    for column in ("submitted_on", "outcome_on"):
        try:
            day = row_date(row, column)
        except ValidationError as exc:
            errors.update(messages_of(exc))
        else:
            if day is not None or column == "outcome_on":
                data[column] = day
    if errors:
        raise ValidationError(errors)
    return data


def _to_columns(exc: ValidationError) -> ValidationError:
    return ValidationError(
        {FIELD_TO_COLUMN.get(key, key): message for key, message in messages_of(exc).items()}
    )


def benefit_application_import(
    *, actor, row: dict, lookups: _Lookups | None = None
) -> tuple[BenefitApplication, str]:
    """Create or update the application of one interchange row, keyed by external_id.

    Returns (application, action) with action "created", "updated" or "unchanged" (an
    identical row writes nothing, not even an audit event). Errors: ValidationError
    keyed by the row's column names ("__all__" for the row as a whole).
    """
    lookups = lookups or _Lookups([row])
    data = _row_data(row, lookups)
    existing = lookups.get(
        lookups.applications,
        BenefitApplication,
        data["external_id"],
        external_id=data["external_id"],
    )
    try:
        with transaction.atomic():
            if existing is None:
                application = benefit_application_record(
                    actor=actor, data=data, note=_("Imported.")
                )
                lookups.applications[application.external_id] = application
                return application, "created"
            version = existing.version
            application = benefit_application_update(
                actor=actor, application=existing, data=data, note=_("Imported.")
            )
            return application, ("unchanged" if application.version == version else "updated")
    except ValidationError as exc:
        raise _to_columns(exc) from exc


def benefit_applications_import_bulk(
    rows: Iterable[dict], actor, *, dry_run: bool = False
) -> ImportResult:
    """Import interchange rows all or nothing: any bad row → nothing written.

    Every row is validated (so the report lists every bad row: index, column, value,
    reason); a duplicate external_id inside the input is an error on its second
    occurrence. With `dry_run` nothing is written even when every row is good.
    """
    rows = list(rows)
    result = ImportResult()
    with transaction.atomic():
        lookups = _Lookups(rows)
        seen: dict[str, int] = {}
        for index, row in enumerate(rows):
            external_id = row_text(row, "external_id", strict=False)
            if external_id in seen:
                result.errors.append(
                    RowError(
                        index,
                        "external_id",
                        external_id,
                        _("The id “%(id)s” is already on another row of this file.")
                        % {"id": external_id},
                    )
                )
                continue
            if external_id:
                seen[external_id] = index
            try:
                _application, action = benefit_application_import(
                    actor=actor, row=row, lookups=lookups
                )
            except PermissionDenied as exc:
                result.errors.append(
                    RowError(index, "comune_istat", row.get("comune_istat"), str(exc))
                )
            except ValidationError as exc:
                for column, message in messages_of(exc).items():
                    result.errors.append(RowError(index, column, row.get(column), message))
            else:
                setattr(result, action, getattr(result, action) + 1)
        if result.errors or dry_run:
            transaction.set_rollback(True)
    return result
