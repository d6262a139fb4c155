"""Reads of the network, scoped to the user: zones, organisations, agreements, LEP figures.

Who sees what:
- agreements: administrators all; coordinators those with a party in their zone(s);
  program managers and administrative staff those their organisation is a party to;
  nobody else (monitoring officers see figures, never agreements or their documents);
- zones (the zone page with its LEP figures): administrators all; coordinators their
  zones; program managers, administrative staff and monitoring officers the zones of
  their organisations;
- organisations (the organisation page): those of a visible zone, the user's own
  organisations where they hold one of the profiles above, and the parties to the
  agreements the user sees.

The LEP staffing figures (`lep_figures`, `lep_by_zone`, `zone_lep`, `organisation_lep`)
follow INDICATORS.md, "Network, staffing and money"; the reporting app reuses them.
"""

import datetime
import math
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crocevia.accounts.models import Membership, Profile, User
from crocevia.accounts.selectors import (
    active_memberships,
    coordinated_zone_ids,
    monitoring_memberships,
    organisation_ids,
)

from .lep import (
    INHABITANTS_PER_ACCESS_POINT,
    INHABITANTS_PER_SOCIAL_WORKER,
    ZoneNorms,
    required_access_points,
)
from .models import Agreement, AgreementParty, Comune, Desk, Organisation, Zone

EXPIRY_ALERT_DAYS = 60
# LEP (seed 002, section 5.1): at most this many inhabitants per active social worker
# and per level-1 access point (network.lep: 40,000 or 70,000 in a Comune over 40,000).
SOCIAL_WORKER_NORM = INHABITANTS_PER_SOCIAL_WORKER
ACCESS_POINT_NORM = INHABITANTS_PER_ACCESS_POINT

# Profiles that read their own organisation's agreements.
AGREEMENT_READER_PROFILES = frozenset({Profile.PROGRAM_MANAGER, Profile.ADMINISTRATIVE})
# Profiles that see the figures of their organisations' zones.
ZONE_READER_PROFILES = AGREEMENT_READER_PROFILES | {Profile.MONITORING_OFFICER}


def organisation_ids_with(user, profiles) -> set[int]:
    """The organisations where `user` holds one of `profiles` (memberships are cached)."""
    return {m.organisation_id for m in active_memberships(user) if m.profile in profiles}


# --- the operator's desks and organisations --------------------------------------------------


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


def monitors_installation(user) -> bool:
    """Monitoring officers of an organisation of kind `region` (the Region, usually above
    the zones) monitor the whole installation."""
    return any(
        m.organisation.kind == Organisation.Kind.REGION for m in monitoring_memberships(user)
    )


# --- agreements ------------------------------------------------------------------------------


def agreements_visible_to(user) -> QuerySet[Agreement]:
    if user.is_superuser:
        return Agreement.objects.all()
    zones = coordinated_zone_ids(user)
    orgs = organisation_ids_with(user, AGREEMENT_READER_PROFILES)
    if not zones and not orgs:
        return Agreement.objects.none()
    party = AgreementParty.objects.filter(
        Q(organisation__zone_id__in=zones) | Q(organisation_id__in=orgs)
    )
    return Agreement.objects.filter(pk__in=party.values("agreement_id"))


def with_parties(queryset: QuerySet[Agreement]) -> QuerySet[Agreement]:
    return queryset.prefetch_related(
        Prefetch(
            "parties",
            queryset=AgreementParty.objects.select_related("organisation", "organisation__zone"),
        )
    )


def agreements_expiring(
    *, zone_ids, today: datetime.date | None = None, days: int = EXPIRY_ALERT_DAYS
) -> QuerySet[Agreement]:
    """Agreements with a party in `zone_ids` whose last valid day is today..today+days.

    An agreement valid until today is not yet expired; open-ended ones never expire.
    """
    today = today or timezone.localdate()
    party = AgreementParty.objects.filter(organisation__zone_id__in=zone_ids)
    return Agreement.objects.filter(
        pk__in=party.values("agreement_id"),
        valid_until__gte=today,
        valid_until__lte=today + datetime.timedelta(days=days),
    ).order_by("valid_until", "title")


