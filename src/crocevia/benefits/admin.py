from django.contrib import admin

from crocevia.audit.admin_writes import ReadOnlyAdmin

from .models import BenefitApplication


@admin.register(BenefitApplication)
class BenefitApplicationAdmin(ReadOnlyAdmin):
    """Administrators may look; every write goes through benefits.services (rules and audit)."""

    list_display = [
        "external_id",
        "measure",
        "status",
        "submitted_on",
        "outcome_on",
        "comune",
        "applicant",
    ]
    list_filter = ["measure", "status"]
    list_select_related = ["comune", "applicant"]
    search_fields = ["=external_id", "applicant__search_name"]
    raw_id_fields = ["household", "applicant"]
    date_hierarchy = "submitted_on"
    show_full_result_count = False
