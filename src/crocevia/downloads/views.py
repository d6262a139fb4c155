"""A prepared file's page (waiting, then its download button) and its download; the
user's list of them. Each file is its user's only (access.get_prepared_file_for)."""

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crocevia.core.htmx import render_page_or_partial

from .access import get_prepared_file_for
from .selectors import prepared_files_of
from .services import prepared_file_refresh

# How often the page asks whether the file is ready (htmx), in seconds.
POLL_SECONDS = 2


@require_GET
def file_list(request):
    files = prepared_files_of(request.user)
    return render(request, "downloads/list.html", {"files": files})


@require_GET
def file_detail(request, pk):
    """The file's state; polled by htmx (the state box only) while it is being prepared."""
    prepared = prepared_file_refresh(get_prepared_file_for(request.user, pk))
    context = {"prepared": prepared, "poll_seconds": POLL_SECONDS}
    response = render_page_or_partial(
        request, "downloads/file.html", "downloads/_status.html", context
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def file_download(request, pk):
    """The file, streamed from the storage; its page while it is not (or no longer) there."""
    prepared = get_prepared_file_for(request.user, pk)
    if not prepared.ready:
        return redirect("downloads:file", pk=prepared.pk)
    try:
        stream = default_storage.open(prepared.storage_name, "rb")
    except FileNotFoundError:  # removed a moment ago (expiry)
        messages.error(request, _("This file is no longer kept: ask for it again."))
        return redirect("downloads:file", pk=prepared.pk)
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=prepared.file_name,
        content_type=prepared.content_type,
    )
    response["Cache-Control"] = "no-store"
    return response
