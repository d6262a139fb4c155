from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.cases.hooks import register_open_items
from crocevia.cases.sections import PLAN, register_case_section, register_coordination_section
from crocevia.network.parts import CasePart


class PlansConfig(AppConfig):
    name = "crocevia.plans"
    label = "plans"
    verbose_name = _("Plans")

    def ready(self):
        # The case page (cases, below us) shows the plan. Selectors need the models.
        from .selectors import (
            case_section_context,
            coordination_section_context,
            open_plan_actions,
        )

        register_case_section(
            "plans/_case_section.html", case_section_context, place=PLAN, part=CasePart.PLAN
        )
        # Closing the case (cases, below us) lists the plan's actions not yet done.
        register_open_items("plans", open_plan_actions)
        # The coordination page (cases) lists the plans submitted for validation.
        register_coordination_section(
            "plans/_coordination_section.html", coordination_section_context, place=PLAN
        )
