from django.shortcuts import render


def daily_register(request):
    return render(request, "core/home.html")
