"""The LEP's staffing and access norms of a zone (seed 002, "Sintesi Obiettivi LEP";
INDICATORS.md, "LEP compliance": lep.access_points, lep.social_workers), defined once for
the network's pages and the report, so that a reader of the zone page can recompute the
report's figures.

- Access points: the Comuni of 40,000 inhabitants or fewer share one pool, 1 access point
  per 20,000 of their inhabitants together; each larger Comune needs 1 per 40,000 of its
  own, or 1 per 70,000 in a metropolitan city (`Comune.in_metropolitan_city`). Present:
  the active level-1 desks of the zone's organisations.
- Social workers: 1 per 5,000 inhabitants; present: the active operators with the
  social-worker profile in the zone's organisations (each once in a zone, in each zone
  they work in).
Figures as registered today: desks and memberships keep no history.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

from crocevia.accounts.models import Membership, Profile

from .models import Comune, Desk

INHABITANTS_PER_ACCESS_POINT = 20_000
INHABITANTS_PER_ACCESS_POINT_LARGE = 40_000  # a Comune over 40,000
INHABITANTS_PER_ACCESS_POINT_METRO = 70_000  # ... of a metropolitan city
LARGE_COMUNE = 40_000
INHABITANTS_PER_SOCIAL_WORKER = 5_000


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def is_large(population: int) -> bool:
    """A Comune over 40,000 inhabitants has an access-point norm of its own."""
    return population > LARGE_COMUNE


def access_point_norm(population: int, metropolitan: bool) -> int:
    """Inhabitants per access point for a Comune: 20,000 (pooled with the zone's other
    Comuni of 40,000 or fewer), 40,000 for a larger one, 70,000 for a larger one of a
    metropolitan city."""
    if not is_large(population):
        return INHABITANTS_PER_ACCESS_POINT
    if metropolitan:
        return INHABITANTS_PER_ACCESS_POINT_METRO
    return INHABITANTS_PER_ACCESS_POINT_LARGE


def required_access_points(comuni: Iterable[tuple[int, bool]]) -> int:
    """ceil(P/20,000) over the Comuni of 40,000 inhabitants or fewer, plus, for each larger
    Comune, ceil(p/40,000), or ceil(p/70,000) in a metropolitan city. (population,
    in a metropolitan city) pairs."""
    comuni = list(comuni)
    pooled = sum(p for p, _metro in comuni if not is_large(p))
    required = ceil_div(pooled, INHABITANTS_PER_ACCESS_POINT)
    for population, metropolitan in comuni:
        if is_large(population):
            required += ceil_div(population, access_point_norm(population, metropolitan))
    return required


@dataclass(frozen=True)
class ComuneNorm:
    """A Comune of the zone with the access-point rule that applies to it."""

    name: str
    province: str
    population: int
    metropolitan: bool

    @property
    def large(self) -> bool:
        return is_large(self.population)

    @property
    def norm(self) -> int:
        return access_point_norm(self.population, self.metropolitan)

    @property
    def required(self) -> int | None:
        """Its own access points required; None for a Comune of the pool."""
        return ceil_div(self.population, self.norm) if self.large else None


@dataclass(frozen=True)
class ZoneNorms:
    """A zone's LEP norms of access and staffing: what is required and what is present."""

    comuni: tuple[ComuneNorm, ...]
    access_points: int  # active level-1 desks
    social_workers: int  # active operators with the social-worker profile

    @property
    def population(self) -> int:
        return sum(c.population for c in self.comuni)

    @property
    def pooled_population(self) -> int:
        """The inhabitants of the Comuni of 40,000 or fewer, together."""
        return sum(c.population for c in self.comuni if not c.large)

    @property
    def pooled_required(self) -> int:
        return ceil_div(self.pooled_population, INHABITANTS_PER_ACCESS_POINT)

    @property
    def access_points_required(self) -> int:
        return required_access_points((c.population, c.metropolitan) for c in self.comuni)

    @property
    def access_points_met(self) -> bool:
        return self.access_points >= self.access_points_required

    @property
    def social_workers_required(self) -> int:
        return ceil_div(self.population, INHABITANTS_PER_SOCIAL_WORKER)

    @property
    def social_workers_met(self) -> bool:
        return self.social_workers >= self.social_workers_required


def zone_norms(zone_ids: Iterable[int]) -> dict[int, ZoneNorms]:
    """{zone id: ZoneNorms} for the given zones, in three queries (the Comuni, the desks,
    the social workers), whatever the number of zones."""
    ids = list(zone_ids)
    comuni: dict[int, list[ComuneNorm]] = {pk: [] for pk in ids}
    for zone_id, name, province, population, metropolitan in (
        Comune.objects.filter(zone_id__in=ids)
        .order_by("name", "pk")
        .values_list("zone_id", "name", "province", "population", "in_metropolitan_city")
    ):
        comuni[zone_id].append(ComuneNorm(name, province, population, metropolitan))
    desks = dict(
        Desk.objects.filter(active=True, level=Desk.Level.FIRST, organisation__zone_id__in=ids)
        .values_list("organisation__zone_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    workers = dict(
        Membership.objects.filter(
            active=True,
            user__is_active=True,
            profile=Profile.SOCIAL_WORKER,
            organisation__zone_id__in=ids,
        )
        .values_list("organisation__zone_id")
        .annotate(n=Count("user_id", distinct=True))
        .order_by()
    )
    return {
        pk: ZoneNorms(
            comuni=tuple(comuni[pk]),
            access_points=desks.get(pk, 0),
            social_workers=workers.get(pk, 0),
        )
        for pk in ids
    }
