from django.contrib import admin

from .models import Agreement, AgreementParty, Comune, Desk, Organisation, Zone


class ComuneInline(admin.TabularInline):
    model = Comune
    extra = 0


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [ComuneInline]


@admin.register(Comune)
class ComuneAdmin(admin.ModelAdmin):
    list_display = ["istat_code", "name", "province", "population", "zone"]
    list_filter = ["zone", "province"]
    search_fields = ["istat_code", "name"]


class DeskInline(admin.TabularInline):
    model = Desk
    extra = 0
    autocomplete_fields = ["comune"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "zone", "comune"]
    list_filter = ["kind", "zone"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["comune"]
    inlines = [DeskInline]


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organisation", "level", "comune", "active"]
    list_filter = ["level", "active", "organisation__zone"]
    search_fields = ["code", "name", "organisation__name"]
    autocomplete_fields = ["organisation", "comune"]


class AgreementPartyInline(admin.TabularInline):
    model = AgreementParty
    extra = 0
    fields = ["organisation", "role", "amount", "shared_parts"]
    readonly_fields = fields
    can_delete = False


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    """Read-only: agreements are written through the network pages (validated, audited)."""

    list_display = ["title", "kind", "signed_on", "valid_from", "valid_until", "renewable"]
    list_filter = ["kind", "renewable"]
    search_fields = ["title", "reference", "parties__organisation__name"]
    date_hierarchy = "valid_from"
    inlines = [AgreementPartyInline]
    exclude = ["document"]
    readonly_fields = [
        "title",
        "kind",
        "reference",
        "signed_on",
        "valid_from",
        "valid_until",
        "renewable",
        "renewal_terms",
        "document_name",
        "notes",
        "created_by",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
