"""The rows of the apps above people that a user may see, for the counts people shows.

The compare page of two records (people.comparison) counts what each holds that a merge
moves: contacts, referrals, cases... A coordinator may count only those they may see.
people sits below desk and cases (DESIGN.md, "Layers") and cannot import their
selectors, so those apps register them here when they load (their AppConfig.ready).
The rows of an app that registered nothing are counted as not visible (to anyone but an
administrator): an app vouches for what its users may see. No model is imported here:
an app's apps.py imports this module at its top.
"""

from collections.abc import Callable

# {model label: function(user) -> QuerySet of the rows of that model the user may see}
_VISIBLE_ROWS: dict[str, Callable] = {}


def register_visible_rows(label: str, rows_visible_to: Callable) -> None:
    """Count only `rows_visible_to(user)` of the model `label` ("cases.case") where people
    shows a user how many rows a person has."""
    _VISIBLE_ROWS[label] = rows_visible_to


def visible_rows(label: str) -> Callable | None:
    """The function registered for the model `label`, or None."""
    return _VISIBLE_ROWS.get(label)
