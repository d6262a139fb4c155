"""Reads of the registry, always scoped to what the acting user may see."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from crocevia.accounts.selectors import (
    coordinated_zone_ids,
    is_monitoring_only,
    organisation_ids,
)

from .models import Person


def persons_visible_to(user) -> QuerySet[Person]:
    """Persons the user may see.

    A desk operator (and any operator) sees the persons who had a contact at a desk of
    their organisations, or whom they or their organisation registered; a zone
    coordinator sees those of every organisation of the zone; monitoring officers see
    no one by name; administrators see everyone.
    """
    if not user.is_authenticated or not user.is_active:
        return Person.objects.none()
    if user.is_superuser:
        return Person.objects.all()
    if is_monitoring_only(user):
        return Person.objects.none()
    from crocevia.desk.models import Contact

    orgs = organisation_ids(user)
    zones = coordinated_zone_ids(user)
    contact_scope = Q(desk__organisation_id__in=orgs)
    registered = Q(created_by=user) | Q(created_by_organisation_id__in=orgs)
    if zones:
        contact_scope |= Q(desk__organisation__zone_id__in=zones)
        registered |= Q(created_by_organisation__zone_id__in=zones)
    seen_at_desk = Exists(Contact.objects.filter(contact_scope, person_id=OuterRef("pk")))
    return Person.objects.filter(registered | seen_at_desk)


def persons_editable_by(user) -> QuerySet[Person]:
    """Everyone an operator can see they can also correct (the registry is shared)."""
    return persons_visible_to(user)
