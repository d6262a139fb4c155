from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("verifica-in-due-passaggi/", views.two_factor_enrol, name="two_factor_enrol"),
    path("password/", views.password_change, name="password_change"),
    path("esci-ovunque/", views.logout_everywhere, name="logout_everywhere"),
]
