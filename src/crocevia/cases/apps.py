from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.people.scopes import register_visible_rows


class CasesConfig(AppConfig):
    name = "crocevia.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # The registry below us counts a person's cases (the compare page of two records)
        # only among those the reader may see. Selectors need the models: loaded by now.
        from .selectors import cases_visible_to

        register_visible_rows("cases.case", cases_visible_to)
