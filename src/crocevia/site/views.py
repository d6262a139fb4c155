"""The home page: each app offers its work items through a selector; the site composes them."""

from django.shortcuts import render

from crocevia.meetings.access import home_alerts_for
from crocevia.network.selectors import expiring_agreements_for
from crocevia.people.access import open_duplicates_count_for


def home(request):
    return render(
        request,
        "core/home.html",
        {
            "alerts": home_alerts_for(request.user),
            "expiring_agreements": expiring_agreements_for(request.user),
            # Coordinators and administrators: how many possible duplicates wait (None
            # for the others, who check none).
            "open_duplicates": open_duplicates_count_for(request.user),
        },
    )
