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
from crocevia.people.models import SharingBasis
from crocevia.people.selectors import persons_visible_to
from crocevia.people.services import lock_live_person
from crocevia.people.sharing import LEGAL_BASES, check_sharing, record_consent_if_given

from ..models import Case, Origin, Stage
from .common import CASE_AUDIT_FIELDS

# --- opening --------------------------------------------------------------------------------


def _open_case_of(person) -> Case | None:
    return Case.objects.filter(person=person).exclude(stage=Stage.CLOSED).first()


def case_create(
    *,
    actor,
    person,
    organisation,
    referred_on,
    origin,
    household=None,
    sharing: dict | None = None,
    **extra,
):
    """Validate and create a case; the person's latest closed case becomes previous_case.

    The actor's right to open it is the caller's to check (each way of opening a case has
    its own rule); `extra`: more fields of the case (an application's link, from the
    benefits app). Call it inside a transaction.

    `sharing` (sharing_basis, sharing_note, consent_now): the basis on which the team of
    several organisations (the CPI at pre-assessment, first) will share the person's
    data, asked here (people.sharing.check_sharing) so that no later step fails for it;
    None: not asked (imports, and ways of opening that carry a basis in `extra`).
    """
    lock_live_person(person)
    errors: dict[str, str] = {}
    if sharing is not None:
        extra["sharing_basis"] = check_sharing(
            errors,
            person=person,
            crosses=True,
            basis=sharing.get("sharing_basis"),
            note=sharing.get("sharing_note", ""),
            consent_now=sharing.get("consent_now", False),
            receiver=_("the case team"),
        )
        extra["sharing_note"] = (
            (sharing.get("sharing_note") or "").strip()
            if extra["sharing_basis"] in LEGAL_BASES
            else ""
        )
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
    if sharing is not None:
        record_consent_if_given(
            actor=actor,
            person=person,
            basis=extra["sharing_basis"],
            consent_now=sharing.get("consent_now", False),
        )
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
def case_open_from_contact(*, actor, contact, on=None, sharing: dict | None = None) -> Case:
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
        sharing=sharing or {},
    )


def case_open_from_referral(*, actor, referral) -> tuple[Case, bool]:
    """The person's case for a referral a social worker accepts (called by
    referral_answer): their open case if they have one (the referral joins it), else a
    case the acceptance opens. Returns (case, opened).

    The referral's consent or legal basis carries over to a new case; a referral within
    one organisation (or a register's) asked for none: the case page then asks for it."""
    existing = _open_case_of(referral.person)
    if existing is not None:
        return existing, False
    carried = referral.sharing_basis in (SharingBasis.CONSENT, *LEGAL_BASES)
    case = case_create(
        actor=actor,
        person=referral.person,
        organisation=referral.to_organisation,
        referred_on=referral.sent_on,
        origin=Origin.REFERRAL,
        sharing_basis=referral.sharing_basis if carried else "",
        sharing_note=referral.sharing_note if carried else "",
    )
    return case, True


@transaction.atomic
def case_open_direct(
    *, actor, person, organisation, referred_on, household=None, sharing: dict | None = None
) -> Case:
    """A social worker opens a case directly for a person their organisation knows."""
    if not (actor.is_superuser or has_profile_in(actor, organisation.pk, Profile.SOCIAL_WORKER)):
        raise PermissionDenied(_("Only a social worker of the organisation opens a case."))
    # On the actor's own grounds: an agreement lets them read the person, not open a case.
    own = persons_visible_to(actor, agreements=False)
    if not actor.is_superuser and not own.filter(pk=person.pk).exists():
        raise PermissionDenied(_("You may not open a case for this person."))
    return case_create(
        actor=actor,
        person=person,
        organisation=organisation,
        referred_on=referred_on,
        origin=Origin.DIRECT,
        household=household,
        sharing=sharing or {},
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
