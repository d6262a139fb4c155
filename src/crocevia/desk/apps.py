from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.people.scopes import register_visible_rows


class DeskConfig(AppConfig):
    name = "crocevia.desk"
    label = "desk"
    verbose_name = _("Desk")

    def ready(self):
        # The registry below us counts a person's contacts and referrals (the compare page
        # of two records) only among those the reader may see. Selectors need the models:
        # loaded by now.
        from .referral_selectors import referrals_visible_to
        from .selectors import contacts_visible_to

        register_visible_rows("desk.contact", contacts_visible_to)
        register_visible_rows("desk.referral", referrals_visible_to)
