"""Reviews, meetings, case lists (included in the "cases" namespace by cases/urls.py)."""

from django.urls import path

from . import followup_views as views

urlpatterns: list = [
    path("miei/", views.my_cases, name="followup_my_cases"),
    path("zona/", views.zone_cases, name="followup_zone_cases"),
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
    path("riunioni/", views.meeting_list, name="followup_meetings"),
    path("riunioni/nuova/", views.meeting_create, name="followup_meeting_create"),
    path("riunioni/<int:pk>/", views.meeting_detail, name="followup_meeting_detail"),
    path("riunioni/<int:pk>/modifica/", views.meeting_edit, name="followup_meeting_edit"),
    path(
        "riunioni/<int:pk>/casi/<int:case_pk>/azione/",
        views.meeting_action_add,
        name="followup_meeting_action_add",
    ),
]
