from django.urls import path

from . import views

app_name = "downloads"
urlpatterns = [
    path("", views.file_list, name="list"),
    path("<int:pk>/", views.file_detail, name="file"),
    path("<int:pk>/scarica/", views.file_download, name="download"),
]
