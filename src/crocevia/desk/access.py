"""The one way a view obtains a contact or a desk."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.network.models import Desk

from .models import Contact
from .selectors import contact_is_writable_by, contacts_visible_to, desks_for_register


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
    return contact


def get_desk_for(user, pk) -> Desk:
    """One of the user's desks (404 for any other)."""
    try:
        return desks_for_register(user).get(pk=pk)
    except (Desk.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Desk not found.")) from None
