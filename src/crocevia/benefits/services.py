"""Every write of an income-support application: recording (by hand or imported),
updating, recording INPS's outcome, following a household up on a negative outcome.

Atomic, validated, audited (the audit event names the applicant as the person concerned).
Validation errors are ValidationError dicts keyed by the model's field names, which are
also the keys of an imported row (the interchange, kind `benefit_applications`, reads
the file and names each error by its column).

What the import's columns do not carry (the reason for a negative outcome and its note)
is recorded on the application's page (benefit_application_record_outcome), which asks
for the whole outcome: a lapsed, suspended or rejected application has its date and its
reason, one being processed neither. An import that changes the status clears the reason
and its note, which belonged to the earlier outcome.
"""

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.cases.models import Case
from crocevia.core.dates import check_day, format_day
from crocevia.core.errors import ConflictError as BaseConflictError
from crocevia.core.errors import RowsRefused, messages_of
from crocevia.network.models import Comune

from .access import can_record_benefit_applications, follows_up_households_of
from .models import (
    GENERATED_ID_PREFIX,
    NEGATIVE_STATUSES,
    BenefitApplication,
    FollowUp,
    OutcomeReason,
    Status,
)
from .opening import check_referral_within_application

__all__ = [
    "APPLICATION_FIELDS",
    "ConflictError",
    "application_case_errors",
    "benefit_application_add",
    "benefit_application_follow_up",
    "benefit_application_import",
    "benefit_application_record",
    "benefit_application_record_outcome",
    "benefit_application_update",
    "benefit_applications_import_bulk",
    "check_referral_within_application",
]

# The fields of an imported row (the interchange's columns, resolved).
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
# What the application's page adds to INPS's outcome.
OUTCOME_DETAIL_FIELDS = ("outcome_reason", "outcome_note")
# The fields a caller may set through benefit_application_record / _update, and the
# fields of their audit events.
RECORD_FIELDS = APPLICATION_FIELDS + OUTCOME_DETAIL_FIELDS
# The outcome, as recorded on the application's page.
OUTCOME_FIELDS = ("status", "outcome_on", *OUTCOME_DETAIL_FIELDS)


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


def _refuse_changing_case_outcome(current: BenefitApplication, data: dict) -> None:
    """A case opened from the application carries its acceptance and its outcome date (the
    `benefit_outcome_on` milestone, which dates the pre-assessment): neither changes then.
    One query, only when `data` changes them."""
    status = data.get("status", current.status)
    outcome_on = data.get("outcome_on", current.outcome_on)
    if status == current.status and outcome_on == current.outcome_on:
        return
    case = Case.objects.filter(benefit_application=current).only("pk").first()
    if case is None:
        return
    field = "status" if status != current.status else "outcome_on"
    raise ValidationError(
        {
            field: _(
                "Case n. %(number)s was opened from this application, accepted by INPS on "
                "%(day)s, and carries that outcome: the status and the outcome date can no "
                "longer change."
            )
            % {
                "number": case.pk,
                "day": format_day(current.outcome_on) if current.outcome_on else "–",
            }
        }
    )


# --- record and update ----------------------------------------------------------------------


def _check_keys(data: dict) -> None:
    unknown = set(data) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"Unknown application fields: {', '.join(sorted(unknown))}")


