"""The one way a view obtains a zone, an organisation or an agreement of the network.

404 for what the user may not see; 403 for an agreement they see but may not change.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Agreement, Organisation, Zone
from .selectors import (
    agreement_editable_by,
    agreements_visible_to,
    organisations_visible_to,
    with_parties,
    zones_visible_to,
)


def get_zone_for(user, pk) -> Zone:
    try:
        return zones_visible_to(user).get(pk=pk)
    except (Zone.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Zone not found.")) from None


def get_organisation_for(user, pk) -> Organisation:
    try:
        return organisations_visible_to(user).select_related("zone", "comune").get(pk=pk)
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Organisation not found.")) from None


def get_agreement_for(user, pk, *, write: bool = False) -> Agreement:
    try:
        agreement = with_parties(agreements_visible_to(user)).get(pk=pk)
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Agreement not found.")) from None
    if write and not agreement_editable_by(user, agreement):
        raise PermissionDenied(_("Only the coordinators of the parties' zones change it."))
    return agreement
