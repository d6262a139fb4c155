"""Meetings and the case lists.

Mounted by crocevia/urls.py under "casi/" in the "cases" namespace, after the case's own
URLs: the paths and names ("cases:followup_*") are those they had when they lived in
`cases`, which the links, the authorisation matrix and the access events name.
"""

from django.urls import path

from . import views

urlpatterns: list = [
    path("miei/", views.my_cases, name="followup_my_cases"),
    path("zona/", views.zone_cases, name="followup_zone_cases"),
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
