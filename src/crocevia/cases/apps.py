from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.desk.hooks import register_referral_accepted
from crocevia.people.scopes import (
    register_organisation_grounds,
    register_person_grounds,
    register_visible_rows,
    register_zone_grounds,
)


class CasesConfig(AppConfig):
    name = "crocevia.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # The registry below us counts a person's cases (the compare page of two records)
        # only among those the reader may see; a case's team members see its person; a
        # person belongs to the zones of their cases. Selectors need the models: loaded by now.
        from . import selectors, services

        register_visible_rows("cases.case", selectors.cases_visible_to)
        register_person_grounds("cases.teammember", selectors.persons_on_a_team_of)
        register_zone_grounds("cases.case", selectors.persons_with_a_case_in_zones)
        # A person is "of" the organisations whose cases they have: what an agreement
        # shares of them (network.sharing).
        register_organisation_grounds("cases.case", selectors.persons_with_a_case_of)
        # A social worker who accepts a referral (desk, below us) opens its case.
        register_referral_accepted(services.case_open_from_referral)
