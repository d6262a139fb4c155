"""The one way a view obtains a contact, a referral or a desk (and the persons a desk's
lists show).

Obtaining what shows personal data records its access event (crocevia.audit.recording).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.audit.recording import (
    NOTE_REFERRALS,
    NOTE_REGISTER,
    record_access,
    record_persons_shown,
)
from crocevia.network.models import Desk

from .models import Contact, Referral
from .referral_selectors import (
    TABLE_RELATED,
    referral_is_decidable_by,
    referrals_received,
    referrals_sent,
    referrals_visible_to,
)
from .selectors import (
    contact_is_writable_by,
    contacts_visible_to,
    daily_register,
    desks_for_register,
)


def get_contact_for(user, pk, *, write: bool = False) -> Contact:
    """The contact `pk` if `user` may see it (404 otherwise); 403 if they may not change it."""
    try:
        contact = (
            contacts_visible_to(user)
            .select_related("person", "desk", "desk__organisation", "referred_to", "operator")
            .get(pk=pk)
        )
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Contact not found.")) from None
    if write and not contact_is_writable_by(user, contact):
        raise PermissionDenied(_("You may not change this contact."))
    record_access(actor=user, instance=contact, person_id=contact.person_id)
    return contact


def get_referral_for(user, pk, *, write: bool = False) -> Referral:
    """The referral `pk` if the user's organisation sent or received it (404 otherwise).

    With `write`, 403 unless the user may decide on it (the receiving organisation).
    """
    try:
        referral = referrals_visible_to(user).select_related(*TABLE_RELATED).get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Referral not found.")) from None
    if write and not referral_is_decidable_by(user, referral):
        raise PermissionDenied(_("Only the receiving organisation decides on a referral."))
    record_access(actor=user, instance=referral, person_id=referral.person_id)
    return referral


def get_desk_for(user, pk) -> Desk:
    """One of the user's desks (404 for any other)."""
    try:
        return desks_for_register(user).get(pk=pk)
    except (Desk.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Desk not found.")) from None


def daily_register_for(user, *, desk: Desk, day):
    """daily_register (selectors), its contacts read and their persons recorded as shown."""
    contacts, counts = daily_register(user, desk=desk, day=day)
    contacts = list(contacts)
    record_persons_shown(actor=user, person_ids=[c.person_id for c in contacts], note=NOTE_REGISTER)
    return contacts, counts


def referrals_received_for(user) -> list[Referral]:
    """The user's inbox of referrals (selectors), their persons recorded as shown."""
    referrals = list(referrals_received(user))
    record_persons_shown(
        actor=user, person_ids=[r.person_id for r in referrals], note=NOTE_REFERRALS
    )
    return referrals


def referrals_sent_for(user) -> list[Referral]:
    """The referrals the user's organisations sent (selectors), persons recorded as shown."""
    referrals = list(referrals_sent(user))
    record_persons_shown(
        actor=user, person_ids=[r.person_id for r in referrals], note=NOTE_REFERRALS
    )
    return referrals
