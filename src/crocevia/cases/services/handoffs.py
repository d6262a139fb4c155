"""Hand-offs of a case that are referrals (desk.referrals): the coordination group's
activation of a team member of another organisation, "by a communication to their
service with the pre-assessment form" (seed 004), and the employment centre's return of
a person whose pact was not kept ("send the person back" to the team)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import organisation_ids
from crocevia.desk.models import Referral
from crocevia.desk.referrals import referral_send
from crocevia.network.models import Organisation
from crocevia.people.models import SharingBasis
from crocevia.people.sharing import LEGAL_BASES

from ..models import Case, TeamMember
from .common import require_open


def _case_sharing(case: Case) -> dict:
    """The basis the case's opening recorded, for the referrals of its team."""
    if case.sharing_basis in LEGAL_BASES:
        return {"sharing_basis": case.sharing_basis, "sharing_note": case.sharing_note}
    return {"sharing_basis": SharingBasis.CONSENT}


def activate_team_member(*, actor, case: Case, member: TeamMember) -> Referral | None:
    """The referral that activates `member`'s service for the case (a member of another
    organisation than the case's); None for a member of the case's own organisation.
    Call it in the transaction that adds the member."""
    if member.organisation_id == case.organisation_id:
        return None
    return referral_send(
        actor=actor,
        person=case.person,
        from_organisation=case.organisation,
        to_organisation=member.organisation,
        sent_on=member.added_on,
        reason=_(
            "Activation of %(member)s in the multidisciplinary team of case n. %(number)s: "
            "the pre-assessment form is on the case page (%(url)s)."
        )
        % {
            "member": member.user,
            "number": case.pk,
            "url": reverse("cases:detail", args=[case.pk]),
        },
        case=case,
        origin=Referral.Origin.TEAM,
        check_sender=False,
        told_already=[member.user_id],  # told as a new member of the team
        **_case_sharing(case),
    )


def cpi_memberships_on_team(user, case: Case) -> list[int]:
    """The employment centres through which `user` sits on the case's team (for an
    administrator: every employment centre on the team)."""
    members = TeamMember.objects.filter(
        case=case, removed_on__isnull=True, organisation__kind=Organisation.Kind.CPI
    )
    if not user.is_superuser:
        members = members.filter(user=user, organisation_id__in=organisation_ids(user))
    return list(members.order_by("pk").values_list("organisation_id", flat=True))


def can_send_back(user, case: Case) -> bool:
    return not case.is_closed and bool(cpi_memberships_on_team(user, case))


@transaction.atomic
def case_send_back(*, actor, case: Case, on, reason: str) -> Referral:
    """The employment centre sends the person back to the case's team because the pact
    was not kept: a referral (origin `sent_back`) from the CPI to the case's
    organisation, told to its operators and the case manager."""
    require_open(case)
    centres = cpi_memberships_on_team(actor, case)
    if not centres:
        raise PermissionDenied(
            _("Only an employment centre's member of the team sends the person back.")
        )
    return referral_send(
        actor=actor,
        person=case.person,
        from_organisation=Organisation.objects.get(pk=centres[0]),
        to_organisation=case.organisation,
        sent_on=on,
        reason=reason,
        case=case,
        origin=Referral.Origin.SENT_BACK,
        check_sender=False,
        **_case_sharing(case),
    )
