"""Reviews, meetings, case lists (included in the "cases" namespace by cases/urls.py)."""

urlpatterns: list = []
