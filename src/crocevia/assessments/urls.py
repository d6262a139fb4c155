from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("casi/<int:case_pk>/", views.case_assessments, name="case"),
    path("casi/<int:case_pk>/nuova/", views.assessment_create, name="create"),
]
