from django.urls import path

from . import views

app_name = "benefits"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("nuova/<int:person_pk>/", views.application_create, name="create"),
    path("<int:pk>/", views.application_detail, name="detail"),
    path("<int:pk>/esito/", views.record_outcome, name="outcome"),
    path("<int:pk>/affiancamento/", views.follow_up, name="follow_up"),
    path("<int:pk>/presa-in-carico/", views.open_case, name="open_case"),
]