def _apply_and_validate(
    application: BenefitApplication,
    data: dict,
    *,
    check_membership: bool = True,
    whole_outcome: bool = False,
) -> None:
    """Set `data` on `application` and validate the whole record; one ValidationError with
    every field's message, keyed by field name.

    The applicant must belong to the household when the application is recorded or its
    household or applicant changes (people move later; an old application stays valid).
    `whole_outcome` (the application's page): a lapsed, suspended or rejected
    application has its outcome date and its reason, one being processed neither (a
    register's row may lack them: the import asks for no more than its columns say).
    """
    for name, value in data.items():
        setattr(application, name, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list] = {}
    try:
        # The check constraints are checked below, with messages on their field.
        application.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.error_dict)

    def refuse(name: str, message: str) -> None:
        if name not in errors:
            errors[name] = [ValidationError(message)]

    today = timezone.localdate()
    submitted = application.submitted_on
    outcome = application.outcome_on
    for name, day in (("submitted_on", submitted), ("outcome_on", outcome)):
        if isinstance(day, datetime.date) and day > today:
            refuse(
                name, _("The date (%(day)s) cannot be in the future.") % {"day": format_day(day)}
            )
    status = application.status
    negative = status in NEGATIVE_STATUSES
    if (
        isinstance(outcome, datetime.date)
        and isinstance(submitted, datetime.date)
        and outcome < submitted
    ):
        refuse(
            "outcome_on",
            _("The INPS outcome (%(day)s) cannot be before the submission (%(sub)s).")
            % {"day": format_day(outcome), "sub": format_day(submitted)},
        )
    elif status == Status.ACCEPTED and outcome is None:
        refuse("outcome_on", _("Enter the INPS outcome date of an accepted application."))
    elif whole_outcome and negative and outcome is None:
        refuse(
            "outcome_on",
            _(
                "Enter the date of the INPS outcome: the day INPS revoked, suspended or "
                "rejected the application."
            ),
        )
    elif whole_outcome and status == Status.PROCESSING and outcome is not None:
        refuse(
            "outcome_on",
            _(
                "An application still being processed has no outcome date: leave the date "
                "empty, or choose the outcome INPS gave."
            ),
        )
    reason = application.outcome_reason
    if reason and status in Status.values and not negative:
        refuse(
            "outcome_reason",
            _(
                "Only a lapsed or revoked, suspended or rejected application has a reason: "
                "leave the reason empty."
            ),
        )
    elif whole_outcome and negative and not reason:
        refuse("outcome_reason", _("Choose the reason INPS gave for this outcome."))
    if reason == OutcomeReason.OTHER and not application.outcome_note:
        refuse(
            "outcome_note",
            _("Describe the reason in the note: you chose “Other reason”."),
        )
    if (
        check_membership
        and "applicant" not in errors
        and "household" not in errors
        and application.applicant_id
        and application.household_id
        and application.applicant.household_id != application.household_id
    ):
        refuse(
            "applicant",
            _("%(person)s is not a member of this household.") % {"person": application.applicant},
        )
    if errors:
        raise ValidationError(errors)


def _creation_changes(application: BenefitApplication) -> dict:
    """The new record's values, its empty outcome details left out."""
    changes = diff({}, snapshot(application, RECORD_FIELDS))
    for name in OUTCOME_DETAIL_FIELDS:
        if changes.get(name) == [None, ""]:
            del changes[name]
    return changes


def _create(actor, data: dict, *, note: str = "", whole_outcome: bool = False):
    _check_keys(data)
    _require_may_record(actor, data.get("comune"))
    application = BenefitApplication()
    _apply_and_validate(application, data, whole_outcome=whole_outcome)
    application.save()
    return application


def _audit_creation(actor, application: BenefitApplication, note: str = "") -> None:
    audit_change(
        actor=actor,
        action=AuditAction.BENEFIT_APPLICATION_CREATE,
        instance=application,
        changes=_creation_changes(application),
        person=application.applicant,
        note=note,
    )


@transaction.atomic
def benefit_application_record(*, actor, data: dict, note: str = "") -> BenefitApplication:
    """Record a household's application. `data` holds APPLICATION_FIELDS (instances for
    household, applicant and comune), and may hold OUTCOME_DETAIL_FIELDS. The applicant
    is a member of the household."""
    application = _create(actor, data, note=note)
    _audit_creation(actor, application, note)
    return application


