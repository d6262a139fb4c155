from django.urls import include, path

app_name = "cases"
urlpatterns: list = [
    # Reviews, meetings and case lists live in their own module (names prefixed "followup_").
    path("", include("crocevia.cases.followup_urls")),
]
