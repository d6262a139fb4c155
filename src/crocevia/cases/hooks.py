"""What the apps above cases tell it about a case: what is still open when it closes.

cases sits below interventions and plans (ARCHITECTURE.md, "The layer order") and cannot
import them, so each registers, in its AppConfig.ready, a function listing what of a case
is still open (an intervention never ended, a plan action not done). Closing a case
(services.closure) lists them and asks for a reason to close it anyway. No model is
imported here: an app's apps.py imports this module at its top.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OpenItem:
    """Something of a case still open: `kind` names it in the audit trail
    ("intervention", "plan_action", "final_review"), `pk` its row (None when it is a
    missing thing, such as the final review); `label` is what the closure page shows,
    `url` where to deal with it."""

    kind: str
    pk: int | None
    label: str
    url: str

    @property
    def reference(self) -> str:
        """How the audit trail names it: a kind and a row number, never its content."""
        return f"{self.kind}#{self.pk}" if self.pk is not None else self.kind


_OPEN_ITEMS: dict[str, Callable] = {}


def register_open_items(name: str, provider: Callable) -> None:
    """`provider(case) -> list[OpenItem]`: what of the case is still open; `name` keeps one
    provider per app however often ready() runs."""
    _OPEN_ITEMS[name] = provider


def registered_open_items(case) -> list[OpenItem]:
    """What every registered app finds still open on the case, in registration order."""
    items: list[OpenItem] = []
    for provider in _OPEN_ITEMS.values():
        items.extend(provider(case))
    return items
