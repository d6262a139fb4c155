from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.people.scopes import (
    register_organisation_grounds,
    register_person_grounds,
    register_person_section,
    register_visible_rows,
    register_zone_grounds,
)


class DeskConfig(AppConfig):
    name = "crocevia.desk"
    label = "desk"
    verbose_name = _("Desk")

    def ready(self):
        # The registry below us counts a person's contacts and referrals (the compare page
        # of two records) only among those the reader may see; an operator sees the persons
        # met at their desks or referred to their organisation; a person belongs to the
        # zones of the desks where they had a contact; the person page lists both.
        # Selectors need the models: loaded by now.
        from . import referral_selectors, selectors

        register_visible_rows("desk.contact", selectors.contacts_visible_to)
        register_visible_rows("desk.referral", referral_selectors.referrals_visible_to)
        register_person_grounds("desk.contact", selectors.persons_seen_at_desks_of)
        register_person_grounds(
            "desk.referral", referral_selectors.persons_referred_to_organisations_of
        )
        register_zone_grounds("desk.contact", selectors.persons_contacted_in_zones)
        # A person is "of" the organisations at whose desks they had a contact: what an
        # agreement shares of them (network.sharing).
        register_organisation_grounds("desk.contact", selectors.persons_contacted_at_desks_of)
        register_person_section(
            "desk/_person_contacts_section.html", selectors.person_section_context
        )
        register_person_section(
            "desk/_person_referrals_section.html", referral_selectors.person_section_context
        )
