from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is evidence, never edited through the application."""

    list_display = [
        "at", "kind", "action", "actor", "actor_organisations", "object_type", "object_id",
        "person", "chain_position",
    ]  # fmt: skip
    list_filter = ["kind", "action", "object_type"]
    search_fields = ["object_id", "actor__username"]
    raw_id_fields = ["person", "actor"]
    date_hierarchy = "at"
    readonly_fields = ["chain_position", "chain_prev", "chain_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
