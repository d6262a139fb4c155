"""Who may do what with income-support applications (benefits has no pages of its own:
its applications are recorded through the interchange and by benefits.services)."""

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships
from crocevia.network.models import Comune

# Who records applications: the social services and the coordinators of the Comune's zone.
RECORDING_PROFILES = {Profile.SOCIAL_WORKER, Profile.COORDINATOR, Profile.ADMINISTRATIVE}


def can_record_benefit_applications(user, comune: Comune) -> bool:
    """Administrators, and the social workers, administrative staff and coordinators of an
    organisation in the Comune's zone."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(
        m.profile in RECORDING_PROFILES and m.organisation.zone_id == comune.zone_id
        for m in active_memberships(user)
    )
