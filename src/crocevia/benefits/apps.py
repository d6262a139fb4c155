from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "crocevia.benefits"
    label = "benefits"
    verbose_name = _("Income-support measures")
