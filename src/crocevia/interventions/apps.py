from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.cases.hooks import register_open_items
from crocevia.cases.sections import INTERVENTIONS, register_case_section
from crocevia.network.parts import CasePart


class InterventionsConfig(AppConfig):
    name = "crocevia.interventions"
    label = "interventions"
    verbose_name = _("Interventions")

    def ready(self):
        # The case page (cases, below us) shows the interventions. Selectors need the models.
        from .selectors import case_section_context, open_interventions

        register_case_section(
            "interventions/_case_section.html",
            case_section_context,
            place=INTERVENTIONS,
            part=CasePart.INTERVENTIONS,
        )
        # Closing the case (cases, below us) lists the interventions never started or ended.
        register_open_items("interventions", open_interventions)
