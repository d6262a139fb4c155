from django.contrib import admin

from crocevia.audit.admin_writes import ReadOnlyAdmin, ServiceAdmin, changed_inline_forms
from crocevia.core.forms import GuardedModelForm

from . import services
from .models import Agreement, AgreementParty, Comune, Desk, Organisation, Zone

# Zones, Comuni, organisations and desks decide who sees what (a coordinator's zone, an
# operator's desks): every write goes through network.services, validated and audited.
# An inline adds and changes rows of its own model's service; it never deletes (the
# row's own page does, one event per row).


class ComuneInline(admin.TabularInline):
    form = GuardedModelForm
    model = Comune
    extra = 0
    can_delete = False
    # A new Comune takes the flag from its province (services.comune_create); it is
    # changed on the Comune's own page.
    exclude = ["in_metropolitan_city"]


@admin.register(Zone)
class ZoneAdmin(ServiceAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [ComuneInline]

    def create(self, request, values):
        return services.zone_create(actor=request.user, **values)

    def update(self, request, obj, values):
        services.zone_update(actor=request.user, zone=obj, **values)

    def delete(self, request, obj):
        services.zone_delete(actor=request.user, zone=obj)

    def save_formset(self, request, form, formset, change):
        for inline_form, values, is_new in changed_inline_forms(formset):
            values["zone"] = formset.instance
            if is_new:
                services.comune_create(actor=request.user, **values)
            else:
                services.comune_update(actor=request.user, comune=inline_form.instance, **values)


@admin.register(Comune)
class ComuneAdmin(ServiceAdmin):
    list_display = ["istat_code", "name", "province", "population", "in_metropolitan_city", "zone"]
    list_filter = ["zone", "province", "in_metropolitan_city"]
    search_fields = ["istat_code", "name"]

    def get_exclude(self, request, obj=None):
        # Added: the flag follows the province (services.comune_create); changed: editable.
        if obj is None:
            return ["in_metropolitan_city"]
        return super().get_exclude(request, obj)

    def create(self, request, values):
        return services.comune_create(actor=request.user, **values)

    def update(self, request, obj, values):
        services.comune_update(actor=request.user, comune=obj, **values)

    def delete(self, request, obj):
        services.comune_delete(actor=request.user, comune=obj)


class DeskInline(admin.TabularInline):
    form = GuardedModelForm
    model = Desk
    extra = 0
    autocomplete_fields = ["comune"]
    can_delete = False


@admin.register(Organisation)
class OrganisationAdmin(ServiceAdmin):
    list_display = ["code", "name", "kind", "zone", "comune"]
    list_filter = ["kind", "zone"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["comune"]
    inlines = [DeskInline]

    def create(self, request, values):
        return services.organisation_create(actor=request.user, **values)

    def update(self, request, obj, values):
        services.organisation_update(actor=request.user, organisation=obj, **values)

    def delete(self, request, obj):
        services.organisation_delete(actor=request.user, organisation=obj)

    def save_formset(self, request, form, formset, change):
        for inline_form, values, is_new in changed_inline_forms(formset):
            values["organisation"] = formset.instance
            if is_new:
                services.desk_create(actor=request.user, **values)
            else:
                services.desk_update(actor=request.user, desk=inline_form.instance, **values)


@admin.register(Desk)
class DeskAdmin(ServiceAdmin):
    list_display = ["code", "name", "organisation", "level", "comune", "active"]
    list_filter = ["level", "active", "organisation__zone"]
    search_fields = ["code", "name", "organisation__name"]
    autocomplete_fields = ["organisation", "comune"]

    def create(self, request, values):
        return services.desk_create(actor=request.user, **values)

    def update(self, request, obj, values):
        services.desk_update(actor=request.user, desk=obj, **values)

    def delete(self, request, obj):
        services.desk_delete(actor=request.user, desk=obj)


class AgreementPartyInline(admin.TabularInline):
    model = AgreementParty
    extra = 0
    fields = ["organisation", "role", "amount", "shared_parts"]
    readonly_fields = fields
    can_delete = False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
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
