from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.cases.hooks import register_open_items
from crocevia.cases.sections import (
    INTERVENTIONS,
    register_case_section,
    register_coordination_section,
)
from crocevia.network.parts import CasePart
from crocevia.network.sections import register_zone_section

# The LEP's obligations come just before the interventions that meet them.
LEP_PLACE = INTERVENTIONS - 1


class InterventionsConfig(AppConfig):
    name = "crocevia.interventions"
    label = "interventions"
    verbose_name = _("Interventions")

    def ready(self):
        # The case page (cases, below us) shows the interventions. Selectors need the models.
        from .lep import lep_open_items
        from .selectors import (
            case_section_context,
            lep_case_section_context,
            lep_coordination_section_context,
            lep_zone_section_context,
            open_interventions,
        )

        register_case_section(
            "interventions/_case_section.html",
            case_section_context,
            place=INTERVENTIONS,
            part=CasePart.INTERVENTIONS,
        )
        # Closing the case (cases, below us) lists the interventions never started or ended.
        register_open_items("interventions", open_interventions)
        # The LEP's household obligations (interventions.lep): open on the case page, on the
        # coordination page and at the closure; met or not, counted on the zone page.
        # The team's open items: no agreement's part covers them.
        register_case_section(
            "interventions/_lep_section.html", lep_case_section_context, place=LEP_PLACE, part=None
        )
        register_open_items("lep", lep_open_items)
        register_coordination_section(
            "interventions/_lep_coordination_section.html",
            lep_coordination_section_context,
            place=LEP_PLACE,
        )
        register_zone_section("interventions/_lep_zone_section.html", lep_zone_section_context)
