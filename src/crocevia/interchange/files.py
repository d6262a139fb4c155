"""The XLSX export as a prepared file (crocevia.downloads): written by the worker.

The request records the export's access event and asks for the file
(`views.export`); the worker writes it here, as the user who asked, with the scope they
have when it runs (`Scope.for_user`), never one carried in the job. If that scope is no
longer the one the export's event recorded (zones gained or lost, pseudonymisation now
required, no scope at all), the file is refused and the user asks again: the event says
what the file holds.
"""

from django.utils.translation import gettext as _

from crocevia.downloads.producers import Refused

from .engine import write_export
from .kinds import get_kind
from .pseudonym import MissingKey
from .scope import Scope

PRODUCER = "interchange.export"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def scope_zones(scope: Scope) -> list[int] | str:
    """The scope's zones as the export's event records them."""
    return sorted(scope.zone_ids) if scope.limited else "all"


def produce_export(
    *, user, out, kind: str, fmt: str, pseudonymise: bool, zones: list[int] | str
) -> None:
    """Write the export of `kind` as `user` may have it now, into `out`."""
    scope = Scope.for_user(user)
    if scope is None:
        raise Refused(_("You may no longer export data: ask your coordinator if you need it."))
    changed = scope_zones(scope) != zones or (
        scope.must_pseudonymise(get_kind(kind), pseudonymise) != pseudonymise
    )
    if changed:
        raise Refused(_("Your access changed after you asked for this export: ask for it again."))
    try:
        write_export(kind, out, fmt=fmt, pseudonymise=pseudonymise, scope=scope)
    except MissingKey:
        raise Refused(_("Pseudonymised exports are not configured on this server.")) from None
