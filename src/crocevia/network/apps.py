from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.accounts.hooks import register_membership_annotation


class NetworkConfig(AppConfig):
    name = "crocevia.network"
    label = "network"
    verbose_name = _("Network")

    def ready(self):
        # Each membership (accounts, below us) is loaded knowing whether its organisation
        # is party to an agreement in force today: a user whose organisations are party to
        # none costs the agreements' rule no query. Needs the models: loaded by now.
        from .sharing import IN_FORCE_ATTRIBUTE, party_in_force

        register_membership_annotation(IN_FORCE_ATTRIBUTE, party_in_force)
