"""Administrators see every prepared file's state, times and error, and change nothing:
the rows are written by the requests that ask and the jobs that prepare them."""

from django.contrib import admin

from .models import PreparedFile


@admin.register(PreparedFile)
class PreparedFileAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "user",
        "title",
        "status",
        "attempts",
        "started_at",
        "finished_at",
        "expires_at",
        "size",
        "error",
    )
    list_filter = ("status", "producer")
    search_fields = ("user__username", "title", "file_name")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    fields = (
        "user",
        "title",
        "file_name",
        "content_type",
        "producer",
        "arguments",
        "language",
        "status",
        "job_id",
        "attempts",
        "storage_name",
        "size",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "expires_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
