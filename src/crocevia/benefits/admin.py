from django.contrib import admin

from crocevia.audit.admin_writes import ReadOnlyAdmin

from .models import BenefitApplication, FollowUp


class FollowUpInline(admin.TabularInline):
    """The follow-ups of the application's negative outcomes, to read: they are recorded
    on the application's page (benefits.services.benefit_application_follow_up)."""

    model = FollowUp
    extra = 0
    fields = ["on", "status", "outcome_on", "recorded_by", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BenefitApplication)
class BenefitApplicationAdmin(ReadOnlyAdmin):
    """Administrators may look; every write goes through benefits.services (rules and audit)."""

    list_display = [
        "external_id",
        "measure",
        "status",
        "outcome_reason",
        "submitted_on",
        "outcome_on",
        "comune",
        "applicant",
    ]
    list_filter = ["measure", "status", "outcome_reason"]
    list_select_related = ["comune", "applicant"]
    search_fields = ["=external_id", "applicant__search_name"]
    raw_id_fields = ["household", "applicant"]
    date_hierarchy = "submitted_on"
    show_full_result_count = False
    inlines = [FollowUpInline]
