"""The case team and its case manager."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.accounts.models import Membership, Profile
from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.dates import check_day
from crocevia.network.models import Organisation
from crocevia.notifications.models import NotificationKind
from crocevia.notifications.services import notify
from crocevia.people.sharing import LEGAL_BASES, has_network_sharing_consent, no_consent_message

from ..access import can_form_team, is_zone_coordinator_of
from ..models import Case, Stage, TeamMember
from ..workflow import case_transition
from .common import TEAM_AUDIT_FIELDS, require_manager, require_open
from .handoffs import activate_team_member

# --- team -----------------------------------------------------------------------------------


def _memberships_in(user, organisation) -> list[Membership]:
    return [m for m in Membership.objects.filter(user=user, organisation=organisation, active=True)]


def case_reference(case) -> str:
    """What a notification calls a case: the number its page shows ("Caso n. 42")."""
    return f"n. {case.pk}"


def _notify_case(*, kind, case, user, actor, title="") -> None:
    notify(
        recipients=[user],
        kind=kind,
        url=reverse("cases:detail", args=[case.pk]),
        reference=case_reference(case),
        title=title,
        actor=actor,
    )


def join_team(*, actor, case, user, organisation, role, on, announce=True) -> TeamMember:
    """team_member_add without the check on who the actor is: the caller has checked it
    (the coordinator naming the case manager; the pre-assessment, in assessments).

    The new member is notified (unless `announce` is False: the caller tells them
    something else, such as their appointment as case manager)."""
    errors: dict[str, str] = {}
    memberships = _memberships_in(user, organisation)
    if not user.is_active or not memberships:
        errors["user"] = _("%(user)s does not work for %(organisation)s.") % {
            "user": user,
            "organisation": organisation,
        }
    if role not in Profile.values:
        errors["role"] = _("Choose the member's role.")
    check_day(errors, "on", on, not_before=case.referred_on, label=_("the referral"))
    if TeamMember.objects.filter(case=case, user=user, removed_on__isnull=True).exists():
        errors["user"] = _("%(user)s is already on the team.") % {"user": user}
    if (
        "user" not in errors
        and organisation.pk != case.organisation_id
        and case.sharing_basis not in LEGAL_BASES
        and not has_network_sharing_consent(case.person)
    ):
        errors["organisation"] = no_consent_message(case.person, organisation)
    if errors:
        raise ValidationError(errors)
    health = organisation.kind == Organisation.Kind.ASL_SERVICE or any(
        m.profile == Profile.PHYSICIAN for m in memberships
    )
    member = TeamMember.objects.create(
        case=case,
        user=user,
        organisation=organisation,
        role=role,
        health_access=health,
        added_on=on,
        added_by=actor,
    )
    audit_change(
        actor=actor,
        action=AuditAction.TEAM_ADD,
        instance=member,
        changes=diff({}, snapshot(member, TEAM_AUDIT_FIELDS)),
        person=case.person,
    )
    if announce:
        _notify_case(
            kind=NotificationKind.TEAM_ADDED,
            case=case,
            user=user,
            actor=actor,
            title=_("Role: %(role)s") % {"role": Profile(role).label},
        )
    return member


@transaction.atomic
def team_member_add(*, actor, case, user, organisation, role, on) -> TeamMember:
    """Add an operator of `organisation` to the case's team.

    An operator of another organisation than the case's joins only when the person has
    an active consent to sharing within the network: otherwise ValidationError, and
    nothing is written. Physicians and ASL services' operators read health information.
    """
    require_manager(actor, case)
    member = join_team(
        actor=actor, case=case, user=user, organisation=organisation, role=role, on=on
    )
    # Another organisation's service is activated by a referral (seed 004).
    activate_team_member(actor=actor, case=case, member=member)
    return member


@transaction.atomic
def team_member_remove(*, actor, member, on) -> TeamMember:
    member = TeamMember.objects.select_for_update().select_related("case__person").get(pk=member.pk)
    case = member.case
    require_manager(actor, case)
    errors: dict[str, str] = {}
    if member.removed_on is not None:
        errors["__all__"] = _("This operator has already left the team.")
    elif case.case_manager_id == member.user_id:
        errors["__all__"] = _("Name another case manager before removing this one from the team.")
    check_day(errors, "on", on, not_before=member.added_on, label=_("joining the team"))
    if errors:
        raise ValidationError(errors)
    member.removed_on = on
    member.save(update_fields=["removed_on"])
    audit_change(
        actor=actor,
        action=AuditAction.TEAM_REMOVE,
        instance=member,
        changes={"removed_on": [None, on.isoformat()]},
        person=case.person,
    )
    return member


def membership_for_team(user, case: Case) -> Membership | None:
    """The membership through which `user` joins a case's team: the case's organisation
    first, else their first active one."""
    memberships = sorted(
        Membership.objects.filter(user=user, active=True).select_related("organisation"),
        key=lambda m: (m.organisation_id != case.organisation_id, m.pk),
    )
    return memberships[0] if memberships else None


@transaction.atomic
def case_set_manager(*, actor, case, user) -> Case:
    """The coordination group (a zone coordinator) names the case manager, who joins the
    team (through the consent gate when from another organisation)."""
    require_open(case)
    if not is_zone_coordinator_of(actor, case):
        raise PermissionDenied(_("Only a coordinator of the zone names the case manager."))
    locked = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
    membership = membership_for_team(user, locked) if user.is_active else None
    if membership is None:
        raise ValidationError({"user": _("%(user)s is not an active operator.") % {"user": user}})
    if not TeamMember.objects.filter(case=locked, user=user, removed_on__isnull=True).exists():
        join_team(
            actor=actor,
            case=locked,
            user=user,
            organisation=membership.organisation,
            role=membership.profile,
            on=timezone.localdate(),
            # The appointment below says it: one notification, not two.
            announce=False,
        )
    old = locked.case_manager_id
    locked.case_manager = user
    locked.version += 1
    locked.save(update_fields=["case_manager", "version", "updated_at"])
    audit_change(
        actor=actor,
        action=AuditAction.CASE_SET_MANAGER,
        instance=locked,
        changes={"case_manager": [str(old) if old else None, str(user.pk)]},
        person=locked.person,
    )
    if old != user.pk:
        _notify_case(
            kind=NotificationKind.CASE_MANAGER_APPOINTED, case=locked, user=user, actor=actor
        )
    case.refresh_from_db()
    return case


@transaction.atomic
def case_form_team(*, actor, case, on) -> Case:
    """The coordinator (or the case manager) declares the team formed."""
    require_open(case)
    if not can_form_team(actor, case):
        raise PermissionDenied(
            _("Only a coordinator of the zone or the case manager forms the team.")
        )
    return case_transition(case=case, actor=actor, to_stage=Stage.TEAM_FORMED, on=on)
