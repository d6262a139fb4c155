from django.contrib import admin

from crocevia.audit.admin_writes import ReadOnlyAdmin, ServiceAdmin

from . import services
from .models import Contact, DeskService, LanguageNeed


@admin.register(DeskService)
class DeskServiceAdmin(ServiceAdmin):
    """The catalogue of desk services, extensible by an administrator through
    desk.services (audited). A service used in contacts is deactivated, not deleted."""

    list_display = ["code", "name", "position", "active"]
    list_editable = ["position", "active"]
    search_fields = ["code", "name"]

    def create(self, request, values):
        return services.desk_service_create(actor=request.user, **values)

    def update(self, request, obj, values):
        services.desk_service_update(actor=request.user, service=obj, **values)


# Contacts and language needs are written by desk.services only (validated, audited).


class LanguageNeedInline(admin.StackedInline):
    model = LanguageNeed
    fields = ["recorded_on", "italian_level", "needs_job_italian", "work_sector", "recorded_by"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["date", "person", "desk", "outcome", "referred_to", "operator"]
    list_filter = ["outcome", "desk__organisation", "desk", "date"]
    list_select_related = ["person", "desk", "referred_to", "operator"]
    date_hierarchy = "date"
    search_fields = ["person__family_name", "person__given_names", "external_id"]
    fields = [
        "person",
        "desk",
        "date",
        "services",
        "outcome",
        "referred_to",
        "notes",
        "operator",
        "external_id",
        "created_at",
        "version",
    ]
    readonly_fields = fields
    inlines = [LanguageNeedInline]


@admin.register(LanguageNeed)
class LanguageNeedAdmin(ReadOnlyAdmin):
    list_display = ["recorded_on", "person", "italian_level", "needs_job_italian", "work_sector"]
    list_filter = ["italian_level", "needs_job_italian", "work_sector"]
    list_select_related = ["person"]
    search_fields = ["person__family_name", "person__given_names"]
