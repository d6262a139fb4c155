from django.shortcuts import render


def person_search(request):
    return render(request, "core/home.html")
