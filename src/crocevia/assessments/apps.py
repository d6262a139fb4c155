from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.cases.sections import ASSESSMENTS, register_case_section
from crocevia.network.parts import CasePart


class AssessmentsConfig(AppConfig):
    name = "crocevia.assessments"
    label = "assessments"
    verbose_name = _("Assessments")

    def ready(self):
        # The case page (cases, below us) shows section B. Selectors need the models.
        from .selectors import case_section_context

        register_case_section(
            "assessments/_case_section.html",
            case_section_context,
            place=ASSESSMENTS,
            part=CasePart.ASSESSMENT,
        )
