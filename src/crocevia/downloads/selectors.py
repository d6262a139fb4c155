"""Reads of the prepared files, always one user's own."""

from django.db.models import QuerySet

from .models import PreparedFile

RECENT = 50


def prepared_files_of(user) -> QuerySet:
    """The user's prepared files, newest first (the list "My files")."""
    return PreparedFile.objects.filter(user=user).order_by("-created_at", "-pk")[:RECENT]
