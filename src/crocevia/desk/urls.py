from django.urls import path

from . import views

app_name = "desk"
urlpatterns = [
    path("registro/", views.daily_register, name="register"),
]
