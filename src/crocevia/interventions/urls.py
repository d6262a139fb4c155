from django.urls import path

from . import views

app_name = "interventions"
urlpatterns = [
    path("casi/<int:case_pk>/", views.case_interventions, name="case"),
    path("casi/<int:case_pk>/nuovo/", views.intervention_create, name="create"),
    path("<int:pk>/avvio/", views.intervention_start, name="start"),
    path("<int:pk>/conclusione/", views.intervention_end, name="end"),
]
