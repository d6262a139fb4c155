from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.downloads.producers import register


class InterchangeConfig(AppConfig):
    name = "crocevia.interchange"
    label = "interchange"
    verbose_name = _("Imports and exports")

    def ready(self):
        # The XLSX exports are written by the worker (crocevia.downloads); the engine
        # needs the models: loaded by now.
        from . import files

        register(files.PRODUCER, files.produce_export)
