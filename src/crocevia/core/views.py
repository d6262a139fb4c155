from django.shortcuts import render

from crocevia.cases.lists import home_alerts
from crocevia.network.selectors import expiring_agreements_for


def home(request):
    return render(
        request,
        "core/home.html",
        {
            "alerts": home_alerts(request.user),
            "expiring_agreements": expiring_agreements_for(request.user),
        },
    )
