"""Who sees the monitoring report, over which scopes, and whether masked (issue 6): the
one door of the report page and its exports.

- `may_see_reports(user)`: administrators (superusers), coordinators and monitoring
  officers. Anyone else is refused (403, `ReportRefused`) on the report page and its
  exports.
- `report_scopes(user)`: the scopes offered.
  * Administrators, and monitoring officers of an organisation of kind `region` (the
    Region, usually above the zones): the whole installation, every zone, every
    organisation.
  * Coordinators: the zones they coordinate and the organisations of those zones.
  * Monitoring officers of any other organisation (a zone office): the zones of their
    organisations and the organisations of those zones.
  A user with several memberships sees the union. The default scope is the installation
  when offered, else the first zone (by name). A scope asked for outside these is a 404
  (`resolve_scope`).
- `must_mask(user)`: monitoring officers only (no other profile) read aggregates with the
  small citizenship counts masked as "<3", on the page and in every export; they never
  get the JSON (`require_export`). The report itself never carries a person's name.
"""

from dataclasses import dataclass, field

from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import (
    coordinated_zone_ids,
    is_monitoring_only,
    monitored_zone_ids,
    monitoring_memberships,
)
from crocevia.network.models import Organisation, Zone
from crocevia.network.selectors import monitors_installation

from .indicators import Scope
from .selectors import INSTALLATION


class ReportRefused(Exception):
    """The report is not for this user: the page says why (403), as the message."""


def may_see_reports(user) -> bool:
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser or coordinated_zone_ids(user) or monitoring_memberships(user))


def sees_installation(user) -> bool:
    """Administrators and the Region's monitoring officers report on everything."""
    return user.is_superuser or monitors_installation(user)


def must_mask(user) -> bool:
    return is_monitoring_only(user)


@dataclass
class ReportScopes:
    """The scopes a user may report on: the installation (or not), zones, organisations."""

    installation: bool
    zones: list[Zone] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.installation or bool(self.zones)

    def choices(self) -> list:
        """Grouped choices for the scope select; values as `scope_value` makes them."""
        groups = []
        if self.installation:
            groups.append((_("Installation"), [(INSTALLATION, _("Whole installation"))]))
        if self.zones:
            groups.append(
                (_("Zones"), [(f"zone:{z.code}", f"{z.name} ({z.code})") for z in self.zones])
            )
        if self.organisations:
            groups.append(
                (
                    _("Organisations"),
                    [(f"organisation:{o.code}", o.name) for o in self.organisations],
                )
            )
        return groups

    def default(self) -> Scope:
        if self.installation:
            return Scope()
        if self.zones:
            return Scope(zone=self.zones[0])
        raise Http404(_("No zone is assigned to your profile."))

    def zone(self, code: str) -> Zone:
        for zone in self.zones:
            if zone.code == code:
                return zone
        raise Http404(_("Zone not found."))

    def organisation(self, code: str) -> Organisation:
        for organisation in self.organisations:
            if organisation.code == code:
                return organisation
        raise Http404(_("Organisation not found."))


def report_scopes(user) -> ReportScopes:
    """The scopes of the report page for `user` (two queries at most)."""
    if not may_see_reports(user):
        return ReportScopes(installation=False)
    if sees_installation(user):
        return ReportScopes(
            installation=True,
            zones=list(Zone.objects.order_by("name", "code")),
            organisations=list(Organisation.objects.order_by("name", "code")),
        )
    zone_ids = coordinated_zone_ids(user) | monitored_zone_ids(user)
    if not zone_ids:
        return ReportScopes(installation=False)
    return ReportScopes(
        installation=False,
        zones=list(Zone.objects.filter(pk__in=zone_ids).order_by("name", "code")),
        organisations=list(
            Organisation.objects.filter(zone_id__in=zone_ids).order_by("name", "code")
        ),
    )


def report_scopes_for(user) -> ReportScopes:
    """The scopes `user` may report on (report_scopes); ReportRefused for whoever may not
    see reports, or sees them over no zone."""
    if not may_see_reports(user):
        raise ReportRefused(
            _("The monitoring report is for administrators, coordinators and monitoring officers.")
        )
    scopes = report_scopes(user)
    if not scopes:
        raise ReportRefused(_("No zone is assigned to your profile."))
    return scopes


def may_export(user, fmt: str) -> bool:
    """Every export of the report, but the JSON: never masked, it is not for monitoring
    officers (must_mask)."""
    return fmt != "json" or not must_mask(user)


def require_export(user, fmt: str) -> None:
    """404 for an export `user` may not have (may_export)."""
    if not may_export(user, fmt):
        raise Http404(_("Page not found."))


def resolve_scope(scopes: ReportScopes, query) -> Scope:
    """The Scope asked for by a query string, among `scopes`; 404 outside them.

    The canonical form is `zone=CODE` or `organisation=CODE` (neither: the default
    scope); the page's select sends `scope=zone:CODE`, `scope=organisation:CODE` or
    `scope=installation`.
    """
    zone_code = query.get("zone", "")
    organisation_code = query.get("organisation", "")
    chosen = query.get("scope", "")
    if chosen:
        kind, _sep, code = chosen.partition(":")
        if kind == INSTALLATION and not code:
            if not scopes.installation:
                raise Http404(_("Scope not found."))
            return Scope()
        if kind == "zone" and code:
            zone_code, organisation_code = code, ""
        elif kind == "organisation" and code:
            zone_code, organisation_code = "", code
        else:
            raise Http404(_("Scope not found."))
    if zone_code and organisation_code:
        raise Http404(_("Scope not found."))
    if zone_code:
        return Scope(zone=scopes.zone(zone_code))
    if organisation_code:
        return Scope(organisation=scopes.organisation(organisation_code))
    return scopes.default()
