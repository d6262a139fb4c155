from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.audit.actors import register_actor_organisations


class AccountsConfig(AppConfig):
    name = "crocevia.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # The audit below us records on each event the names of the actor's organisations.
        # Selectors need the models: loaded by now.
        from .selectors import organisation_names

        register_actor_organisations(organisation_names)
