"""What the apps above desk do when something happens at the desk.

A social worker of the receiving organisation who accepts a referral opens a case
(desk.referrals.referral_answer); cases sits above desk (DESIGN.md, "Layers") and cannot
be imported here, so it registers what opens the case when it loads (its
AppConfig.ready). No model is imported here: an app's apps.py imports this module at its
top.
"""

from collections.abc import Callable

# function(*, actor, referral) -> (the person's case, whether it was opened now)
_referral_accepted: Callable | None = None


def register_referral_accepted(open_case: Callable) -> None:
    """When a social worker of the receiving organisation accepts a referral,
    `open_case(actor=..., referral=...)` gives the person's case, inside the answer's
    transaction: their open case, or one it opens; returns (case, opened)."""
    global _referral_accepted  # noqa: PLW0603 - the one slot, filled once at start-up
    _referral_accepted = open_case


def referral_accepted_handler() -> Callable | None:
    """What cases registered (None: no case opens)."""
    return _referral_accepted
