"""Who an actor works for, as the audit records it on each event (`actor_organisations`).

The audit sits below accounts (DESIGN.md, "Layers") and knows no operator's memberships:
accounts registers, when it loads (its AppConfig.ready), the function that names an
actor's active organisations. No model is imported here: an app's apps.py imports this
module at its top.
"""

from collections.abc import Callable, Iterable

# function(actor) -> the names of the actor's active organisations
_organisation_names: Callable[[object], Iterable[str]] | None = None


def register_actor_organisations(names_of: Callable[[object], Iterable[str]]) -> None:
    """`names_of(actor)`: the names of `actor`'s active organisations."""
    global _organisation_names  # noqa: PLW0603 - the one registry slot, filled once at start-up
    _organisation_names = names_of


def actor_organisation_names(actor) -> list[str]:
    """The names registered for `actor`, sorted, without repeats ([] before registration)."""
    if actor is None or _organisation_names is None:
        return []
    return sorted(set(_organisation_names(actor)))
