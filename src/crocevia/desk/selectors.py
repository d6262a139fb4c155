"""Reads of the desk, always scoped to what the acting user may see."""

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from crocevia.accounts.selectors import (
    coordinated_zone_ids,
    is_monitoring_only,
    organisation_ids,
)
from crocevia.network.models import CasePart, Desk
from crocevia.network.selectors import desks_of
from crocevia.network.sharing import shared_by_agreement
from crocevia.people.sharing import network_consents

from .models import Contact, ContactService, DeskService


def contacts_visible_to(user) -> QuerySet[Contact]:
    """Contacts the user may see.

    Contacts at a desk of the user's organisations; a zone coordinator also sees those at
    every desk of the zone; monitoring officers see none by name; administrators see all.
    Also, to read, the contacts at the desks of another organisation whose contacts an
    agreement in force shares with the user's (network.sharing), when the person consents
    to sharing within the network (changing a contact is for its own desks only:
    access.contact_is_writable_by).
    """
    if not user.is_authenticated or not user.is_active:
        return Contact.objects.none()
    if user.is_superuser:
        return Contact.objects.all()
    if is_monitoring_only(user):
        return Contact.objects.none()
    scope = Q(desk__organisation_id__in=organisation_ids(user))
    zones = coordinated_zone_ids(user)
    if zones:
        scope |= Q(desk__organisation__zone_id__in=zones)
    shared = shared_by_agreement(user, CasePart.CONTACTS)
    if shared:
        scope |= Q(desk__organisation_id__in=sorted(shared)) & Exists(
            network_consents(OuterRef("person_id"))
        )
    return Contact.objects.filter(scope)


def persons_seen_at_desks_of(user) -> Exists:
    """The condition on Person (people.scopes): a contact at a desk of the user's
    organisations, or of a zone they coordinate."""
    scope = Q(desk__organisation_id__in=organisation_ids(user))
    zones = coordinated_zone_ids(user)
    if zones:
        scope |= Q(desk__organisation__zone_id__in=zones)
    return Exists(Contact.objects.filter(scope, person_id=OuterRef("pk")))


def persons_contacted_in_zones(zone_ids) -> Exists:
    """The condition on Person (people.scopes): a contact at a desk of the zones."""
    return Exists(
        Contact.objects.filter(desk__organisation__zone_id__in=zone_ids, person_id=OuterRef("pk"))
    )


def persons_contacted_at_desks_of(organisation_ids) -> Exists:
    """The condition on Person (people.scopes): a contact at a desk of the organisations."""
    return Exists(
        Contact.objects.filter(desk__organisation_id__in=organisation_ids, person_id=OuterRef("pk"))
    )


def person_section_context(user, person) -> dict:
    """The person page's section of contacts (registered in people.scopes)."""
    return {"contacts": contacts_for_person(user, person)}


def contacts_for_person(user, person) -> QuerySet[Contact]:
    """The person's contacts the user may see, newest first, ready for a table."""
    return (
        contacts_visible_to(user)
        .filter(person=person)
        .select_related("desk", "desk__organisation", "operator", "referred_to", "language_need")
        .prefetch_related("services")
        .order_by("-date", "-created_at", "-id")
    )


def desks_for_register(user) -> QuerySet[Desk]:
    """Desks whose daily register the user may open: their own desks (all for administrators)."""
    if not user.is_authenticated or not user.is_active:
        return Desk.objects.none()
    if user.is_superuser:
        return Desk.objects.filter(active=True).select_related("organisation")
    if is_monitoring_only(user):
        return Desk.objects.none()
    return desks_of(user)


def daily_register(
    user, *, desk: Desk, day: datetime.date
) -> tuple[QuerySet[Contact], list[tuple[DeskService, int]]]:
    """The contacts at `desk` on `day` in the order they were recorded, and a count per service.

    The counts cover every active service (zeros included) plus any inactive one given that
    day, in catalogue order, computed with one aggregate query.
    """
    contacts = (
        contacts_visible_to(user)
        .filter(desk=desk, date=day)
        .select_related("person", "operator", "referred_to")
        .prefetch_related("services")
        .order_by("created_at", "id")
    )
    # Count only contacts the user may see; for one's own desk that is every contact there.
    # The services given carry the desk and date (their report index): one small range,
    # and a service is given once per contact, so counting rows counts contacts.
    visible = contacts_visible_to(user).filter(desk=desk, date=day).values("pk")
    given = dict(
        ContactService.objects.filter(desk=desk, date=day, contact_id__in=visible)
        .values_list("deskservice_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    services = DeskService.objects.order_by("position", "name")
    counts = [(s, given.get(s.pk, 0)) for s in services if s.active or given.get(s.pk)]
    return contacts, counts
