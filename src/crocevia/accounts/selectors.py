"""What an operator is: memberships, organisations, profiles. Cached on the user object.

What needs the network's models (the operator's desks and organisations as rows, whether
they monitor the whole installation) is in network.selectors: the network sits above.
"""

from .hooks import membership_annotations
from .models import Membership, Profile


def active_memberships(user) -> list[Membership]:
    cache = getattr(user, "_crocevia_memberships", None)
    if cache is None:
        cache = list(
            Membership.objects.filter(user=user, active=True)
            .annotate(**membership_annotations())  # accounts.hooks
            .select_related("organisation", "organisation__zone")
            .prefetch_related("desks")
        )
        user._crocevia_memberships = cache
    return cache


def organisation_ids(user) -> set[int]:
    return {m.organisation_id for m in active_memberships(user)}


def organisation_names(user) -> list[str]:
    """The names of the user's active organisations (audit.actors: recorded on events)."""
    return [m.organisation.name for m in active_memberships(user)]


def has_profile_in(user, organisation_id, profile) -> bool:
    """True when `user` holds `profile` in the organisation `organisation_id` (active)."""
    return any(
        m.organisation_id == organisation_id and m.profile == profile
        for m in active_memberships(user)
    )


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


def monitored_zone_ids(user) -> set[int]:
    """Zones of the organisations where the user is a monitoring officer (a zone office's
    officer monitors its zone; see `monitors_installation` for the Region's)."""
    return {m.organisation.zone_id for m in monitoring_memberships(user) if m.organisation.zone_id}
