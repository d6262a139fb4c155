"""What an operator is: organisations, desks, profiles. Cached on the user object."""

from django.db.models import QuerySet

from crocevia.network.models import Desk, Organisation

from .models import Membership, Profile


def active_memberships(user) -> list[Membership]:
    cache = getattr(user, "_crocevia_memberships", None)
    if cache is None:
        cache = list(
            Membership.objects.filter(user=user, active=True)
            .select_related("organisation", "organisation__zone")
            .prefetch_related("desks")
        )
        user._crocevia_memberships = cache
    return cache


def organisation_ids(user) -> set[int]:
    return {m.organisation_id for m in active_memberships(user)}


def profiles(user) -> set[str]:
    return {m.profile for m in active_memberships(user)}


def coordinated_zone_ids(user) -> set[int]:
    """Zones where the user is a coordinator (a coordinator sees the whole zone)."""
    return {
        m.organisation.zone_id
        for m in active_memberships(user)
        if m.profile == Profile.COORDINATOR and m.organisation.zone_id
    }


def is_monitoring_only(user) -> bool:
    """Monitoring officers see aggregates only, never a name."""
    p = profiles(user)
    return bool(p) and p <= {Profile.MONITORING_OFFICER}


def monitoring_memberships(user) -> list[Membership]:
    """The user's active memberships as a monitoring officer."""
    return [m for m in active_memberships(user) if m.profile == Profile.MONITORING_OFFICER]


def monitors_installation(user) -> bool:
    """Monitoring officers of an organisation of kind `region` (the Region, usually above
    the zones) monitor the whole installation."""
    return any(
        m.organisation.kind == Organisation.Kind.REGION for m in monitoring_memberships(user)
    )


def monitored_zone_ids(user) -> set[int]:
    """Zones of the organisations where the user is a monitoring officer (a zone office's
    officer monitors its zone; see `monitors_installation` for the Region's)."""
    return {m.organisation.zone_id for m in monitoring_memberships(user) if m.organisation.zone_id}


def desks_of(user) -> QuerySet[Desk]:
    """Desks the operator works at; if none are named, every desk of their organisations."""
    named = {d.pk for m in active_memberships(user) for d in m.desks.all()}
    if named:
        return Desk.objects.filter(pk__in=named, active=True).select_related("organisation")
    return Desk.objects.filter(
        organisation_id__in=organisation_ids(user), active=True
    ).select_related("organisation")


def organisations_of(user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=organisation_ids(user))
