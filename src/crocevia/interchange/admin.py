from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Administrators see every browser import; jobs change only through services."""

    list_display = ["created_at", "kind", "user", "file_name", "status", "rows", "error_count"]
    list_filter = ["status", "kind"]
    search_fields = ["file_name", "user__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
