"""Reads of cases, always scoped to what the acting user may see (PATHWAY.md, who sees what)."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from crocevia.accounts.models import Membership, Profile
from crocevia.accounts.selectors import coordinated_zone_ids, is_monitoring_only
from crocevia.network.sharing import case_sharing_organisations
from crocevia.people.sharing import network_consents

from .models import WAITING_STAGES, Case, Review, TeamMember


def cases_visible_to(user) -> QuerySet[Case]:
    """Cases the user may see, whole, on their own grounds.

    - administrators: all; monitoring officers: none (aggregates only);
    - zone coordinators: every case of their zones;
    - the case manager, active team members and whoever opened the case;
    - social workers of the case's organisation (the service that owns it).

    Not the cases an agreement lets them read in part (`cases_shared_with`): those are
    obtained through cases.access.get_case_for with the part a page shows, and listed on
    the person's page of cases only (`person_cases`); no queue, list or count holds them.
    """
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    if is_monitoring_only(user):
        return Case.objects.none()
    on_team = Exists(
        TeamMember.objects.filter(case_id=OuterRef("pk"), user=user, removed_on__isnull=True)
    )
    owning_service = Exists(
        Membership.objects.filter(
            user=user,
            active=True,
            profile=Profile.SOCIAL_WORKER,
            organisation_id=OuterRef("organisation_id"),
        )
    )
    scope = Q(case_manager=user) | Q(created_by=user) | on_team | owning_service
    zones = coordinated_zone_ids(user)
    if zones:
        scope |= Q(zone_id__in=zones)
    return Case.objects.filter(scope)


def cases_shared_with(user) -> QuerySet[Case]:
    """The cases an agreement in force lets `user` read in part (network.sharing: a case of
    another organisation whose clause covers at least one part of a case, the person
    consenting to sharing within the network). Which parts: cases.access.case_parts_for.
    None, with no query, for a user who has no such agreement."""
    if not user.is_authenticated or not user.is_active or is_monitoring_only(user):
        return Case.objects.none()
    organisations = case_sharing_organisations(user)
    if not organisations:
        return Case.objects.none()
    return Case.objects.filter(
        Exists(network_consents(OuterRef("person_id"))),
        organisation_id__in=sorted(organisations),
    )


def persons_on_a_team_of(user) -> Exists:
    """The condition on Person (people.scopes): `user` is on the team of one of their cases."""
    return Exists(
        TeamMember.objects.filter(
            case__person_id=OuterRef("pk"), user=user, removed_on__isnull=True
        )
    )


def persons_with_a_case_in_zones(zone_ids) -> Exists:
    """The condition on Person (people.scopes): a case of the zones."""
    return Exists(Case.objects.filter(zone_id__in=zone_ids, person_id=OuterRef("pk")))


def persons_with_a_case_of(organisation_ids) -> Exists:
    """The condition on Person (people.scopes): a case of the organisations."""
    return Exists(
        Case.objects.filter(organisation_id__in=organisation_ids, person_id=OuterRef("pk"))
    )


def person_cases(user, person) -> QuerySet[Case]:
    """The person's cases the user may see, newest first (the history stays): those of
    cases_visible_to, and those an agreement lets them read in part (cases_shared_with)."""
    visible = cases_visible_to(user).filter(person=person)
    shared = cases_shared_with(user)
    if not shared.query.is_empty():  # a user without such agreements: the same query
        visible = visible | shared.filter(person=person)
    return visible.select_related("organisation", "case_manager", "previous_case").order_by(
        "-referred_on", "-pk"
    )


def _coordinated(user, qs: QuerySet[Case]) -> QuerySet[Case]:
    if not user.is_superuser:
        qs = qs.filter(zone_id__in=coordinated_zone_ids(user))
    return qs


def cases_of_coordinated_zones(user) -> QuerySet[Case]:
    """Every case of the zones `user` coordinates (all, for administrators): the
    coordination page's lists."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    return _coordinated(user, Case.objects.all())


def preassessed_complex_waiting(user) -> QuerySet[Case]:
    """The coordinator's queue: pre-assessed complex cases of their zones waiting for a
    team, by access priority, then oldest pre-assessment first."""
    qs = _coordinated(user, Case.objects.filter(stage="preassessed", need_class="complex"))
    return qs.select_related("person", "organisation", "case_manager").order_by(
        "priority", "preassessed_on", "pk"
    )


# Open cases past team formation without a case manager (Case.case_manager_to_appoint):
# imported from a register that did not name one.
MANAGER_TO_APPOINT = Q(team_formed_on__isnull=False, case_manager__isnull=True) & ~Q(stage="closed")


def managers_to_appoint(user) -> QuerySet[Case]:
    """The coordinator's other queue: open cases of their zones whose case manager is to be
    appointed, by access priority, then oldest team first."""
    qs = _coordinated(user, Case.objects.filter(MANAGER_TO_APPOINT))
    return qs.select_related("person", "organisation").order_by("priority", "team_formed_on", "pk")


# Cases waiting to be taken in charge (Case.is_waiting): what the access priority orders.
WAITING = Q(stage__in=WAITING_STAGES) | MANAGER_TO_APPOINT

# Lists of waiting cases: by access priority (high first), then the oldest referral.
BY_PRIORITY = ("priority", "referred_on", "pk")


# --- work queues (the site composes them into its queue pages) ------------------------------


def cases_in_charge_of(user) -> QuerySet[Case]:
    """The open cases `user` answers for: those they manage, and every case of the zones
    they coordinate (all, for administrators). The queues of reviews, plan actions and
    interventions read these cases."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    open_cases = Case.objects.exclude(stage="closed")
    if user.is_superuser:
        return open_cases
    scope = Q(case_manager=user)
    zones = coordinated_zone_ids(user)
    if zones:
        scope |= Q(zone_id__in=zones)
    return open_cases.filter(scope)


def teams_active(start, end) -> QuerySet[Case]:
    """The cases whose team is active on at least one day of [start, end]: formed on or
    before `end` and not closed before `start` (INDICATORS.md: a team is active from its
    case's team_formed_on to its closed_on, or open). Unscoped: figures, not names."""
    return Case.objects.filter(team_formed_on__isnull=False, team_formed_on__lte=end).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=start)
    )


def preassessments_to_do(user) -> QuerySet[Case]:
    """The cases `user` may see still waiting for their pre-assessment (stage referred)."""
    return cases_visible_to(user).filter(stage="referred")


# Cases with no case manager that need one: a complex case pre-assessed (its team cannot
# form without one), or past team formation (MANAGER_TO_APPOINT).
WITHOUT_MANAGER = (
    Q(stage="preassessed", need_class="complex", case_manager__isnull=True) | MANAGER_TO_APPOINT
)


def cases_without_manager(user) -> QuerySet[Case]:
    """The coordinator's queue: the open cases of their zones that need a case manager."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    return _coordinated(user, Case.objects.filter(WITHOUT_MANAGER))


def reviews_due(user, *, until) -> QuerySet[Review]:
    """The reviews not yet held, scheduled on or before `until`, of the cases `user`
    answers for (cases_in_charge_of)."""
    return Review.objects.filter(
        held_on__isnull=True,
        scheduled_on__lte=until,
        case__in=cases_in_charge_of(user).values("pk"),
    )
