from django.contrib import admin

from crocevia.audit.admin_writes import ReadOnlyAdmin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Administrators see every browser import; jobs change only through services."""

    list_display = ["created_at", "kind", "user", "file_name", "status", "rows", "error_count"]
    list_filter = ["status", "kind"]
    search_fields = ["file_name", "user__username"]
