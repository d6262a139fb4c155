from django.contrib import admin

from .models import DeskService


@admin.register(DeskService)
class DeskServiceAdmin(admin.ModelAdmin):
    """The catalogue of desk services, extensible by an administrator."""

    list_display = ["code", "name", "position", "active"]
    list_editable = ["position", "active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        # A service used in contacts is deactivated, not deleted.
        return False
