"""The `cases` kind of the interchange (INTERCHANGE.md): rows walked through the workflow."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import coordinated_zone_ids
from crocevia.benefits.models import BenefitApplication
from crocevia.benefits.models import Status as BenefitStatus
from crocevia.benefits.opening import audit_benefit_link as _audit_benefit_link
from crocevia.benefits.opening import (
    check_referral_within_application as _check_referral_within_application,
)
from crocevia.benefits.services import ImportResult, RowError, messages_of, row_date, row_text
from crocevia.core.dates import format_day as _format
from crocevia.network.models import Organisation
from crocevia.people.selectors import persons_by_external_id

from ..models import Case, NeedClass, Origin, Outcome, PlanKind, ServiceArea, Stage
from ..workflow import case_transition
from .opening import case_create as _create_case

# --- import (INTERCHANGE.md, kind `cases`) --------------------------------------------------

CASE_IMPORT_COLUMNS = (
    "external_id",
    "person_external_id",
    "organisation_code",
    "referred_on",
    "benefit_application_id",
    "preassessed_on",
    "need_class",
    "team_formed_on",
    "assessed_on",
    "plan_kind",
    "plan_signed_on",
    "plan_started_on",
    "closed_on",
    "outcome",
    "area",
)
_REQUIRED_CASE_COLUMNS = ("external_id", "person_external_id", "organisation_code", "referred_on")
_CASE_DATE_COLUMNS = (
    "referred_on",
    "preassessed_on",
    "team_formed_on",
    "assessed_on",
    "plan_signed_on",
    "plan_started_on",
    "closed_on",
)
_CASE_CODE_COLUMNS = {
    "need_class": NeedClass,
    "plan_kind": PlanKind,
    "outcome": Outcome,
    "area": ServiceArea,
}
# The workflow steps an imported row walks, in pathway order: (milestone column, target
# stage, the columns the transition sets). Column names are the case's field names.
_IMPORT_STEPS = (
    ("preassessed_on", Stage.PREASSESSED, ("need_class", "area")),
    ("team_formed_on", Stage.TEAM_FORMED, ()),
    ("assessed_on", Stage.ASSESSED, ()),
    ("plan_signed_on", Stage.PLAN_SIGNED, ("plan_kind",)),
    ("plan_started_on", Stage.IN_PROGRESS, ()),
    ("closed_on", Stage.CLOSED, ("outcome",)),
)
# _create_case's error keys → the row's columns.
_CREATE_ERROR_COLUMNS = {
    "organisation": "organisation_code",
    "household": "benefit_application_id",
    "__all__": "person_external_id",
}


@dataclass
class CaseImportResult(ImportResult):
    # Open cases of the rows, past team formation, whose case manager is to be appointed
    # (the register does not name one): the coordination group's to-do.
    managers_to_appoint: int = 0


class _CaseLookups:
    """Persons, organisations and applications resolved once per import."""

    def __init__(self):
        self.persons: dict = {}
        self.organisations: dict = {}
        self.applications: dict = {}

    @staticmethod
    def _get(cache: dict, queryset, **lookup):
        key = next(iter(lookup.values()))
        if key not in cache:
            cache[key] = queryset.filter(**lookup).first()
        return cache[key]

    def person(self, key):
        # A merged record's id stands for the record it was merged into.
        if key not in self.persons:
            self.persons[key] = persons_by_external_id([key]).get(key)
        return self.persons[key]

    def organisation(self, key):
        return self._get(self.organisations, Organisation.objects.all(), code=key)

    def application(self, key):
        return self._get(
            self.applications,
            BenefitApplication.objects.select_related("household"),
            external_id=key,
        )


def _parse_case_row(row: dict) -> dict:
    """The row's values (dates as dates, codes as codes, empty as None/""), checked for
    what no single transition can see; ValidationError keyed by column."""
    errors: dict[str, str] = {}
    values: dict = {}
    for column in _REQUIRED_CASE_COLUMNS:
        if not row_text(row, column):
            errors[column] = _("This column is required.")
    for column in (
        "external_id",
        "person_external_id",
        "organisation_code",
        "benefit_application_id",
    ):
        values[column] = row_text(row, column)
    for column in _CASE_DATE_COLUMNS:
        try:
            values[column] = row_date(row, column)
        except ValidationError as exc:
            errors.update(messages_of(exc))
            values[column] = None
    for column, choices in _CASE_CODE_COLUMNS.items():
        code = row_text(row, column).lower()
        if code and code not in choices.values:
            errors[column] = _("Unknown code “%(value)s”: use %(codes)s.") % {
                "value": row_text(row, column),
                "codes": ", ".join(choices.values),
            }
        values[column] = code

    def missing(column: str, message: str) -> None:
        # A column another one needs; the first reason found is kept.
        if values.get(column) in (None, "") and column not in errors:
            errors[column] = message

    v = values
    if v["need_class"]:
        missing("preassessed_on", _("Enter the pre-assessment date: the row has a need class."))
    if any(v[c] for c in ("team_formed_on", "assessed_on", "plan_signed_on", "plan_started_on")):
        missing("preassessed_on", _("Enter the pre-assessment date: later milestones are given."))
    if v["preassessed_on"]:
        missing("need_class", _("Choose the need class (work, social or complex)."))
    if v["need_class"] == NeedClass.COMPLEX:
        if v["assessed_on"]:
            missing(
                "team_formed_on",
                _("A case with complex needs has its team formed before it is assessed."),
            )
        if v["plan_signed_on"]:
            missing(
                "assessed_on",
                _(
                    "A case with complex needs must be assessed by its team before the plan "
                    "is signed."
                ),
            )
    elif v["need_class"] in NeedClass.values:
        for column in ("team_formed_on", "assessed_on"):
            if v[column] and column not in errors:
                errors[column] = _(
                    "Only a case with complex needs has a team and an assessment; this one is "
                    "“%(need)s”."
                ) % {"need": NeedClass(v["need_class"]).label}
    if v["plan_kind"]:
        missing("plan_signed_on", _("Enter the date the plan was signed: the row has a plan kind."))
    if v["plan_started_on"]:
        missing(
            "plan_signed_on", _("Enter the date the plan was signed: the row has a plan start.")
        )
    if v["plan_signed_on"]:
        missing("plan_kind", _("Choose the kind of the signed plan."))
    if v["outcome"]:
        missing("closed_on", _("Enter the closing date: the row has an outcome."))
    if v["closed_on"]:
        missing("outcome", _("Choose the outcome of the case to close it."))
    if errors:
        raise ValidationError(errors)
    return values


def _compare_existing(case: Case, values: dict, person=None) -> None:
    """An import adds milestones forward; it never changes or removes a recorded one."""
    errors: dict[str, str] = {}

    def refuse(column: str, recorded) -> None:
        shown = _format(recorded) if isinstance(recorded, datetime.date) else recorded
        errors[column] = _(
            "Case %(id)s already has %(value)s here: an import cannot change or remove what "
            "is recorded."
        ) % {"id": case.external_id, "value": f"“{shown}”"}

    if person is not None and case.person_id != person.pk:
        refuse("person_external_id", case.person.external_id or case.person_id)
    if case.organisation.code != values["organisation_code"]:
        refuse("organisation_code", case.organisation.code)
    if case.referred_on != values["referred_on"]:
        refuse("referred_on", case.referred_on)
    linked = case.benefit_application.external_id if case.benefit_application_id else ""
    if linked != values["benefit_application_id"]:
        refuse("benefit_application_id", linked or "—")
    for milestone, _stage, sets in _IMPORT_STEPS:
        recorded = getattr(case, milestone)
        if recorded is None:
            continue
        if values[milestone] != recorded:
            refuse(milestone, recorded)
        for column in sets:
            if column == "area" and not values[column]:
                continue  # optional: a register without the column keeps what is recorded
            if values[column] != getattr(case, column):
                refuse(column, getattr(case, column) or "—")
    if case.is_closed:
        for milestone, _stage, _sets in _IMPORT_STEPS:
            if values[milestone] and getattr(case, milestone) is None and milestone not in errors:
                errors[milestone] = _(
                    "Case %(id)s is closed: an import cannot add milestones to it."
                ) % {"id": case.external_id}
    if errors:
        raise ValidationError(errors)


def _may_import_case(actor, organisation) -> bool:
    # No actor: the system itself (the `crocevia import` command), as for the other imports.
    return (
        actor is None
        or actor.is_superuser
        or (
            organisation.zone_id is not None and organisation.zone_id in coordinated_zone_ids(actor)
        )
    )


def _case_import(*, actor, row: dict, lookups: _CaseLookups) -> tuple[Case, str]:
    values = _parse_case_row(row)
    errors: dict[str, str] = {}
    person = lookups.person(values["person_external_id"])
    if person is None:
        errors["person_external_id"] = _("No person with id “%(id)s”.") % {
            "id": values["person_external_id"]
        }
    organisation = lookups.organisation(values["organisation_code"])
    if organisation is None:
        errors["organisation_code"] = _("No organisation with code “%(code)s”.") % {
            "code": values["organisation_code"]
        }
    elif not _may_import_case(actor, organisation):
        errors["organisation_code"] = _("You may not import cases of %(organisation)s.") % {
            "organisation": organisation
        }
    application = None
    if values["benefit_application_id"]:
        application = lookups.application(values["benefit_application_id"])
        if application is None:
            errors["benefit_application_id"] = _("No application with id “%(id)s”.") % {
                "id": values["benefit_application_id"]
            }
        elif application.status != BenefitStatus.ACCEPTED or application.outcome_on is None:
            errors["benefit_application_id"] = _(
                "Only an application accepted by INPS opens a case."
            )
        else:
            _check_referral_within_application(
                errors, "referred_on", values["referred_on"], application
            )
    if errors:
        raise ValidationError(errors)

    case = (
        Case.objects.select_related("person", "organisation", "benefit_application")
        .filter(external_id=values["external_id"])
        .first()
    )
    action = "updated"
    if case is not None:
        _compare_existing(case, values, person)
    else:
        action = "created"
        extra = {"external_id": values["external_id"]}
        if application is not None:
            extra.update(
                household=application.household,
                benefit_application=application,
                benefit_outcome_on=application.outcome_on,
            )
        try:
            case = _create_case(
                actor=actor,
                person=person,
                organisation=organisation,
                referred_on=values["referred_on"],
                origin=Origin.BENEFIT if application is not None else Origin.IMPORT,
                **extra,
            )
        except ValidationError as exc:
            raise ValidationError(
                {_CREATE_ERROR_COLUMNS.get(k, k): m for k, m in messages_of(exc).items()}
            ) from exc
        if application is not None:
            _audit_benefit_link(actor, case)

    moved = False
    for milestone, stage, sets in _IMPORT_STEPS:
        day = values[milestone]
        if day is None or getattr(case, milestone) is not None:
            continue
        try:
            # History from a register: a team formed under a case manager the row does not
            # name is recorded so; the case manager is to be appointed by the coordination
            # group (case_set_manager). No stand-in, not even the importing user: the
            # case record says what the register says.
            case = case_transition(
                case=case,
                actor=actor,
                to_stage=stage,
                on=day,
                from_register=True,
                **{column: values[column] for column in sets},
            )
        except ValidationError as exc:
            # A guard's message on the whole case belongs to the milestone being added.
            raise ValidationError(
                {(milestone if k == "__all__" else k): m for k, m in messages_of(exc).items()}
            ) from exc
        moved = True
    if action == "updated" and not moved:
        action = "unchanged"
    return case, action


@transaction.atomic
def case_import(*, actor, row: dict) -> Case:
    """Create or update a case from an interchange `cases` row, keyed by external_id.

    The row walks the same workflow as a case on screen: the case opens on referred_on
    (origin "import", or "benefit" with benefit_application_id, whose accepted INPS
    outcome becomes benefit_outcome_on), then case_transition moves it one milestone at a
    time with the row's dates, so every pathway rule holds (order, no future date, need
    class and plan kind, complex needs assessed before the plan, outcome on closure).

    A row past team formation names no case manager: the case is recorded with its
    milestones and no case manager ("to be appointed", Case.case_manager_to_appoint),
    whoever imports it, and the coordination group names one (case_set_manager). Neither
    an operator nor an importing user is needed to load history.

    Updates only add milestones forward: a row that would change or remove a recorded
    milestone (or the person, organisation, referral or application) is an error naming
    that column; a row equal to the case changes nothing and writes no audit event.
    Errors: ValidationError keyed by the row's column names; nothing is written. The
    importer must be an administrator or a coordinator of the organisation's zone.
    """
    case, _action = _case_import(actor=actor, row=row, lookups=_CaseLookups())
    return case


def cases_import_bulk(rows, actor, *, dry_run: bool = False) -> CaseImportResult:
    """Import interchange `cases` rows all or nothing (RowError index = position in rows).

    Rows are walked in referral order, so a person's earlier closed case is in place
    before a later one opens (and becomes its previous_case); errors keep their index.
    `managers_to_appoint` counts the rows' open cases whose case manager is to be
    appointed (a dry run counts what the import would leave so).
    """
    rows = list(rows)
    result = CaseImportResult()

    def referral_key(item):
        try:
            day = row_date(item[1], "referred_on")
        except ValidationError:
            day = None
        return (day or datetime.date.min, item[0])

    # A repeated external_id is an error on its later lines, in file order.
    first_index: dict[str, int] = {}
    for index, row in enumerate(rows):
        first_index.setdefault(row_text(row, "external_id", strict=False), index)
    with transaction.atomic():
        lookups = _CaseLookups()
        for index, row in sorted(enumerate(rows), key=referral_key):
            external_id = row_text(row, "external_id", strict=False)
            if external_id and first_index[external_id] != index:
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
            try:
                with transaction.atomic():
                    case, action = _case_import(actor=actor, row=row, lookups=lookups)
            except ValidationError as exc:
                for column, message in messages_of(exc).items():
                    result.errors.append(RowError(index, column, row.get(column), message))
            else:
                setattr(result, action, getattr(result, action) + 1)
                result.managers_to_appoint += case.case_manager_to_appoint
        if result.errors or dry_run:
            transaction.set_rollback(True)
    result.errors.sort(
        key=lambda e: (
            e.index,
            CASE_IMPORT_COLUMNS.index(e.column) if e.column in CASE_IMPORT_COLUMNS else 99,
        )
    )
    return result
