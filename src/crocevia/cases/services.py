"""Every write of a case: opening, pre-assessment, team, closure. Atomic, validated, audited.

Stages change only through workflow.case_transition. Validation errors are ValidationError
dicts keyed by the form fields' names; a user who may not make a change gets
PermissionDenied. A closed case is read-only.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crocevia.accounts.models import Membership, Profile
from crocevia.accounts.selectors import active_memberships, coordinated_zone_ids, organisation_ids
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.benefits.models import BenefitApplication
from crocevia.benefits.models import Status as BenefitStatus
from crocevia.benefits.services import ImportResult, RowError, messages_of, row_date, row_text
from crocevia.desk.models import Contact, ItalianLevel
from crocevia.desk.referrals import (
    has_network_sharing_consent,
    no_consent_message,
    referral_decide,
    referral_send,
)
from crocevia.network.models import Organisation
from crocevia.people.selectors import persons_by_external_id, persons_visible_to
from crocevia.people.services import lock_live_person

from .models import Case, NeedClass, Origin, Outcome, PlanKind, ServiceArea, Stage, TeamMember
from .selectors import is_zone_coordinator_of
from .workflow import case_transition, check_milestone_date

__all__ = [
    "SECTION_A_FIELDS",
    "can_manage_case",
    "case_close",
    "case_form_team",
    "case_open_direct",
    "case_open_from_contact",
    "case_open_from_referral",
    "case_preassess",
    "case_set_manager",
    "open_case_with_plan_for_household",
    "referral_decide",
    "referral_send",
    "team_member_add",
    "team_member_remove",
]

SECTION_A_FIELDS = (
    "household_composition",
    "income_and_benefits",
    "work_history",
    "skills",
    "italian_level",
    "housing",
    "housing_notes",
    "health_declared",
    "legal_status",
    "services_involved",
)
CASE_AUDIT_FIELDS = [
    "person",
    "household",
    "organisation",
    "zone",
    "origin",
    "source_contact",
    "referred_on",
    "stage",
    "previous_case",
    "case_manager",
]
TEAM_AUDIT_FIELDS = ["case", "user", "organisation", "role", "health_access", "added_on"]
INTAKE_AUDIT_FIELDS = [
    *SECTION_A_FIELDS,
    "social_worker",
    "cpi_consultant",
    "need_class",
    "completed_on",
]


def _format(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


# --- who may do what ------------------------------------------------------------------------


def _has_profile_in(user, organisation_id, profile) -> bool:
    return any(
        m.organisation_id == organisation_id and m.profile == profile
        for m in active_memberships(user)
    )


def can_manage_case(user, case: Case) -> bool:
    """Who steers a case: its zone coordinators, its case manager, the social workers of
    the organisation that owns it; for a work-only case also the CPI consultants on its
    team (the case is the CPI's)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or case.case_manager_id == user.pk:
        return True
    if is_zone_coordinator_of(user, case):
        return True
    if _has_profile_in(user, case.organisation_id, Profile.SOCIAL_WORKER):
        return True
    if case.need_class == NeedClass.WORK:
        return TeamMember.objects.filter(
            case=case, user=user, removed_on__isnull=True, role=Profile.CPI_CONSULTANT
        ).exists()
    return False


def _require_open(case: Case) -> None:
    if case.is_closed:
        raise PermissionDenied(_("This case is closed: it can be read but not changed."))


def _require_manager(actor, case: Case) -> None:
    _require_open(case)
    if not can_manage_case(actor, case):
        raise PermissionDenied(_("You may not change this case."))


def _check_day(errors: dict, field: str, day, *, not_before=None, label="") -> None:
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        errors[field] = _("Enter a valid date.")
    elif day > timezone.localdate():
        errors[field] = _("The date (%(day)s) cannot be in the future.") % {"day": _format(day)}
    elif not_before is not None and day < not_before:
        errors[field] = _("The date (%(day)s) cannot be before %(what)s (%(previous)s).") % {
            "day": _format(day),
            "what": label,
            "previous": _format(not_before),
        }


# --- opening --------------------------------------------------------------------------------


def _open_case_of(person) -> Case | None:
    return Case.objects.filter(person=person).exclude(stage=Stage.CLOSED).first()


def _create_case(*, actor, person, organisation, referred_on, origin, household=None, **extra):
    """Validate and create a case; the person's latest closed case becomes previous_case."""
    lock_live_person(person)
    errors: dict[str, str] = {}
    if organisation.zone_id is None:
        errors["organisation"] = _("The organisation belongs to no zone: it cannot own a case.")
    _check_day(errors, "referred_on", referred_on)
    existing = _open_case_of(person)
    if existing is not None:
        errors["__all__"] = _(
            "%(person)s already has an open case (n. %(number)s): continue that one instead of "
            "opening another."
        ) % {"person": person, "number": existing.pk}
    if household is not None and person.household_id != household.pk:
        errors["household"] = _("The person is not a member of this household.")
    if errors:
        raise ValidationError(errors)
    previous = (
        Case.objects.filter(person=person, stage=Stage.CLOSED).order_by("-closed_on", "-pk").first()
    )
    case = Case.objects.create(
        person=person,
        household=household if household is not None else person.household,
        organisation=organisation,
        zone_id=organisation.zone_id,
        origin=origin,
        referred_on=referred_on,
        previous_case=previous,
        created_by=actor,
        **extra,
    )
    audit_change(
        actor=actor,
        action="create",
        instance=case,
        changes=diff({}, snapshot(case, CASE_AUDIT_FIELDS)),
        person=person,
    )
    return case


@transaction.atomic
def case_open_from_contact(*, actor, contact, on=None) -> Case:
    """Open the case of a desk contact sent to level 2; the contact's data carries over.

    Person, organisation (the desk's), zone and referred_on (the contact's date, or `on`)
    come from the contact. Only an operator of the desk's organisation (or a coordinator
    of its zone) opens it.
    """
    contact = Contact.objects.select_related("person", "desk__organisation").get(pk=contact.pk)
    organisation = contact.desk.organisation
    allowed = (
        actor.is_superuser
        or organisation.pk in organisation_ids(actor)
        or (
            organisation.zone_id is not None
            and any(
                m.profile == Profile.COORDINATOR and m.organisation.zone_id == organisation.zone_id
                for m in active_memberships(actor)
            )
        )
    )
    if not allowed:
        raise PermissionDenied(_("You may not open a case from this contact."))
    errors: dict[str, str] = {}
    if contact.outcome != Contact.Outcome.SECOND_LEVEL:
        errors["__all__"] = _("Only a contact sent to level 2 opens a case.")
    elif Case.objects.filter(source_contact=contact).exists():
        errors["__all__"] = _("A case has already been opened from this contact.")
    if errors:
        raise ValidationError(errors)
    referred_on = on if on is not None else contact.date
    if isinstance(referred_on, datetime.date) and referred_on < contact.date:
        raise ValidationError(
            {
                "referred_on": _("The case cannot open before the contact (%(day)s).")
                % {"day": _format(contact.date)}
            }
        )
    return _create_case(
        actor=actor,
        person=contact.person,
        organisation=organisation,
        referred_on=referred_on,
        origin=Origin.DESK_CONTACT,
        source_contact=contact,
    )


def case_open_from_referral(*, actor, referral) -> Case:
    """The case a social worker opens by accepting a referral (called by referral_decide)."""
    return _create_case(
        actor=actor,
        person=referral.person,
        organisation=referral.to_organisation,
        referred_on=referral.sent_on,
        origin=Origin.REFERRAL,
    )


@transaction.atomic
def case_open_direct(*, actor, person, organisation, referred_on, household=None) -> Case:
    """A social worker opens a case directly for a person their organisation knows."""
    if not (actor.is_superuser or _has_profile_in(actor, organisation.pk, Profile.SOCIAL_WORKER)):
        raise PermissionDenied(_("Only a social worker of the organisation opens a case."))
    if not actor.is_superuser and not persons_visible_to(actor).filter(pk=person.pk).exists():
        raise PermissionDenied(_("You may not open a case for this person."))
    return _create_case(
        actor=actor,
        person=person,
        organisation=organisation,
        referred_on=referred_on,
        origin=Origin.DIRECT,
        household=household,
    )


def open_case_with_plan_for_household(case: Case) -> Case | None:
    """Another open case of the same household that already has a plan (to extend it
    instead of writing a duplicate), or None."""
    if not case.household_id:
        return None
    return (
        Case.objects.filter(household_id=case.household_id, plan__isnull=False)
        .exclude(stage=Stage.CLOSED)
        .exclude(pk=case.pk)
        .select_related("person", "organisation")
        .order_by("-referred_on", "-pk")
        .first()
    )


# --- team -----------------------------------------------------------------------------------


def _memberships_in(user, organisation) -> list[Membership]:
    return [m for m in Membership.objects.filter(user=user, organisation=organisation, active=True)]


def _team_member_add(*, actor, case, user, organisation, role, on) -> TeamMember:
    """team_member_add without the check on who the actor is (callers check it)."""
    errors: dict[str, str] = {}
    memberships = _memberships_in(user, organisation)
    if not user.is_active or not memberships:
        errors["user"] = _("%(user)s does not work for %(organisation)s.") % {
            "user": user,
            "organisation": organisation,
        }
    if role not in Profile.values:
        errors["role"] = _("Choose the member's role.")
    _check_day(errors, "on", on, not_before=case.referred_on, label=_("the referral"))
    if TeamMember.objects.filter(case=case, user=user, removed_on__isnull=True).exists():
        errors["user"] = _("%(user)s is already on the team.") % {"user": user}
    if (
        "user" not in errors
        and organisation.pk != case.organisation_id
        and not has_network_sharing_consent(case.person)
    ):
        errors["organisation"] = no_consent_message(case.person, organisation)
    if errors:
        raise ValidationError(errors)
    health = organisation.kind == Organisation.Kind.ASL_SERVICE or any(
        m.profile == Profile.PHYSICIAN for m in memberships
    )
    member = TeamMember.objects.create(
        case=case,
        user=user,
        organisation=organisation,
        role=role,
        health_access=health,
        added_on=on,
        added_by=actor,
    )
    audit_change(
        actor=actor,
        action="team_add",
        instance=member,
        changes=diff({}, snapshot(member, TEAM_AUDIT_FIELDS)),
        person=case.person,
    )
    return member


@transaction.atomic
def team_member_add(*, actor, case, user, organisation, role, on) -> TeamMember:
    """Add an operator of `organisation` to the case's team.

    An operator of another organisation than the case's joins only when the person has
    an active consent to sharing within the network: otherwise ValidationError, and
    nothing is written. Physicians and ASL services' operators read health information.
    """
    _require_manager(actor, case)
    return _team_member_add(
        actor=actor, case=case, user=user, organisation=organisation, role=role, on=on
    )


@transaction.atomic
def team_member_remove(*, actor, member, on) -> TeamMember:
    member = TeamMember.objects.select_for_update().select_related("case__person").get(pk=member.pk)
    case = member.case
    _require_manager(actor, case)
    errors: dict[str, str] = {}
    if member.removed_on is not None:
        errors["__all__"] = _("This operator has already left the team.")
    elif case.case_manager_id == member.user_id:
        errors["__all__"] = _("Name another case manager before removing this one from the team.")
    _check_day(errors, "on", on, not_before=member.added_on, label=_("joining the team"))
    if errors:
        raise ValidationError(errors)
    member.removed_on = on
    member.save(update_fields=["removed_on"])
    audit_change(
        actor=actor,
        action="team_remove",
        instance=member,
        changes={"removed_on": [None, on.isoformat()]},
        person=case.person,
    )
    return member


def membership_for_team(user, case: Case) -> Membership | None:
    """The membership through which `user` joins a case's team: the case's organisation
    first, else their first active one."""
    memberships = sorted(
        Membership.objects.filter(user=user, active=True).select_related("organisation"),
        key=lambda m: (m.organisation_id != case.organisation_id, m.pk),
    )
    return memberships[0] if memberships else None


@transaction.atomic
def case_set_manager(*, actor, case, user) -> Case:
    """The coordination group (a zone coordinator) names the case manager, who joins the
    team (through the consent gate when from another organisation)."""
    _require_open(case)
    if not is_zone_coordinator_of(actor, case):
        raise PermissionDenied(_("Only a coordinator of the zone names the case manager."))
    locked = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
    membership = membership_for_team(user, locked) if user.is_active else None
    if membership is None:
        raise ValidationError({"user": _("%(user)s is not an active operator.") % {"user": user}})
    if not TeamMember.objects.filter(case=locked, user=user, removed_on__isnull=True).exists():
        _team_member_add(
            actor=actor,
            case=locked,
            user=user,
            organisation=membership.organisation,
            role=membership.profile,
            on=timezone.localdate(),
        )
    old = locked.case_manager_id
    locked.case_manager = user
    locked.version += 1
    locked.save(update_fields=["case_manager", "version", "updated_at"])
    audit_change(
        actor=actor,
        action="set_manager",
        instance=locked,
        changes={"case_manager": [str(old) if old else None, str(user.pk)]},
        person=locked.person,
    )
    case.refresh_from_db()
    return case


@transaction.atomic
def case_form_team(*, actor, case, on) -> Case:
    """The coordinator (or the case manager) declares the team formed."""
    _require_open(case)
    if not (is_zone_coordinator_of(actor, case) or case.case_manager_id == actor.pk):
        raise PermissionDenied(
            _("Only a coordinator of the zone or the case manager forms the team.")
        )
    return case_transition(case=case, actor=actor, to_stage=Stage.TEAM_FORMED, on=on)


# --- pre-assessment -------------------------------------------------------------------------


def _mini_team_membership(user, case, profile) -> Membership | None:
    options = sorted(
        (
            m
            for m in Membership.objects.filter(
                user=user, active=True, profile=profile
            ).select_related("organisation")
        ),
        key=lambda m: (m.organisation_id != case.organisation_id, m.pk),
    )
    return options[0] if options else None


@transaction.atomic
def case_preassess(
    *, actor, case, on, need_class, social_worker, cpi_consultant, area="", **section_a
):
    """Record section A (the mini-team's pre-assessment) and classify the need and the
    service area (ServiceArea; the form requires it, an old register may lack it).

    The social worker and the CPI consultant join the team (consent gate included), then
    the case moves to "pre-assessed" with the need class and the date. All or nothing.
    """
    from crocevia.assessments.models import Housing, Intake

    unknown = set(section_a) - set(SECTION_A_FIELDS)
    if unknown:
        raise TypeError(f"Unknown section A fields: {', '.join(sorted(unknown))}")
    _require_manager(actor, case)
    errors: dict[str, str] = {}
    values = {name: (section_a.get(name) or "") for name in SECTION_A_FIELDS}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
    if values["italian_level"] and values["italian_level"] not in ItalianLevel.values:
        errors["italian_level"] = _("Choose a valid level of Italian.")
    if values["housing"] and values["housing"] not in Housing.values:
        errors["housing"] = _("Choose a valid housing situation.")
    if need_class not in NeedClass.values:
        errors["need_class"] = _("Choose the need class (work, social or complex).")
    if area and area not in ServiceArea.values:
        errors["area"] = _("Choose a valid service area.")
    sw = (
        _mini_team_membership(social_worker, case, Profile.SOCIAL_WORKER) if social_worker else None
    )
    if sw is None:
        errors["social_worker"] = _("Choose a social worker.")
    cpi = (
        _mini_team_membership(cpi_consultant, case, Profile.CPI_CONSULTANT)
        if cpi_consultant
        else None
    )
    if cpi is None:
        errors["cpi_consultant"] = _("Choose a CPI consultant.")
    if case.stage != Stage.REFERRED:
        errors["__all__"] = _("This case has already been pre-assessed.")
    try:
        check_milestone_date(case, "preassessed_on", on)
    except ValidationError as exc:
        errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)

    intake = Intake.objects.filter(case=case).first()
    before = snapshot(intake, INTAKE_AUDIT_FIELDS) if intake else {}
    if intake is None:
        intake = Intake(case=case)
    else:
        intake.version += 1
    for name, value in values.items():
        setattr(intake, name, value)
    intake.social_worker = social_worker
    intake.cpi_consultant = cpi_consultant
    intake.need_class = need_class
    intake.completed_on = on
    intake.save()
    audit_change(
        actor=actor,
        action="update" if before else "create",
        instance=intake,
        changes=diff(before, snapshot(intake, INTAKE_AUDIT_FIELDS)),
        person=case.person,
    )
    active = set(
        TeamMember.objects.filter(case=case, removed_on__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    for field, membership in (("social_worker", sw), ("cpi_consultant", cpi)):
        if membership.user_id in active:
            continue
        try:
            _team_member_add(
                actor=actor,
                case=case,
                user=membership.user,
                organisation=membership.organisation,
                role=membership.profile,
                on=on,
            )
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from exc
        active.add(membership.user_id)
    return case_transition(
        case=case,
        actor=actor,
        to_stage=Stage.PREASSESSED,
        on=on,
        need_class=need_class,
        area=area or "",
    )


# --- closure and access ---------------------------------------------------------------------


@transaction.atomic
def case_close(*, actor, case, on, outcome, closing_note="") -> Case:
    """Close the case with its outcome; it becomes read-only. A new need opens a new case."""
    _require_manager(actor, case)
    return case_transition(
        case=case,
        actor=actor,
        to_stage=Stage.CLOSED,
        on=on,
        outcome=outcome or "",
        closing_note=(closing_note or "").strip(),
    )


# --- income-support applications ------------------------------------------------------------

__all__ += [
    "CASE_IMPORT_COLUMNS",
    "case_import",
    "case_open_from_benefit",
    "cases_import_bulk",
]


def _check_referral_within_application(
    errors: dict, column: str, referred_on, application: BenefitApplication
) -> None:
    """A case from an application opens between its submission and its INPS outcome.

    The outcome is the milestone after the referral (PATHWAY.md: each milestone on or
    after the one before), and the pre-assessment is checked against it.
    """
    if not isinstance(referred_on, datetime.date) or column in errors:
        return
    if referred_on < application.submitted_on:
        errors[column] = _(
            "The case cannot open (%(day)s) before the application was submitted (%(sub)s)."
        ) % {"day": _format(referred_on), "sub": _format(application.submitted_on)}
    elif application.outcome_on is not None and referred_on > application.outcome_on:
        errors[column] = _(
            "The referral (%(day)s) cannot be after the INPS outcome (%(outcome)s): enter the "
            "day the household was referred, at the latest the day of the outcome."
        ) % {"day": _format(referred_on), "outcome": _format(application.outcome_on)}


def _audit_benefit_link(actor, case: Case) -> None:
    audit_change(
        actor=actor,
        action="benefit_link",
        instance=case,
        changes={
            "benefit_application": [None, str(case.benefit_application_id)],
            "benefit_outcome_on": [None, case.benefit_outcome_on.isoformat()],
        },
        person=case.person,
    )


@transaction.atomic
def case_open_from_benefit(*, actor, application, organisation, referred_on=None) -> Case:
    """Open the case of a household's application accepted by INPS (origin "benefit").

    The applicant is the case's person and the household the case's; the INPS outcome
    date becomes the `benefit_outcome_on` milestone, so the pre-assessment cannot be
    dated before it. `referred_on` (default: the submission date) lies between the
    submission and the outcome. One case per application. A social worker of
    `organisation` or a coordinator of its zone opens it.
    """
    if not (
        actor.is_superuser
        or _has_profile_in(actor, organisation.pk, Profile.SOCIAL_WORKER)
        or (
            organisation.zone_id is not None and organisation.zone_id in coordinated_zone_ids(actor)
        )
    ):
        raise PermissionDenied(
            _("Only a social worker of the organisation or a coordinator of its zone opens a case.")
        )
    application = BenefitApplication.objects.select_related("applicant", "household").get(
        pk=application.pk
    )
    errors: dict[str, str] = {}
    existing = Case.objects.filter(benefit_application=application).first()
    if application.status != BenefitStatus.ACCEPTED or application.outcome_on is None:
        errors["__all__"] = _("Only an application accepted by INPS opens a case.")
    elif existing is not None:
        errors["__all__"] = _(
            "A case has already been opened from this application (n. %(number)s)."
        ) % {"number": existing.pk}
    if referred_on is None:
        referred_on = application.submitted_on
    _check_referral_within_application(errors, "referred_on", referred_on, application)
    if errors:
        raise ValidationError(errors)
    case = _create_case(
        actor=actor,
        person=application.applicant,
        organisation=organisation,
        referred_on=referred_on,
        origin=Origin.BENEFIT,
        household=application.household,
        benefit_application=application,
        benefit_outcome_on=application.outcome_on,
    )
    _audit_benefit_link(actor, case)
    return case


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
