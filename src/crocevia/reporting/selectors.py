"""How the monitoring report names its scopes: the value of the scope select, the
canonical query of the page's address, the code in an export's file name (issue 6).

Who sees the report, over which scopes, and whether masked: reporting.access.
"""

from .indicators import Scope

INSTALLATION = "installation"


def scope_value(scope: Scope) -> str:
    """The value of the scope select for `scope`."""
    if scope.organisation is not None:
        return f"organisation:{scope.organisation.code}"
    if scope.zone is not None:
        return f"zone:{scope.zone.code}"
    return INSTALLATION


def scope_query(scope: Scope) -> dict:
    """The canonical query parameters of a scope (empty for the installation)."""
    if scope.organisation is not None:
        return {"organisation": scope.organisation.code}
    if scope.zone is not None:
        return {"zone": scope.zone.code}
    return {}


def scope_file_code(scope: Scope) -> str:
    """The scope's part of an export's file name."""
    if scope.organisation is not None:
        return scope.organisation.code
    if scope.zone is not None:
        return scope.zone.code
    return "installazione"