def expiring_agreements_for(user, today: datetime.date | None = None) -> list[Agreement]:
    """The home-page notice of a coordinator: their zones' agreements about to expire."""
    zones = coordinated_zone_ids(user)
    if not zones:
        return []
    return list(agreements_expiring(zone_ids=zones, today=today))


# --- zones and organisations -------------------------------------------------------------------


def zone_ids_visible_to(user) -> set[int] | None:
    """Zones whose page and figures the user sees; None means every zone."""
    if user.is_superuser:
        return None
    zones = set(coordinated_zone_ids(user))
    zones |= {
        m.organisation.zone_id
        for m in active_memberships(user)
        if m.profile in ZONE_READER_PROFILES and m.organisation.zone_id
    }
    return zones


def zones_visible_to(user) -> QuerySet[Zone]:
    zones = zone_ids_visible_to(user)
    if zones is None:
        return Zone.objects.all()
    return Zone.objects.filter(pk__in=zones)


def organisations_visible_to(user) -> QuerySet[Organisation]:
    if user.is_superuser:
        return Organisation.objects.all()
    zones = zone_ids_visible_to(user) or set()
    own = organisation_ids_with(user, ZONE_READER_PROFILES) | {
        m.organisation_id for m in active_memberships(user) if m.profile == Profile.COORDINATOR
    }
    partners = AgreementParty.objects.filter(agreement__in=agreements_visible_to(user)).values(
        "organisation_id"
    )
    return Organisation.objects.filter(
        Q(zone_id__in=zones) | Q(pk__in=own) | Q(pk__in=partners)
    ).distinct()


def staff_counts(organisation: Organisation) -> list[tuple[str, int]]:
    """[(profile label, active operators)] of the organisation, in the profiles' order."""
    counts = Counter(
        dict(
            Membership.objects.filter(organisation=organisation, active=True, user__is_active=True)
            .values_list("profile")
            .annotate(n=Count("user", distinct=True))
        )
    )
    return [(label, counts[value]) for value, label in Profile.choices if counts.get(value)]


# --- LEP staffing and access figures ------------------------------------------------------------


def _per(population: int, count: int) -> int | None:
    """population ÷ count rounded to a whole number, half up; None when count is 0."""
    if not count:
        return None
    return int((Decimal(population) / Decimal(count)).quantize(Decimal(1), ROUND_HALF_UP))


def _n(value: int) -> str:
    return number_format(value, decimal_pos=0, force_grouping=True)


@dataclass(frozen=True)
class Norm:
    """One LEP figure: inhabitants per unit (social worker, access point) against the norm.
    `required`, when given, is the units the LEP rule asks for where it is not simply
    population ÷ norm (access points: Comuni over 40,000 have a norm of their own)."""

    population: int
    count: int
    norm: int
    required: int | None = None

    @property
    def per(self) -> int | None:
        return _per(self.population, self.count)

    @property
    def needed(self) -> int:
        """Units needed: the rule's `required`, else so that there are at most `norm`
        inhabitants per unit."""
        if self.required is not None:
            return self.required
        return math.ceil(self.population / self.norm) if self.population else 0

    @property
    def missing(self) -> int:
        return max(0, self.needed - self.count)

    @property
    def met(self) -> bool | None:
        """Exactly the legal rule (units ≥ units needed, that is population ≤ norm × units
        for a single norm); None with no data at all."""
        if not self.population and not self.count:
            return None
        return self.count >= self.needed


