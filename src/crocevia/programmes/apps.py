from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.interventions.hooks import register_funding
from crocevia.network.sections import register_organisation_section


class ProgrammesConfig(AppConfig):
    name = "crocevia.programmes"
    label = "programmes"
    verbose_name = _("Programmes and funding")

    def ready(self):
        # The organisation page (network, below us) shows the programmes it takes part in.
        # Selectors need the models: loaded by now.
        from .funding import FUNDING
        from .selectors import organisation_section_context

        register_organisation_section(
            "programmes/_organisation_programmes.html", organisation_section_context
        )
        # Interventions (below us) are paid by budget actions: which, and the budget check.
        register_funding(FUNDING)
