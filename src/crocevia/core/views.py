from django.shortcuts import render

from crocevia.cases.access import home_alerts_for
from crocevia.network.selectors import expiring_agreements_for


def home(request):
    return render(
        request,
        "core/home.html",
        {
            "alerts": home_alerts_for(request.user),
            "expiring_agreements": expiring_agreements_for(request.user),
        },
    )
