from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crocevia.accounts.selectors import coordinated_zone_ids, is_monitoring_only
from crocevia.network.selectors import may_see_network
from crocevia.programmes.selectors import may_see_programmes


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [
        (_("Home"), reverse("home")),
        (_("Persons"), reverse("people:search")),
        (_("Daily register"), reverse("desk:register")),
    ]
    if not is_monitoring_only(user):
        items.append((_("Referrals received"), reverse("desk:referral_inbox")))
        items.append((_("My cases"), reverse("cases:followup_my_cases")))
    may_interchange = user.is_superuser or bool(coordinated_zone_ids(user))
    if may_interchange:
        items.append((_("Zone cases"), reverse("cases:followup_zone_cases")))
        items.append((_("Meetings"), reverse("cases:followup_meetings")))
        items.append((_("Import and export"), reverse("interchange:index")))
    if not is_monitoring_only(user) and may_see_programmes(user):
        items.append((_("Programmes"), reverse("programmes:list")))
    if may_see_network(user):
        items.append((_("Network"), reverse("network:index")))
    # Export buttons on the lists are shown to those who may export (interchange.scope).
    return {"nav_items": items, "may_interchange": may_interchange}
