"""What programmes (above interventions) supply about paying for an intervention.

An intervention is paid by a programme's budget action (Intervention.funding_action, a
foreign key by name: interventions never imports programmes, ARCHITECTURE.md "The layer
order"). Which actions a case may use, and whether one can take the intervention's cost,
are programmes' rules: programmes registers them here in its AppConfig.ready, and the
intervention form and services ask through `funding()`. No model is imported here.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Funding:
    """`choices(case) -> [(programme label, [(action pk, label), ...]), ...]`: the budget
    actions the case may use, grouped by programme, for the form's select.

    `check(*, actor, case, action_id, amount, on, justification) -> bool`: inside the
    caller's transaction, locks the action and validates that the case may use it on day
    `on` and that `amount` fits what remains of it (True when it goes over the budget with
    a coordinator's justification). Raises ValidationError keyed by the intervention
    form's fields (funding_action, cost, over_budget_justification).

    `may_justify(actor, action_id) -> bool`: whether `actor` may charge the action over its
    budget with a justification (the form then shows the field)."""

    choices: Callable
    check: Callable
    may_justify: Callable


_FUNDING: dict[str, Funding] = {}


def register_funding(funding: Funding) -> None:
    """Programmes' rules for paying interventions (one registration, however often
    ready() runs)."""
    _FUNDING["programmes"] = funding


def funding() -> Funding | None:
    """The registered rules, or None when no app pays for interventions."""
    return _FUNDING.get("programmes")
