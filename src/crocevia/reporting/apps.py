from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.downloads.producers import register


class ReportingConfig(AppConfig):
    name = "crocevia.reporting"
    label = "reporting"
    verbose_name = _("Monitoring and reporting")

    def ready(self):
        # The report's XLSX and PDF are written by the worker (crocevia.downloads); the
        # report needs the models: loaded by now.
        from . import files

        register(files.PRODUCER, files.produce_report)
