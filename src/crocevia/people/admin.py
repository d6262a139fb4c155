from django.contrib import admin

from crocevia.audit.admin_writes import ReadOnlyAdmin

from .models import Consent, DuplicatePair, Household, Person, PersonAlias


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
        "merged_into",
    ]
    # A merged record (a tombstone) names the record it was merged into.
    list_filter = ["sex", "citizenship", "permit_type", ("merged_into", admin.EmptyFieldListFilter)]
    list_select_related = ["comune", "created_by_organisation"]
    search_fields = ["search_name", "=codice_fiscale", "=external_id"]
    raw_id_fields = ["merged_into"]
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


@admin.register(PersonAlias)
class PersonAliasAdmin(ReadOnlyAdmin):
    list_display = ["value", "kind", "person", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["person"]
    search_fields = ["=value"]
    raw_id_fields = ["person"]


@admin.register(DuplicatePair)
class DuplicatePairAdmin(ReadOnlyAdmin):
    """The pairs are decided on the duplicates page (/persone/duplicati/), never here."""

    list_display = ["person_a", "person_b", "reason", "status", "found_at", "decided_by"]
    list_filter = ["status", "reason"]
    list_select_related = ["person_a", "person_b", "decided_by"]
    raw_id_fields = ["person_a", "person_b", "decided_by"]
    date_hierarchy = "found_at"
