"""The home page and the work queues: each app offers its work items through a selector;
the site composes them (site.queues)."""

import io

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crocevia.core.spreadsheets import csv_writer, write_xlsx_table
from crocevia.network.selectors import expiring_agreements_for
from crocevia.people.access import open_duplicates_count_for

from .access import get_queue_for, queue_counts_for, queue_export_for, queue_page_for
from .cards import home_cards_for
from .forms import ORDER, QueueForm

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def home(request):
    return render(
        request,
        "core/home.html",
        {
            "cards": home_cards_for(request.user),
            "queues": queue_counts_for(request.user),
            "expiring_agreements": expiring_agreements_for(request.user),
            # Coordinators and administrators: how many possible duplicates wait (None
            # for the others, who check none).
            "open_duplicates": open_duplicates_count_for(request.user),
        },
    )


@require_GET
def queue(request, code):
    """A work queue: a page of 50 rows, filtered and ordered by GET; `formato=csv` or
    `formato=xlsx` gives the whole filtered list as a file."""
    queue = get_queue_for(request.user, code)
    form = QueueForm(queue, request.GET or None)
    filters, order = form.chosen()
    fmt = request.GET.get("formato")
    if fmt:
        if fmt not in EXPORT_TYPES:
            return HttpResponse(_("Unknown format."), status=400, content_type="text/plain")
        header, rows = queue_export_for(request.user, queue, filters=filters, order=order)
        return _export(queue, fmt, header, rows)
    page = queue_page_for(
        request.user, queue, filters=filters, order=order, page=request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("formato", None)
    return render(
        request,
        "site/queue.html",
        {
            "queue": queue,
            "form": form,
            "page": page,
            "rows": page.object_list,
            "filter_fields": [form[f.name] for f in queue.filters],
            "order_field": form[ORDER],
            "query": query.urlencode(),
        },
    )


def _export(queue, fmt: str, header: list, rows: list) -> HttpResponse:
    name = f"{queue.code}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        text = io.StringIO()
        writer = csv_writer(text, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        content = text.getvalue().encode()
    else:
        stream = io.BytesIO()
        write_xlsx_table(stream, queue.code[:31], [header, *rows])
        content = stream.getvalue()
    response = HttpResponse(content, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
