from django.urls import path

from . import views

app_name = "desk"
urlpatterns = [
    path("registro/", views.register, name="register"),
    path("persone/<int:person_pk>/accessi/", views.person_contacts, name="contacts"),
    path("persone/<int:person_pk>/accessi/nuovo/", views.contact_create, name="contact_create"),
    path("accessi/<int:pk>/modifica/", views.contact_edit, name="contact_edit"),
]
