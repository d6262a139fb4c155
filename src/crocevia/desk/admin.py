from django.contrib import admin

from .models import Contact, DeskService, LanguageNeed


@admin.register(DeskService)
class DeskServiceAdmin(admin.ModelAdmin):
    """The catalogue of desk services, extensible by an administrator."""

    list_display = ["code", "name", "position", "active"]
    list_editable = ["position", "active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        # A service used in contacts is deactivated, not deleted.
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Contacts are written by desk.services only, so every change is validated and audited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
