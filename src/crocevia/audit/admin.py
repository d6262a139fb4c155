import json

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .admin_writes import ReadOnlyAdmin
from .models import AuditEvent
from .sensitive import redact


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the trail is evidence, never edited through the application."""

    list_display = [
        "at", "kind", "action", "actor", "actor_organisations", "object_type", "object_id",
        "person", "chain_position",
    ]  # fmt: skip
    list_filter = ["kind", "action", "object_type"]
    search_fields = ["object_id", "actor__username"]
    raw_id_fields = ["person", "actor"]
    date_hierarchy = "at"
    # The stored changes are replaced by what the trail may show: events written before
    # sensitive fields were left out still hold their values (crocevia.audit.sensitive).
    exclude = ["changes"]
    readonly_fields = ["changes_shown", "chain_position", "chain_prev", "chain_hash"]

    @admin.display(description=_("changes"))
    def changes_shown(self, obj):
        return json.dumps(redact(obj.object_type, obj.changes), ensure_ascii=False, indent=1)
