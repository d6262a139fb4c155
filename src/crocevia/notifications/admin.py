"""Administrators see every notification and its e-mail state (failures with their error),
and nothing more: notifications are written by the services only."""

from django.contrib import admin

from crocevia.audit.admin_writes import ReadOnlyAdmin

from .models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "recipient",
        "kind",
        "reference",
        "read_at",
        "email_mode",
        "email_state",
        "email_attempts",
        "emailed_at",
    )
    list_filter = ("email_state", "email_mode", "kind")
    search_fields = ("reference", "recipient__username")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    fields = (
        "recipient",
        "kind",
        "reference",
        "url",
        "title",
        "actor",
        "created_at",
        "read_at",
        "email_mode",
        "email_state",
        "email_attempts",
        "email_claimed_at",
        "emailed_at",
        "email_error",
    )


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "email_mode")
    list_filter = ("kind", "email_mode")
    list_select_related = ("user",)
