"""The parts of a case an agreement's data-sharing clause names (network.sharing).

No model here: the apps above name a part when they load (their AppConfig.ready registers
the case page's sections with the part each shows: cases.sections), before the models are.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CasePart(models.TextChoices):
    """The parts of a shared case an agreement's data-sharing clause can open to a party."""

    REGISTRY = "registry", _("Registry data")
    CONTACTS = "contacts", _("Desk contacts")
    INTAKE = "intake", _("Intake form, section A")
    ASSESSMENT = "assessment", _("Assessment, section B")
    PLAN = "plan", _("Personalised plan")
    INTERVENTIONS = "interventions", _("Interventions")
    BENEFITS = "benefits", _("Income-support applications")
    HEALTH = "health", _("Health information")
