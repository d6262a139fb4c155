import json

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .actions import AuditAction, action_filter, action_label
from .admin_writes import ReadOnlyAdmin
from .models import AuditEvent
from .sensitive import redact


class ActionFilter(admin.SimpleListFilter):
    """By member of the vocabulary: the events written before it (old actions) too."""

    title = _("action")
    parameter_name = "action_is"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        if self.value() in AuditAction.values:
            return queryset.filter(action_filter(AuditAction(self.value())))
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the trail is evidence, never edited through the application."""

    list_display = [
        "at", "kind", "action_shown", "actor", "actor_organisations", "object_type",
        "object_id", "person", "chain_position",
    ]  # fmt: skip
    list_filter = ["kind", ActionFilter, "object_type"]
    search_fields = ["object_id", "actor__username"]
    raw_id_fields = ["person", "actor"]
    date_hierarchy = "at"
    # The stored changes are replaced by what the trail may show: events written before
    # sensitive fields were left out still hold their values (crocevia.audit.sensitive).
    exclude = ["changes"]
    readonly_fields = ["changes_shown", "chain_position", "chain_prev", "chain_hash"]

    @admin.display(description=_("action"), ordering="action")
    def action_shown(self, obj):
        """The action's label (an old event's: its member's), with the text stored."""
        return f"{action_label(obj)} ({obj.action})"

    @admin.display(description=_("changes"))
    def changes_shown(self, obj):
        return json.dumps(redact(obj.object_type, obj.changes), ensure_ascii=False, indent=1)
