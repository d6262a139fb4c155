from django.urls import path

from . import views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("nuovo/", views.programme_create, name="create"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("<int:pk>/modifica/", views.programme_edit, name="edit"),
    path("<int:pk>/azioni/nuova/", views.action_create, name="action_create"),
    path("azioni/<int:pk>/modifica/", views.action_edit, name="action_edit"),
    path("<int:pk>/obiettivi/", views.target_set, name="target_set"),
    path("<int:pk>/spese/nuova/", views.expenditure_create, name="expenditure_create"),
    path("<int:pk>/casi/iscrivi/", views.case_enrol, name="case_enrol"),
    path("<int:pk>/casi/<int:case_pk>/rimuovi/", views.case_unenrol, name="case_unenrol"),
    path("<int:pk>/bilancio.xlsx", views.programme_export, name="export"),
]
