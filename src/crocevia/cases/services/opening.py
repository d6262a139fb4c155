"""Opening a case: from a desk contact, from an accepted referral, directly."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships, has_profile_in, organisation_ids
from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.dates import check_day, format_day
from crocevia.desk.models import Contact
from crocevia.people.selectors import persons_visible_to
from crocevia.people.services import lock_live_person

from ..models import Case, Origin, Stage
from .common import CASE_AUDIT_FIELDS

# --- opening --------------------------------------------------------------------------------


def _open_case_of(person) -> Case | None:
    return Case.objects.filter(person=person).exclude(stage=Stage.CLOSED).first()


def case_create(*, actor, person, organisation, referred_on, origin, household=None, **extra):
    """Validate and create a case; the person's latest closed case becomes previous_case.

    The actor's right to open it is the caller's to check (each way of opening a case has
    its own rule); `extra`: more fields of the case (an application's link, from the
    benefits app). Call it inside a transaction.
    """
    lock_live_person(person)
    errors: dict[str, str] = {}
    if organisation.zone_id is None:
        errors["organisation"] = _("The organisation belongs to no zone: it cannot own a case.")
    check_day(errors, "referred_on", referred_on)
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
        action=AuditAction.CASE_CREATE,
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
                % {"day": format_day(contact.date)}
            }
        )
    return case_create(
        actor=actor,
        person=contact.person,
        organisation=organisation,
        referred_on=referred_on,
        origin=Origin.DESK_CONTACT,
        source_contact=contact,
    )


def case_open_from_referral(*, actor, referral) -> Case:
    """The case a social worker opens by accepting a referral (called by referral_decide)."""
    return case_create(
        actor=actor,
        person=referral.person,
        organisation=referral.to_organisation,
        referred_on=referral.sent_on,
        origin=Origin.REFERRAL,
    )


@transaction.atomic
def case_open_direct(*, actor, person, organisation, referred_on, household=None) -> Case:
    """A social worker opens a case directly for a person their organisation knows."""
    if not (actor.is_superuser or has_profile_in(actor, organisation.pk, Profile.SOCIAL_WORKER)):
        raise PermissionDenied(_("Only a social worker of the organisation opens a case."))
    if not actor.is_superuser and not persons_visible_to(actor).filter(pk=person.pk).exists():
        raise PermissionDenied(_("You may not open a case for this person."))
    return case_create(
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
