from django.contrib import admin

from .models import PatronDay


@admin.register(PatronDay)
class PatronDayAdmin(admin.ModelAdmin):
    list_display = ("comune", "day", "month")
    list_select_related = ("comune",)
    search_fields = ("comune__name", "comune__istat_code")
    autocomplete_fields = ("comune",)
