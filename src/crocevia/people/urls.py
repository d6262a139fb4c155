from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.person_search, name="search"),
    path("nuova/", views.person_create, name="create"),
    path("duplicati/", views.duplicates_queue, name="duplicates"),
    path("duplicati/<int:pk>/", views.duplicate_pair, name="duplicate"),
    path("duplicati/<int:pk>/distinti/", views.duplicate_distinct, name="duplicate_distinct"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/modifica/", views.person_edit, name="edit"),
    path("<int:pk>/registro-accessi/", views.person_audit, name="audit"),
    path("<int:pk>/registro-accessi/pdf/", views.person_audit_pdf, name="audit_pdf"),
    path("<int:pk>/nucleo/", views.household, name="household"),
    path("<int:pk>/nucleo/nuovo/", views.household_create, name="household_create"),
    path("<int:pk>/nucleo/aggiungi/", views.household_add_member, name="household_add"),
    path(
        "<int:pk>/nucleo/rimuovi/<int:member_pk>/",
        views.household_remove_member,
        name="household_remove",
    ),
    path("<int:pk>/consensi/nuovo/", views.consent_add, name="consent_add"),
    path("<int:pk>/consensi/informativa/", views.consent_notice, name="consent_notice"),
    path(
        "<int:pk>/consensi/<int:consent_pk>/revoca/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
]
