"""What the apps above accounts add to the memberships as they are loaded.

No model is imported here: an app's apps.py imports this module at its top.
"""

from collections.abc import Callable

# {attribute: function() -> an expression on Membership}: each membership is loaded with
# these attributes (selectors.active_memberships), so that a question an app above asks of
# every request costs no query of its own. The network says whether the organisation is a
# party to an agreement in force today (network.sharing): a user whose organisations are
# party to none is asked nothing more.
_MEMBERSHIP_ANNOTATIONS: dict[str, Callable] = {}


def register_membership_annotation(name: str, expression: Callable) -> None:
    """Load each membership with the attribute `name`, the value of `expression()` (an
    expression on Membership, evaluated in the memberships' one query)."""
    _MEMBERSHIP_ANNOTATIONS[name] = expression


def membership_annotations() -> dict:
    """{attribute: expression} of every registered annotation, made now."""
    return {name: make() for name, make in _MEMBERSHIP_ANNOTATIONS.items()}
