from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("casi/<int:case_pk>/", views.case_plan, name="case"),
    path("casi/<int:case_pk>/crea/", views.plan_create, name="create"),
    path("<int:pk>/modifica/", views.plan_edit, name="edit"),
    path("<int:pk>/invia-convalida/", views.plan_submit, name="submit"),
    path("<int:pk>/convalida/", views.plan_validate, name="validate"),
    path("<int:pk>/azioni/<int:action_pk>/fatta/", views.action_done, name="action_done"),
    path("<int:pk>/versioni/<int:number>/", views.version_detail, name="version"),
    path("<int:pk>/versioni/<int:number>/pdf/", views.version_pdf, name="pdf"),
    path("<int:pk>/versioni/<int:number>/firma/", views.version_sign, name="sign"),
]
