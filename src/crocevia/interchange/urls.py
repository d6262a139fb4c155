from django.urls import path

from . import views

app_name = "interchange"
urlpatterns = [
    path("", views.index, name="index"),
    path("importazioni/<int:pk>/", views.job_detail, name="job"),
    path("importazioni/<int:pk>/avanzamento/", views.job_progress, name="job_progress"),
    path("importazioni/<int:pk>/conferma/", views.job_confirm, name="job_confirm"),
    path("importazioni/<int:pk>/annulla/", views.job_cancel, name="job_cancel"),
    path("importazioni/<int:pk>/errori.csv", views.job_errors, name="job_errors"),
    path("esporta/<str:kind>/", views.export, name="export"),
    path("esporta-protetta/", views.export_protected, name="export_protected"),
]
