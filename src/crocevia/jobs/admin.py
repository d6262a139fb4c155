"""The jobs in the admin: every job with its state, times, attempts and error (the
backend's admin, with a few columns more), and the periodic jobs' runs. Read-only: jobs
are written by the code that enqueues them and by the workers."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from .models import PeriodicRun


class JobAdmin(DBTaskResultAdmin):
    list_display = (
        "task_name",
        "status",
        "enqueued_at",
        "started_at",
        "finished_at",
        "attempts",
        "error",
        "last_worker",
    )
    list_filter = ("status", "task_path", "queue_name")
    search_fields = ("id", "task_path")

    @admin.display(description=_("attempts"))
    def attempts(self, obj: DBTaskResult) -> int:
        return len(obj.worker_ids or [])

    @admin.display(description=_("error"))
    def error(self, obj: DBTaskResult) -> str:
        if obj.status != "FAILED":
            return ""
        last = (obj.traceback or "").strip().splitlines()
        return (last[-1] if last else obj.exception_class_path)[:200]

    @admin.display(description=_("worker"))
    def last_worker(self, obj: DBTaskResult) -> str:
        return obj.worker_ids[-1] if obj.worker_ids else ""


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, JobAdmin)


@admin.register(PeriodicRun)
class PeriodicRunAdmin(admin.ModelAdmin):
    list_display = ("slot", "name", "task_path", "job_link", "worker_id", "created_at")
    list_filter = ("name",)
    date_hierarchy = "slot"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("job"))
    def job_link(self, obj: PeriodicRun) -> str:
        if obj.job_id is None:
            return _("none: one was still waiting to run")
        url = reverse("admin:django_tasks_database_dbtaskresult_change", args=[obj.job_id])
        return format_html('<a href="{}">{}</a>', url, obj.job_id)
