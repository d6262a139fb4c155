"""Referrals (invii) between services: sending one, and the receiver's decision.

Sharing a person with another organisation needs the person's recorded consent to
sharing within the network (PATHWAY.md, who sees what): without it nothing is sent.
A social worker of the receiving organisation who accepts a referral opens a case: what
opens it is the cases app's, registered in desk.hooks (cases sits above desk).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships, organisation_ids
from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.dates import format_day, is_day
from crocevia.people.models import Consent
from crocevia.people.selectors import persons_visible_to
from crocevia.people.services import lock_live_person

from .hooks import referral_accepted_handler
from .models import Referral

REFERRAL_AUDIT_FIELDS = [
    "person",
    "contact",
    "from_organisation",
    "to_organisation",
    "sent_on",
    "reason",
    "status",
    "decided_on",
    "decided_by",
    "decision_note",
]


def has_network_sharing_consent(person) -> bool:
    """True when the person has an active consent to sharing within the network."""
    return Consent.objects.filter(
        person=person, scope=Consent.Scope.NETWORK_SHARING, withdrawn_on__isnull=True
    ).exists()


def no_consent_message(person, organisation) -> str:
    return _(
        "%(person)s has not consented to sharing within the network, so nothing can be "
        "shared with %(organisation)s. Record the person's consent first."
    ) % {"person": person, "organisation": organisation}


def _check_day(errors: dict, field: str, day, *, not_before=None, not_before_label="") -> None:
    """core.dates.check_day with the desk's own messages (which do not repeat the day)."""
    if not is_day(day):
        errors[field] = _("Enter a valid date.")
    elif day > timezone.localdate():
        errors[field] = _("The date cannot be in the future.")
    elif not_before is not None and day < not_before:
        errors[field] = _("The date cannot be before %(what)s (%(day)s).") % {
            "what": not_before_label,
            "day": format_day(not_before),
        }


@transaction.atomic
def referral_send(
    *, actor, person, from_organisation, to_organisation, sent_on, reason="", contact=None
) -> Referral:
    """Send `person` from one organisation to another; needs the network-sharing consent."""
    lock_live_person(person)
    errors: dict[str, str] = {}
    if not actor.is_superuser:
        if from_organisation.pk not in organisation_ids(actor):
            errors["from_organisation"] = _("You do not work for this organisation.")
        if not persons_visible_to(actor).filter(pk=person.pk).exists():
            errors["person"] = _("You may not refer this person.")
    if to_organisation.pk == from_organisation.pk:
        errors["to_organisation"] = _("Choose another organisation than the sender.")
    elif not has_network_sharing_consent(person):
        errors["to_organisation"] = no_consent_message(person, to_organisation)
    _check_day(errors, "sent_on", sent_on)
    if contact is not None and contact.person_id != person.pk:
        errors["contact"] = _("The contact belongs to another person.")
    if errors:
        raise ValidationError(errors)
    referral = Referral.objects.create(
        person=person,
        contact=contact,
        from_organisation=from_organisation,
        to_organisation=to_organisation,
        sent_on=sent_on,
        reason=(reason or "").strip(),
        sent_by=actor,
    )
    audit_change(
        actor=actor,
        action=AuditAction.REFERRAL_CREATE,
        instance=referral,
        changes=diff({}, snapshot(referral, REFERRAL_AUDIT_FIELDS)),
        person=person,
    )
    return referral


def _is_social_worker_of(user, organisation) -> bool:
    return user.is_superuser or any(
        m.organisation_id == organisation.pk and m.profile == Profile.SOCIAL_WORKER
        for m in active_memberships(user)
    )


@transaction.atomic
def referral_decide(*, actor, referral, accept: bool, on, note="") -> Referral:
    """The receiver accepts or refuses a referral.

    Only an operator of the receiving organisation decides. When a social worker of the
    receiving organisation accepts, a case opens (origin "referral": what cases registered
    in desk.hooks) and is returned as `referral.case`; otherwise `referral.case` is None.
    """
    current = Referral.objects.select_for_update().select_related("person").get(pk=referral.pk)
    if not actor.is_superuser and current.to_organisation_id not in organisation_ids(actor):
        raise PermissionDenied(_("Only the receiving organisation decides on a referral."))
    errors: dict[str, str] = {}
    if current.status != Referral.Status.PENDING:
        errors["__all__"] = _("This referral has already been decided.")
    _check_day(
        errors, "decided_on", on, not_before=current.sent_on, not_before_label=_("the referral")
    )
    if errors:
        raise ValidationError(errors)
    before = snapshot(current, REFERRAL_AUDIT_FIELDS)
    current.status = Referral.Status.ACCEPTED if accept else Referral.Status.REFUSED
    current.decided_on = on
    current.decided_by = actor
    current.decision_note = (note or "").strip()
    current.save()
    audit_change(
        actor=actor,
        action=AuditAction.REFERRAL_ACCEPT if accept else AuditAction.REFERRAL_REFUSE,
        instance=current,
        changes=diff(before, snapshot(current, REFERRAL_AUDIT_FIELDS)),
        person=current.person,
    )
    current.case = None
    open_case = referral_accepted_handler()
    if accept and open_case is not None and _is_social_worker_of(actor, current.to_organisation):
        current.case = open_case(actor=actor, referral=current)
    return current
