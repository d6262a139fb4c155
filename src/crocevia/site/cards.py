"""Which cards the home page shows: those of the user's profiles (DESIGN.md, "screens fit
the person using them"). What each card opens stays guarded by its own app's access; a
card only says where the user's work is."""

from dataclasses import dataclass

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import (
    active_memberships,
    coordinated_zone_ids,
    is_monitoring_only,
    profiles,
)
from crocevia.people.access import can_register_persons
from crocevia.reporting.access import may_see_reports

from .queues import CASE_WORKERS

# Who registers new persons as part of their day: the desks, social services, the CPI
# and the mediators. Others (a physician, a tutor) find persons, registered by these.
REGISTERING = frozenset(
    {
        Profile.DESK_OPERATOR,
        Profile.SOCIAL_WORKER,
        Profile.CPI_CONSULTANT,
        Profile.CULTURAL_MEDIATOR,
        Profile.ADMINISTRATIVE,
    }
)


@dataclass(frozen=True)
class HomeCards:
    find_person: bool  # the person search
    register_person: bool  # "register a new person"
    daily_register: bool  # the desk's register of today's contacts
    my_cases: bool  # the cases the user manages or is on the team of
    coordination: bool  # the coordination group's page and the zone's cases
    report: bool  # the monitoring report


def home_cards_for(user) -> HomeCards:
    if not user.is_authenticated:
        return HomeCards(False, False, False, False, False, False)
    admin = user.is_superuser
    names = admin or not is_monitoring_only(user)
    mine = profiles(user)
    return HomeCards(
        find_person=names,
        register_person=names
        and can_register_persons(user)
        and (admin or bool(mine & REGISTERING)),
        daily_register=admin
        or any(
            m.desks.all()
            for m in active_memberships(user)
            if m.profile != Profile.MONITORING_OFFICER
        ),
        my_cases=admin or bool(mine & (CASE_WORKERS | {Profile.PHYSICIAN})),
        coordination=admin or bool(coordinated_zone_ids(user)),
        report=may_see_reports(user),
    )
