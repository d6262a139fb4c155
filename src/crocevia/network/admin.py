from django.contrib import admin

from .models import Comune, Desk, Organisation, Zone


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
