from django.contrib import admin

from crocevia.audit.admin_writes import ServiceAdmin

from . import services
from .models import PatronDay


@admin.register(PatronDay)
class PatronDayAdmin(ServiceAdmin):
    """Patron days move deadlines: written through reporting.services (audited)."""

    list_display = ("comune", "day", "month")
    list_select_related = ("comune",)
    search_fields = ("comune__name", "comune__istat_code")
    autocomplete_fields = ("comune",)

    def create(self, request, values):
        return services.patron_day_create(actor=request.user, **values)

    def update(self, request, obj, values):
        services.patron_day_update(actor=request.user, patron_day=obj, **values)

    def delete(self, request, obj):
        services.patron_day_delete(actor=request.user, patron_day=obj)
