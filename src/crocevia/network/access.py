"""The one way a view obtains a zone, an organisation or an agreement of the network,
and who may see the network's pages and change its agreements.

404 for what the user may not see; 403 for an agreement they see but may not change.
Downloading an agreement's signed document records its access event
(crocevia.audit.recording).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import coordinated_zone_ids
from crocevia.audit.recording import record_access

from .models import Agreement, Organisation, Zone
from .selectors import (
    AGREEMENT_READER_PROFILES,
    agreements_visible_to,
    organisation_ids_with,
    organisations_visible_to,
    with_parties,
    zone_ids_visible_to,
    zones_visible_to,
)

# The note of the access event of a download of an agreement's signed document.
NOTE_DOCUMENT = "document"

# --- who may do what ------------------------------------------------------------------------


def may_see_agreements(user) -> bool:
    return bool(
        user.is_superuser
        or coordinated_zone_ids(user)
        or organisation_ids_with(user, AGREEMENT_READER_PROFILES)
    )


def may_create_agreements(user) -> bool:
    """Administrators and coordinators record and edit agreements."""
    return bool(user.is_superuser or coordinated_zone_ids(user))


def clauses_beyond(parties, zones) -> list:
    """The parties of `parties` (AgreementParty or PartySpec: `organisation`,
    `shared_parts`) whose data-sharing clause opens the data of an organisation outside
    `zones` (a set of zone ids), each as (party, [those organisations]).

    A party's clause opens to it the data of every other party: only whoever answers for
    the zone of those organisations may grant it, so a coordinator records or changes a
    clause only when it opens the data of organisations of the zones they coordinate (a
    body above the zones, like the Region, is in none); an administrator any clause."""
    parties = list(parties)
    beyond = []
    for party in parties:
        if not party.shared_parts:
            continue
        outside = [
            other.organisation
            for other in parties
            if other is not party and other.organisation.zone_id not in zones
        ]
        if outside:
            beyond.append((party, outside))
    return beyond


def agreement_editable_by(user, agreement: Agreement) -> bool:
    """Administrators; coordinators of a zone one of the parties belongs to, when none of
    its clauses opens the data of an organisation outside the zones they coordinate
    (clauses_beyond: such an agreement is an administrator's to change)."""
    if user.is_superuser:
        return True
    zones = coordinated_zone_ids(user)
    parties = list(agreement.parties.all())
    return (
        bool(zones)
        and any(p.organisation.zone_id in zones for p in parties)
        and not clauses_beyond(parties, zones)
    )


def may_see_network(user) -> bool:
    zones = zone_ids_visible_to(user)
    return zones is None or bool(zones) or may_see_agreements(user)


def may_see_zone_of(user, organisation: Organisation) -> bool:
    """Whether `user` sees the zone of `organisation` (and its staffing figures): not every
    party to an agreement with one of its organisations does. False for bodies above the
    zones."""
    if organisation.zone_id is None:
        return False
    visible_zones = zone_ids_visible_to(user)
    return visible_zones is None or organisation.zone_id in visible_zones


def require_network(user) -> None:
    """404 for whoever sees no zone and no agreement (may_see_network)."""
    if not may_see_network(user):
        raise Http404(_("Page not found."))


def require_agreements(user) -> None:
    """404 for whoever may not see agreements (may_see_agreements)."""
    if not may_see_agreements(user):
        raise Http404(_("Page not found."))


def require_agreement_creation(user) -> None:
    """404 for whoever may not record agreements (may_create_agreements)."""
    if not may_create_agreements(user):
        raise Http404(_("Page not found."))


# --- zones, organisations, agreements -------------------------------------------------------


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
        raise PermissionDenied(
            _(
                "Only an administrator, or a coordinator of the parties' zones when its "
                "clauses open only the data of their zones' organisations, changes it."
            )
        )
    return agreement


def agreements_for(user) -> QuerySet[Agreement]:
    """The agreements `user` sees (agreements_visible_to); 404 for whoever sees none
    (require_agreements)."""
    require_agreements(user)
    return agreements_visible_to(user)


def get_agreement_document_for(user, pk):
    """The agreement `pk` (get_agreement_for) and its signed document opened for reading
    (the caller closes it, e.g. a FileResponse); 404 when it has none or the file is
    missing. Records the download's access event (NOTE_DOCUMENT)."""
    agreement = get_agreement_for(user, pk)
    if not agreement.document:
        raise Http404(_("This agreement has no document attached."))
    try:
        handle = agreement.document.open("rb")
    except FileNotFoundError:
        raise Http404(_("The document file is missing.")) from None
    record_access(actor=user, instance=agreement, note=NOTE_DOCUMENT)
    return agreement, handle
