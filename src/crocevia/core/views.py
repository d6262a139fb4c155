from django.shortcuts import render

from crocevia.cases.lists import home_alerts


def home(request):
    return render(request, "core/home.html", {"alerts": home_alerts(request.user)})
