"""The `cases` import: rows parsed by the interchange (kind `cases`, which reads the file
and resolves its codes), walked through the same workflow as a case on screen."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import coordinated_zone_ids
from crocevia.core.dates import format_day as _format
from crocevia.core.errors import RowsRefused, messages_of

from ..models import Case, NeedClass, Origin, Stage
from ..workflow import case_transition
from .opening import case_create as _create_case

# The workflow steps an imported row walks, in pathway order: (milestone, target stage, the
# row's values the transition sets). A row's keys are the case's field names.
_IMPORT_STEPS = (
    ("preassessed_on", Stage.PREASSESSED, ("need_class", "area")),
    ("team_formed_on", Stage.TEAM_FORMED, ()),
    ("assessed_on", Stage.ASSESSED, ()),
    ("plan_signed_on", Stage.PLAN_SIGNED, ("plan_kind",)),
    ("plan_started_on", Stage.IN_PROGRESS, ()),
    ("closed_on", Stage.CLOSED, ("outcome",)),
)
# _create_case's error keys → the row's keys.
_CREATE_ERROR_KEYS = {"household": "benefit_application", "__all__": "person"}


@dataclass(frozen=True)
class ApplicationLink:
    """How an income-support application opens a case: the benefits app's rules, given by
    the caller (benefits sits above cases, which never imports it).

    `errors(application, referred_on)`: {row key: message} when the application cannot
    open a case referred that day, else empty; `opened(actor, case)`: called once the
    case is created from it, before its milestones are walked.
    """

    errors: Callable[..., dict[str, str]]
    opened: Callable[..., None]


@dataclass
class CaseImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Open cases of the rows, past team formation, whose case manager is to be appointed
    # (the register does not name one): the coordination group's to-do.
    managers_to_appoint: int = 0


def _check_row(v: dict) -> None:
    """What no single transition can see: the values a row's other values need;
    ValidationError keyed by the row's keys."""
    errors: dict[str, str] = {}

    def missing(key: str, message: str) -> None:
        # A value another one needs; the first reason found is kept.
        if v.get(key) in (None, "") and key not in errors:
            errors[key] = message

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
        for key in ("team_formed_on", "assessed_on"):
            if v[key] and key not in errors:
                errors[key] = _(
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


def _compare_existing(case: Case, row: dict) -> None:
    """An import adds milestones forward; it never changes or removes a recorded one."""
    errors: dict[str, str] = {}

    def refuse(key: str, recorded) -> None:
        shown = _format(recorded) if isinstance(recorded, datetime.date) else recorded
        errors[key] = _(
            "Case %(id)s already has %(value)s here: an import cannot change or remove what "
            "is recorded."
        ) % {"id": case.external_id, "value": f"“{shown}”"}

    if case.person_id != row["person"].pk:
        refuse("person", case.person.external_id or case.person_id)
    if case.organisation_id != row["organisation"].pk:
        refuse("organisation", case.organisation.code)
    if case.referred_on != row["referred_on"]:
        refuse("referred_on", case.referred_on)
    application = row["benefit_application"]
    if case.benefit_application_id != (application.pk if application is not None else None):
        linked = case.benefit_application.external_id if case.benefit_application_id else ""
        refuse("benefit_application", linked or "—")
    for milestone, _stage, sets in _IMPORT_STEPS:
        recorded = getattr(case, milestone)
        if recorded is None:
            continue
        if row[milestone] != recorded:
            refuse(milestone, recorded)
        for key in sets:
            if key == "area" and not row[key]:
                continue  # optional: a register without the column keeps what is recorded
            if row[key] != getattr(case, key):
                refuse(key, getattr(case, key) or "—")
    if case.is_closed:
        for milestone, _stage, _sets in _IMPORT_STEPS:
            if row[milestone] and getattr(case, milestone) is None and milestone not in errors:
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


def _case_import(*, actor, row: dict, link: ApplicationLink | None) -> tuple[Case, str]:
    _check_row(row)
    errors: dict[str, str] = {}
    organisation = row["organisation"]
    if not _may_import_case(actor, organisation):
        errors["organisation"] = _("You may not import cases of %(organisation)s.") % {
            "organisation": organisation
        }
    application = row["benefit_application"]
    if application is not None:
        if link is None:
            raise TypeError("A row with a benefit_application needs an application_link.")
        errors.update(link.errors(application, row["referred_on"]))
    if errors:
        raise ValidationError(errors)

    case = (
        Case.objects.select_related("person", "organisation", "benefit_application")
        .filter(external_id=row["external_id"])
        .first()
    )
    action = "updated"
    if case is not None:
        _compare_existing(case, row)
    else:
        action = "created"
        extra = {"external_id": row["external_id"]}
        if application is not None:
            extra.update(
                household=application.household,
                benefit_application=application,
                benefit_outcome_on=application.outcome_on,
            )
        try:
            case = _create_case(
                actor=actor,
                person=row["person"],
                organisation=organisation,
                referred_on=row["referred_on"],
                origin=Origin.BENEFIT if application is not None else Origin.IMPORT,
                **extra,
            )
        except ValidationError as exc:
            raise ValidationError(
                {_CREATE_ERROR_KEYS.get(k, k): m for k, m in messages_of(exc).items()}
            ) from exc
        if application is not None:
            link.opened(actor, case)

    moved = False
    for milestone, stage, sets in _IMPORT_STEPS:
        day = row[milestone]
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
                **{key: row[key] for key in sets},
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
def case_import(*, actor, row: dict, application_link: ApplicationLink | None = None) -> Case:
    """Create or update a case from one parsed row, keyed by its external_id.

    `row` holds the case's values, parsed and resolved by the caller: external_id,
    person and organisation (instances), referred_on (a date), benefit_application (an
    instance or None; then `application_link` gives its rules), the milestone dates
    (preassessed_on, team_formed_on, assessed_on, plan_signed_on, plan_started_on,
    closed_on: dates or None) and the codes need_class, plan_kind, outcome and area
    ("" when empty).

    The row walks the same workflow as a case on screen: the case opens on referred_on
    (origin "import", or "benefit" with an application, whose accepted INPS outcome
    becomes benefit_outcome_on), then case_transition moves it one milestone at a time
    with the row's dates, so every pathway rule holds (order, no future date, need class
    and plan kind, complex needs assessed before the plan, outcome on closure).

    A row past team formation names no case manager: the case is recorded with its
    milestones and no case manager ("to be appointed", Case.case_manager_to_appoint),
    whoever imports it, and the coordination group names one (case_set_manager). Neither
    an operator nor an importing user is needed to load history.

    Updates only add milestones forward: a row that would change or remove a recorded
    milestone (or the person, organisation, referral or application) is an error naming
    that key; a row equal to the case changes nothing and writes no audit event.
    Errors: ValidationError keyed by the row's keys; nothing is written. The importer
    must be an administrator or a coordinator of the organisation's zone.
    """
    case, _action = _case_import(actor=actor, row=row, link=application_link)
    return case


def cases_import_bulk(
    *, actor, rows: list[dict], application_link: ApplicationLink | None = None
) -> CaseImportCounts:
    """Create or update the cases of parsed rows (as case_import's), all or nothing.

    Rows are walked in referral order, so a person's earlier closed case is in place
    before a later one opens (and becomes its previous_case). Any bad row raises
    RowsRefused with every bad row's errors (by position in `rows`) and nothing is
    written. `managers_to_appoint` counts the rows' open cases whose case manager is to
    be appointed.
    """
    counts = CaseImportCounts()
    errors: dict[int, dict[str, str]] = {}
    with transaction.atomic():
        walk = sorted(
            enumerate(rows), key=lambda item: (item[1]["referred_on"] or datetime.date.min, item[0])
        )
        for index, row in walk:
            try:
                with transaction.atomic():
                    case, action = _case_import(actor=actor, row=row, link=application_link)
            except ValidationError as exc:
                errors[index] = messages_of(exc)
            else:
                setattr(counts, action, getattr(counts, action) + 1)
                counts.managers_to_appoint += case.case_manager_to_appoint
        if errors:
            raise RowsRefused(errors)
    return counts
