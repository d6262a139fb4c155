"""What the apps above cases add to the case page (section B, the plan, the
interventions) and to the coordination page (the plans to validate).

cases sits below them (DESIGN.md, "Layers") and cannot import them, so each registers its
section when it loads (its AppConfig.ready). No model is imported here: an app's apps.py
imports this module at its top.
"""

from collections.abc import Callable
from dataclasses import dataclass

# The sections' places on the page, in pathway order (lowest first).
ASSESSMENTS, PLAN, INTERVENTIONS, FOLLOWUP = 10, 20, 30, 40


@dataclass(frozen=True)
class Section:
    template: str
    context: Callable  # function(user, case) -> the template's context
    place: int
    # The part of the case it shows (a network.models.CasePart value): a reader under an
    # agreement sees it only when the agreement covers that part. None: only those who
    # see the case on their own grounds (cases.access.case_view_for).
    part: str | None = None


_CASE_SECTIONS: dict[str, Section] = {}


def register_case_section(
    template: str, context: Callable, *, place: int, part: str | None
) -> None:
    """Show `template` on the case page, after the team, rendered with `context(user,
    case)` plus the case and the user; sections follow each other by `place`. `part`: the
    CasePart value the section shows (what an agreement must cover for a member of another
    organisation to see it), or None for what only readers on their own grounds see."""
    _CASE_SECTIONS[template] = Section(template, context, place, part)


def case_sections() -> list[Section]:
    """The registered sections, in their order on the page."""
    return sorted(_CASE_SECTIONS.values(), key=lambda section: section.place)


# --- the coordination page ------------------------------------------------------------------

_COORDINATION_SECTIONS: dict[str, Section] = {}


def register_coordination_section(template: str, context: Callable, *, place: int) -> None:
    """Show `template` on the coordination page, after the cases waiting for a team,
    rendered with `context(user)` plus the user; sections follow each other by `place`.
    `context` reads only what the user coordinates and records the persons it shows."""
    _COORDINATION_SECTIONS[template] = Section(template, context, place)


def coordination_sections() -> list[Section]:
    """The registered sections of the coordination page, in their order."""
    return sorted(_COORDINATION_SECTIONS.values(), key=lambda section: section.place)