def _generated_id(application: BenefitApplication) -> str:
    """GENERATED_ID_PREFIX and the record's own id; a suffix in the unlikely case that a
    register's row took that text as its id."""
    base = candidate = f"{GENERATED_ID_PREFIX}{application.pk}"
    n = 1
    taken = BenefitApplication.objects.exclude(pk=application.pk)
    while taken.filter(external_id=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def benefit_application_add(
    *, actor, household, applicant, comune, measure, submitted_on, external_id: str = ""
) -> BenefitApplication:
    """Record by hand an application the household has submitted to INPS: it is being
    processed until its outcome is recorded (benefit_application_record_outcome).

    `external_id` is the id INPS gave (its protocol number); without it the application
    gets one of ours (GENERATED_ID_PREFIX and its number), the key the interchange's
    export gives it too.
    """
    external_id = (external_id or "").strip()
    if external_id.lower().startswith(GENERATED_ID_PREFIX):
        raise ValidationError(
            {
                "external_id": _(
                    "Ids starting with “%(prefix)s” are those Crocevia gives: enter the id "
                    "INPS gave, or leave it empty."
                )
                % {"prefix": GENERATED_ID_PREFIX}
            }
        )
    data = {
        # A unique stand-in until the record has its number.
        "external_id": external_id or f"{GENERATED_ID_PREFIX}new-{uuid.uuid4().hex}",
        "household": household,
        "applicant": applicant,
        "comune": comune,
        "measure": measure,
        "submitted_on": submitted_on,
        "status": Status.PROCESSING,
        "outcome_on": None,
    }
    application = _create(actor, data, whole_outcome=True)
    if not external_id:
        application.external_id = _generated_id(application)
        application.save(update_fields=["external_id"])
    _audit_creation(actor, application)
    return application


def _locked(application, expected_version, *related) -> BenefitApplication:
    """The application's row, locked (its `related` rows read along, not locked);
    ConflictError if it changed since `expected_version`."""
    current = (
        BenefitApplication.objects.select_for_update(of=("self",))
        .select_related(*related)
        .get(pk=application.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(current)
    return current


def _save_changes(actor, current, application, changes, action, note="") -> BenefitApplication:
    current.version += 1
    current.save()
    audit_change(
        actor=actor,
        action=action,
        instance=current,
        changes=changes,
        person=current.applicant,
        note=note,
    )
    if application is not current:
        application.refresh_from_db()
    return current


@transaction.atomic
def benefit_application_update(
    *, actor, application, data: dict, expected_version: int | None = None, note: str = ""
) -> BenefitApplication:
    """Change an application (a new status, the INPS outcome…). ConflictError if it
    changed since `expected_version`; nothing is written when nothing changes. A new
    status without its reason (an imported row) clears the reason and the note of the
    earlier outcome."""
    _check_keys(data)
    current = _locked(application, expected_version)
    _require_may_record(actor, current.comune)
    _require_may_record(actor, data.get("comune"))
    before = snapshot(current, RECORD_FIELDS)
    changed = {name for name, value in data.items() if before[name] != snapshot_value(value)}
    if not changed:
        return current
    _refuse_changing_case_outcome(current, data)
    if "status" in changed and not set(OUTCOME_DETAIL_FIELDS) & set(data):
        data = {**data, **dict.fromkeys(OUTCOME_DETAIL_FIELDS, "")}
    _apply_and_validate(current, data, check_membership=bool(changed & {"household", "applicant"}))
    changes = diff(before, snapshot(current, RECORD_FIELDS))
    if not changes:
        return current
    return _save_changes(
        actor, current, application, changes, AuditAction.BENEFIT_APPLICATION_UPDATE, note
    )


@transaction.atomic
def benefit_application_record_outcome(
    *,
    actor,
    application,
    status: str,
    outcome_on,
    reason: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> BenefitApplication:
    """Record the outcome INPS gave (or that the application is being processed again).

    Accepted: its date. Lapsed or revoked, suspended, rejected: its date and the reason
    INPS gave (OutcomeReason; "other" described in the note). Being processed: neither.
    The date lies between the submission and today. ConflictError if the application
    changed since `expected_version`; nothing is written when nothing changes. A new
    outcome waits for its own follow-up (selectors.to_follow_up_condition).
    """
    current = _locked(application, expected_version)
    _require_may_record(actor, current.comune)
    before = snapshot(current, RECORD_FIELDS)
    data = {
        "status": status,
        "outcome_on": outcome_on,
        "outcome_reason": reason or "",
        "outcome_note": note or "",
    }
    _refuse_changing_case_outcome(current, data)
    _apply_and_validate(current, data, check_membership=False, whole_outcome=True)
    changes = diff(before, snapshot(current, RECORD_FIELDS))
    if not changes:
        return current
    return _save_changes(
        actor, current, application, changes, AuditAction.BENEFIT_APPLICATION_RECORD_OUTCOME
    )


@transaction.atomic
def benefit_application_follow_up(
    *, actor, application, on, note: str, expected_version: int | None = None
) -> FollowUp:
    """Record that the social services stood beside the household on the application's
    negative outcome (lapsed or revoked, suspended, rejected): on `on` (not before the
    outcome, not in the future), what was done (`note`). It answers the outcome the
    application has now; ConflictError if the application changed since
    `expected_version` (a new outcome, say: the operator checks it first)."""
    # Who may not follow up is told so before anything else (even a changed application).
    current = _locked(application, None, "comune", "applicant")
    if actor is not None and not follows_up_households_of(actor, current):
        raise PermissionDenied(
            _("Only a social worker or a coordinator of the zone follows a household up.")
        )
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(current)
    if not current.is_negative:
        raise ValidationError(
            {
                "__all__": _(
                    "Only a lapsed or revoked, suspended or rejected application is followed up."
                )
            }
        )
    note = (note or "").strip()
    errors: dict[str, str] = {}
    check_day(errors, "on", on, not_before=current.outcome_on, label=_("the INPS outcome"))
    if not note:
        errors["note"] = _("Write what was done with the household.")
    if errors:
        raise ValidationError(errors)
    follow_up = FollowUp.objects.create(
        application=current,
        status=current.status,
        outcome_on=current.outcome_on,
        on=on,
        note=note,
        recorded_by=actor,
    )
    audit_change(
        actor=actor,
        action=AuditAction.BENEFIT_APPLICATION_FOLLOW_UP,
        instance=current,
        changes={"followed_up_on": [None, on.isoformat()], "follow_up_note": [None, note]},
        person=current.applicant,
    )
    return follow_up


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
