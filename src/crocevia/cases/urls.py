from django.urls import path

from . import views

app_name = "cases"
# Also in the namespace, added by the root URLconf: the pre-assessment (section A, in
# assessments.case_urls: cases:preassess at <pk>/preanalisi/).
urlpatterns: list = [
    path("coordinamento/", views.coordination, name="coordination"),
    path("nuovo/accesso/<int:contact_pk>/", views.open_from_contact, name="open_from_contact"),
    path("nuovo/persona/<int:person_pk>/", views.open_direct, name="open_direct"),
    path("persona/<int:person_pk>/", views.person_case_list, name="person_cases"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/responsabile/", views.set_manager, name="set_manager"),
    path("<int:pk>/priorita/", views.set_priority, name="set_priority"),
    path("<int:pk>/equipe/aggiungi/", views.team_add, name="team_add"),
    path("<int:pk>/rinvio/", views.send_back, name="send_back"),
    path("<int:pk>/equipe/<int:member_pk>/rimuovi/", views.team_remove, name="team_remove"),
    path("<int:pk>/equipe/costituita/", views.form_team, name="form_team"),
    path("<int:pk>/chiusura/", views.close, name="close"),
    path(
        "<int:case_pk>/verifiche/programma/",
        views.review_schedule,
        name="followup_review_schedule",
    ),
    path(
        "<int:case_pk>/verifiche/registra/",
        views.review_record,
        name="followup_review_record",
    ),
]
