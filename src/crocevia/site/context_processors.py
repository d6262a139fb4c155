"""The navigation: each app says through its selector whether the user may see its pages."""

from django.urls import reverse
from django.utils.translation import pgettext_lazy

from crocevia.accounts.selectors import coordinated_zone_ids, is_monitoring_only
from crocevia.benefits.access import may_see_benefit_applications
from crocevia.interchange import access as interchange_access
from crocevia.network.access import may_see_network
from crocevia.programmes.access import may_see_programmes
from crocevia.reporting.access import may_see_reports


def _nav(label, url_name: str) -> tuple:
    return (label, reverse(url_name))


def navigation(request):
    # Short labels in their own context ("navigation"): the pages keep longer titles.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [
        _nav(pgettext_lazy("navigation", "Home"), "home"),
        _nav(pgettext_lazy("navigation", "Persons"), "people:search"),
        _nav(pgettext_lazy("navigation", "Register"), "desk:register"),
    ]
    if not is_monitoring_only(user):
        items.append(_nav(pgettext_lazy("navigation", "Referrals"), "desk:referral_inbox"))
        items.append(_nav(pgettext_lazy("navigation", "My cases"), "cases:followup_my_cases"))
    if may_see_benefit_applications(user):
        items.append(_nav(pgettext_lazy("navigation", "Income support"), "benefits:list"))
    may_interchange = user.is_superuser or bool(coordinated_zone_ids(user))
    if may_interchange:
        items.append(_nav(pgettext_lazy("navigation", "Zone cases"), "cases:followup_zone_cases"))
        items.append(_nav(pgettext_lazy("navigation", "Meetings"), "cases:followup_meetings"))
        items.append(_nav(pgettext_lazy("navigation", "Import/export"), "interchange:index"))
    elif is_monitoring_only(user) and interchange_access.may_interchange(user):
        # Monitoring officers: the same page, for pseudonymised exports only.
        items.append(_nav(pgettext_lazy("navigation", "Exports"), "interchange:index"))
    if not is_monitoring_only(user) and may_see_programmes(user):
        items.append(_nav(pgettext_lazy("navigation", "Programmes"), "programmes:list"))
    if may_see_network(user):
        items.append(_nav(pgettext_lazy("navigation", "Network"), "network:index"))
    if may_see_reports(user):
        items.append(_nav(pgettext_lazy("navigation", "Monitoring"), "reporting:report"))
    # Export buttons on the lists (not pseudonymised) are shown to administrators and
    # coordinators only; monitoring officers export from the interchange page.
    return {"nav_items": items, "may_interchange": may_interchange}
