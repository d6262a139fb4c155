from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path("", views.index, name="index"),
    path("zone/<int:pk>/", views.zone_detail, name="zone_detail"),
    path("enti/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("accordi/", views.agreement_list, name="agreement_list"),
    path("accordi/nuovo/", views.agreement_create, name="agreement_create"),
    path("accordi/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("accordi/<int:pk>/modifica/", views.agreement_edit, name="agreement_edit"),
    path("accordi/<int:pk>/documento/", views.agreement_document, name="agreement_document"),
]
