"""Who may import and export what: everything (administrators, the command line), the
zones a coordinator coordinates, or pseudonymised exports only (monitoring officers).

A `Scope` travels with an import (into the kinds' context, for `Kind.check_scope`) and
with an export (to filter the rows). `zone_ids` None means everything; the command line
passes no scope at all, which means the same.

Monitoring officers (no other profile) see no one by name: their scope is
`pseudonymised_only` (exports of personal data are always pseudonymised, imports are
refused), over the zones of the monitoring report (`report_scopes`): the whole
installation for the Region's officers, their organisations' zones for a zone office's.
Their persons are those of `people.selectors.persons_of_zones`, not those they may see.
"""

from dataclasses import dataclass

from django.db.models import QuerySet

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import (
    active_memberships,
    coordinated_zone_ids,
    is_monitoring_only,
    monitored_zone_ids,
)
from crocevia.network.selectors import monitors_installation
from crocevia.people.models import Person
from crocevia.people.selectors import persons_of_zones, persons_visible_to


@dataclass(frozen=True)
class Scope:
    zone_ids: frozenset[int] | None  # None = every zone
    user: object = None  # the acting user (persons are scoped by what they may see)
    # New persons imported through this scope are registered by this organisation, so
    # the coordinator who imported them keeps seeing them (None: no organisation).
    organisation: object = None
    # Exports only, and pseudonymised whenever the kind holds personal data; no imports.
    pseudonymised_only: bool = False

    @property
    def limited(self) -> bool:
        return self.zone_ids is not None

    @property
    def may_import(self) -> bool:
        return not self.pseudonymised_only

    @classmethod
    def everything(cls, user=None, organisation=None) -> "Scope":
        return cls(zone_ids=None, user=user, organisation=organisation)

    @classmethod
    def for_user(cls, user) -> "Scope | None":
        """The user's scope, or None when they may not import or export at all."""
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        memberships = active_memberships(user)
        if user.is_superuser:
            organisations = {m.organisation_id: m.organisation for m in memberships}
            only = next(iter(organisations.values())) if len(organisations) == 1 else None
            return cls.everything(user, only)
        if is_monitoring_only(user):
            return cls._monitoring(user)
        zones = coordinated_zone_ids(user)
        if not zones:
            return None
        coordinating = sorted(
            (
                m
                for m in memberships
                if m.organisation.zone_id in zones and m.profile == Profile.COORDINATOR
            ),
            key=lambda m: (m.organisation.zone_id, m.organisation_id),
        )
        organisation = coordinating[0].organisation if coordinating else None
        return cls(zone_ids=frozenset(zones), user=user, organisation=organisation)

    @classmethod
    def _monitoring(cls, user) -> "Scope | None":
        """A monitoring officer's: pseudonymised exports of the zones they monitor."""
        if monitors_installation(user):
            return cls(zone_ids=None, user=user, pseudonymised_only=True)
        zones = monitored_zone_ids(user)
        if not zones:
            return None
        return cls(zone_ids=frozenset(zones), user=user, pseudonymised_only=True)

    def has_zone(self, zone_id) -> bool:
        return self.zone_ids is None or zone_id in self.zone_ids

    def limit(self, queryset: QuerySet, zone_field: str) -> QuerySet:
        """`queryset` limited to rows whose `zone_field` is one of the scope's zones."""
        if self.zone_ids is None:
            return queryset
        return queryset.filter(**{f"{zone_field}__in": self.zone_ids})

    def persons(self) -> QuerySet:
        """Persons within the scope: every person, those the user may see on their own
        grounds (an agreement lets its parties read one another's persons one by one, not
        export them: network.sharing), or (for a pseudonymised-only scope, whose user sees
        no one) those of the scope's zones."""
        if self.zone_ids is None:
            return Person.objects.all()
        if self.pseudonymised_only:
            return persons_of_zones(self.zone_ids)
        return persons_visible_to(self.user, agreements=False)

    def must_pseudonymise(self, kind, asked: bool) -> bool:
        """Whether an export of `kind` (a Kind) is pseudonymised: as asked, but always for
        a pseudonymised-only scope when the kind holds personal data (pseudonymised
        columns); kinds without any (territory, organisations, desks) go out as they are."""
        if self.pseudonymised_only:
            return bool(kind.pseudonymised)
        return asked


def limited_scope(ctx: dict) -> Scope | None:
    """The import's scope when it is limited to some zones, else None (nothing to check)."""
    scope = ctx.get("scope")
    return scope if scope is not None and scope.limited else None