@dataclass(frozen=True)
class LepFigures:
    population: int
    social_workers: int
    access_points: int
    # The access points the LEP rule requires (network.lep.required_access_points, zone by
    # zone); None: population ÷ 20,000, as if every Comune were of 40,000 or fewer.
    access_points_required: int | None = None

    @property
    def social_worker(self) -> Norm:
        return Norm(self.population, self.social_workers, SOCIAL_WORKER_NORM)

    @property
    def access_point(self) -> Norm:
        return Norm(
            self.population, self.access_points, ACCESS_POINT_NORM, self.access_points_required
        )

    @property
    def inhabitants_per_social_worker(self) -> int | None:
        return self.social_worker.per

    @property
    def inhabitants_per_access_point(self) -> int | None:
        return self.access_point.per

    def as_indicators(self) -> dict:
        """The keys of INDICATORS.md, for the report."""
        return {
            "network.population": self.population,
            "network.inhabitants_per_social_worker": self.inhabitants_per_social_worker,
            "network.inhabitants_per_access_point": self.inhabitants_per_access_point,
        }

    def social_worker_verdict(self) -> str:
        norm = self.social_worker
        if norm.met is None:
            return _("No resident population is recorded for the Comuni of this zone.")
        if not norm.count:
            return ngettext(
                "No active social worker is recorded: at least %(needed)s is needed for "
                "%(population)s inhabitants.",
                "No active social worker is recorded: at least %(needed)s are needed for "
                "%(population)s inhabitants.",
                norm.needed,
            ) % {"needed": _n(norm.needed), "population": _n(self.population)}
        values = {
            "per": _n(norm.per),
            "norm": _n(norm.norm),
            "missing": _n(norm.missing),
        }
        if norm.met:
            return (
                _(
                    "The norm is met: one social worker every %(per)s inhabitants (the norm is "
                    "at most %(norm)s)."
                )
                % values
            )
        return (
            ngettext(
                "The norm is not met: one social worker every %(per)s inhabitants, above the "
                "norm of %(norm)s; %(missing)s more social worker is needed.",
                "The norm is not met: one social worker every %(per)s inhabitants, above the "
                "norm of %(norm)s; %(missing)s more social workers are needed.",
                norm.missing,
            )
            % values
        )

    def access_point_verdict(self) -> str:
        """Against the LEP rule (network.lep): the access points required, those present."""
        norm = self.access_point
        if norm.met is None:
            return _("No resident population is recorded for the Comuni of this zone.")
        if not norm.count:
            return ngettext(
                "No active level-1 access point is recorded: at least %(needed)s is needed "
                "for %(population)s inhabitants.",
                "No active level-1 access point is recorded: at least %(needed)s are needed "
                "for %(population)s inhabitants.",
                norm.needed,
            ) % {"needed": _n(norm.needed), "population": _n(self.population)}
        values = {
            "per": _n(norm.per),
            "count": _n(norm.count),
            "needed": _n(norm.needed),
            "missing": _n(norm.missing),
        }
        if norm.met:
            return (
                ngettext(
                    "The norm is met: %(count)s active access points, one every %(per)s "
                    "inhabitants, where the LEP rule requires %(needed)s.",
                    "The norm is met: %(count)s active access points, one every %(per)s "
                    "inhabitants, where the LEP rule requires %(needed)s.",
                    norm.needed,
                )
                % values
            )
        return (
            ngettext(
                "The norm is not met: %(count)s active access points where the LEP rule "
                "requires %(needed)s; %(missing)s more access point is needed.",
                "The norm is not met: %(count)s active access points where the LEP rule "
                "requires %(needed)s; %(missing)s more access points are needed.",
                norm.missing,
            )
            % values
        )


def _social_workers() -> QuerySet[Membership]:
    return Membership.objects.filter(
        active=True, user__is_active=True, profile=Profile.SOCIAL_WORKER
    )


def _access_points() -> QuerySet[Desk]:
    return Desk.objects.filter(active=True, level=Desk.Level.FIRST)


