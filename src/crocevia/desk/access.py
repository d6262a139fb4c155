"""The one way a view obtains a contact, a referral or a desk (and the persons a desk's
lists show), and who may change a contact or decide on a referral.

Obtaining what shows personal data records its access event (crocevia.audit.recording).
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import (
    active_memberships,
    coordinated_zone_ids,
    is_monitoring_only,
    organisation_ids,
)
from crocevia.audit.recording import (
    NOTE_REFERRALS,
    NOTE_REGISTER,
    record_access,
    record_persons_shown,
)
from crocevia.network.models import Desk, Organisation
from crocevia.network.selectors import organisations_of

from .models import Contact, Referral
from .referral_selectors import (
    TABLE_RELATED,
    filter_referrals,
    referrals_received,
    referrals_sent,
    referrals_visible_to,
    state_counts,
)
from .referrals import answer_due_before, is_overdue
from .selectors import (
    contacts_visible_to,
    daily_register,
    desks_for_register,
)

PAGE_SIZE = 50

# --- who may do what ------------------------------------------------------------------------


def contact_is_writable_by(user, contact: Contact) -> bool:
    """True when the contact is at one of the user's desks (see network.selectors.desks_of).

    Computed from the memberships cached on the user, so a list can ask it for every row
    without a query per row (contact.desk must be loaded, e.g. by select_related).
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if is_monitoring_only(user):
        return False
    memberships = active_memberships(user)
    named = {d.pk: d for m in memberships for d in m.desks.all()}
    # Same rule as desks_of: the named desks, or else every desk of the organisations.
    if named:
        desk = named.get(contact.desk_id)
        return desk is not None and desk.active
    return contact.desk.active and contact.desk.organisation_id in organisation_ids(user)


def contact_is_shared_with(user, contact: Contact) -> bool:
    """True when `user` reads the contact only because an agreement shares the contacts of
    its desk's organisation (selectors.contacts_visible_to): not one of their own
    organisations' nor of a zone they coordinate. From the cached memberships: no query
    (contact.desk.organisation must be loaded)."""
    if not user.is_authenticated or user.is_superuser:
        return False
    organisation = contact.desk.organisation
    return organisation.pk not in organisation_ids(user) and (
        organisation.zone_id is None or organisation.zone_id not in coordinated_zone_ids(user)
    )


def referral_is_withdrawable_by(user, referral: Referral) -> bool:
    """True when the user works for the sending organisation (memberships are cached)."""
    if not user.is_authenticated or not user.is_active or is_monitoring_only(user):
        return False
    return user.is_superuser or referral.from_organisation_id in organisation_ids(user)


def referral_is_decidable_by(user, referral: Referral) -> bool:
    """True when the user works for the receiving organisation (memberships are cached).
    Monitoring officers see no referral by name, so decide on none."""
    if not user.is_authenticated or not user.is_active or is_monitoring_only(user):
        return False
    return user.is_superuser or referral.to_organisation_id in organisation_ids(user)


def referral_senders_for(user) -> QuerySet[Organisation]:
    """The organisations `user` may send a referral from (every one for administrators),
    by name; 403 for monitoring officers and for anyone who works for none."""
    if user.is_superuser:
        senders = Organisation.objects.order_by("name")
    else:
        senders = organisations_of(user).order_by("name")
    if is_monitoring_only(user) or not senders.exists():
        raise PermissionDenied(_("You do not work for any organisation of the network."))
    return senders


def contact_desks_for(user) -> QuerySet[Desk]:
    """The desks `user` may record a contact at (desks_for_register); 403 when none."""
    desks = desks_for_register(user)
    if not desks.exists():
        raise PermissionDenied(_("You do not work at any desk."))
    return desks


# --- contacts, referrals, desks -------------------------------------------------------------


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


def get_referral_for(user, pk, *, write: bool = False, side: str = "receiver") -> Referral:
    """The referral `pk` if the user's organisation sent or received it (404 otherwise).

    With `write`, 403 unless the user acts for `side`: "receiver" answers and completes,
    "sender" withdraws.
    """
    try:
        referral = referrals_visible_to(user).select_related(*TABLE_RELATED).get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Referral not found.")) from None
    if write and side == "receiver" and not referral_is_decidable_by(user, referral):
        raise PermissionDenied(_("Only the receiving organisation answers a referral."))
    if write and side == "sender" and not referral_is_withdrawable_by(user, referral):
        raise PermissionDenied(_("Only the sending organisation withdraws a referral."))
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


def referral_queue_for(user, *, received: bool, page=1, **filters):
    """A page of the user's referrals received (the inbox) or sent (selectors), filtered
    and ordered (referral_selectors.filter_referrals); its persons recorded as shown.
    Returns the page, the counts per state and the day before which an answer is late."""
    due_before = answer_due_before()
    queryset = referrals_received(user) if received else referrals_sent(user)
    counts = state_counts(queryset, due_before=due_before)
    listed = filter_referrals(queryset, due_before=due_before, **filters)
    page = Paginator(listed, PAGE_SIZE).get_page(page)
    page.object_list = list(page.object_list)
    record_persons_shown(
        actor=user, person_ids=[r.person_id for r in page.object_list], note=NOTE_REFERRALS
    )
    for referral in page.object_list:
        referral.overdue = is_overdue(referral, due_before=due_before)
    return page, counts, due_before
