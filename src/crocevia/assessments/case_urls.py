"""Section A's page, at its place under a case (/casi/<pk>/preanalisi/) and in the "cases"
namespace (cases:preassess): the root URLconf adds these to the cases app's patterns."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("<int:pk>/preanalisi/", views.preassess, name="preassess"),
]