def lep_figures(*, zone_ids=None) -> LepFigures:
    """The LEP figures of a scope: the given zones together, or the whole network (None).

    - population: residents of the scope's Comuni;
    - social workers: active users with an active SOCIAL_WORKER membership in an
      organisation of the scope, each counted once;
    - access points: active level-1 desks of the scope's organisations, and those the
      LEP rule requires, zone by zone (network.lep).
    Three queries.
    """
    comuni = Comune.objects.all()
    workers = _social_workers()
    desks = _access_points()
    if zone_ids is not None:
        zone_ids = list(zone_ids)
        comuni = comuni.filter(zone_id__in=zone_ids)
        workers = workers.filter(organisation__zone_id__in=zone_ids)
        desks = desks.filter(organisation__zone_id__in=zone_ids)
    rows = list(comuni.values_list("zone_id", "population", "in_metropolitan_city"))
    by_zone: dict[int, list[tuple[int, bool]]] = {}
    for zone_id, population, metropolitan in rows:
        by_zone.setdefault(zone_id, []).append((population, metropolitan))
    return LepFigures(
        population=sum(population for _zone, population, _metro in rows),
        social_workers=User.objects.filter(pk__in=workers.values("user_id")).count(),
        access_points=desks.count(),
        access_points_required=sum(required_access_points(r) for r in by_zone.values()),
    )


def figures_of(norms: ZoneNorms) -> LepFigures:
    """The LepFigures of one zone's norms (network.lep.zone_norms): the zone page reads
    both from the same rows."""
    return LepFigures(
        population=norms.population,
        social_workers=norms.social_workers,
        access_points=norms.access_points,
        access_points_required=norms.access_points_required,
    )


def zone_lep(zone: Zone) -> LepFigures:
    return lep_figures(zone_ids=[zone.pk])


def organisation_lep(organisation: Organisation) -> LepFigures | None:
    """The figures of the organisation's zone (None for bodies above the zones)."""
    if organisation.zone_id is None:
        return None
    return lep_figures(zone_ids=[organisation.zone_id])


def lep_by_zone(zone_ids=None) -> dict[int, LepFigures]:
    """{zone id: LepFigures} for many zones at once (three grouped queries)."""
    zones = Zone.objects.all() if zone_ids is None else Zone.objects.filter(pk__in=zone_ids)
    ids = list(zones.values_list("pk", flat=True))
    comuni: dict[int, list[tuple[int, bool]]] = {}
    for zone_id, population, metropolitan in Comune.objects.filter(zone_id__in=ids).values_list(
        "zone_id", "population", "in_metropolitan_city"
    ):
        comuni.setdefault(zone_id, []).append((population, metropolitan))
    workers = dict(
        _social_workers()
        .filter(organisation__zone_id__in=ids)
        .values_list("organisation__zone_id")
        .annotate(n=Count("user_id", distinct=True))
        .order_by()
    )
    desks = dict(
        _access_points()
        .filter(organisation__zone_id__in=ids)
        .values_list("organisation__zone_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        zid: LepFigures(
            population=sum(p for p, _metro in comuni.get(zid, [])),
            social_workers=workers.get(zid, 0),
            access_points=desks.get(zid, 0),
            access_points_required=required_access_points(comuni.get(zid, [])),
        )
        for zid in ids
    }


def operators_of(organisation_id) -> list[int]:
    """The ids of the users working for an organisation (active memberships), monitoring
    officers left out: who is told of what reaches the organisation (notifications)."""
    return list(
        Membership.objects.filter(organisation_id=organisation_id, active=True)
        .exclude(profile=Profile.MONITORING_OFFICER)
        .values_list("user_id", flat=True)
        .distinct()
    )


def coordinators_of_zone(zone_id) -> list[int]:
    """The ids of the zone's coordinators (the coordination group)."""
    return list(
        Membership.objects.filter(
            organisation__zone_id=zone_id, active=True, profile=Profile.COORDINATOR
        )
        .values_list("user_id", flat=True)
        .distinct()
    )
