from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.people.scopes import register_person_section


class BenefitsConfig(AppConfig):
    name = "crocevia.benefits"
    label = "benefits"
    verbose_name = _("Income-support measures")

    def ready(self):
        # The person page lists the household's applications, and records a new one.
        # Selectors need the models: loaded by now.
        from . import selectors

        register_person_section("benefits/_person_section.html", selectors.person_section_context)
