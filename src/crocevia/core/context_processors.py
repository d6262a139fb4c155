from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [
        (_("Home"), reverse("home")),
        (_("Persons"), reverse("people:search")),
        (_("Daily register"), reverse("desk:register")),
    ]
    return {"nav_items": items}
