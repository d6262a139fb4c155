from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/apri/", views.open_notification, name="open"),
    path("<int:pk>/letta/", views.mark_read, name="read"),
    path("tutte-lette/", views.mark_all_read, name="read_all"),
    path("preferenze/", views.preferences, name="preferences"),
]
