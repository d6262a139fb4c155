from django.contrib import admin

from crocevia.audit.admin_writes import ReadOnlyAdmin

from .models import Consent, Household, Person


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = [
        "family_name",
        "given_names",
        "birth_date",
        "citizenship",
        "codice_fiscale",
        "comune",
        "created_by_organisation",
    ]
    list_filter = ["sex", "citizenship", "permit_type"]
    list_select_related = ["comune", "created_by_organisation"]
    search_fields = ["search_name", "=codice_fiscale"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "external_id", "created_at"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["person", "scope", "given_on", "withdrawn_on", "collected_by"]
    list_filter = ["scope"]
    list_select_related = ["person", "collected_by"]
    raw_id_fields = ["person"]
