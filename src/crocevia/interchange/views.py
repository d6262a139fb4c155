"""The import/export page: upload → check (report) → confirm → summary; exports.

Views are thin: the scope and the job come from access.py, every write from services.py.
"""

import os
import tempfile

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.core.archive import write_protected_zip
from crocevia.core.htmx import is_htmx
from crocevia.core.spreadsheets import csv_writer
from crocevia.downloads.services import prepare_file
from crocevia.network.models import Zone

from . import anonymity, files, importjobs, services
from .access import get_import_scope_for, get_job_for, get_scope_for, job_errors_file_for
from .engine import export_rows, notice_items, write_export
from .forms import ImportForm, ProtectedExportForm
from .kinds import get_kind, kind_names
from .models import ImportJob
from .pseudonym import ENV_KEY, MissingKey

# Italian file names of the exports: persone-2026-11-22.csv
FILE_NAMES = {
    "territory": "territorio",
    "organisations": "enti",
    "desks": "sportelli",
    "persons": "persone",
    "contacts": "accessi",
    "referrals": "invii",
    "benefit_applications": "domande-sostegno-reddito",
    "cases": "casi",
}
RECENT_JOBS = 10
# The protected-export form shares the page with the import form: its own field ids.
PROTECTED_PREFIX = "protetto"


def pseudonym_available() -> bool:
    return bool(os.environ.get(ENV_KEY))


def _kinds_table():
    return [
        {
            "name": name,
            "label": get_kind(name).label or name,
            "columns": get_kind(name).columns,
            # Holds personal data: a monitoring officer gets it pseudonymised only.
            "personal": bool(get_kind(name).pseudonymised),
        }
        for name in kind_names()
    ]


@require_http_methods(["GET", "POST"])
def index(request):
    """Kinds, the upload form, exports and the user's recent imports (for monitoring
    officers: the pseudonymised exports only)."""
    # Monitoring officers read the page (for their exports) but never upload.
    if request.method == "POST":
        scope = get_import_scope_for(request.user)
    else:
        scope = get_scope_for(request.user)
    form = ImportForm(
        request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST" and form.is_valid():
        # Housekeeping on a write, never on a read: stale jobs and old reports go.
        importjobs.import_jobs_expire()
        job = services.import_job_create(
            user=request.user,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            sheet=form.cleaned_data["sheet"],
        )
        services.import_job_start(job)
        return redirect("interchange:job", pk=job.pk)
    return _render_index(request, scope, form=form, status=400 if form.is_bound else 200)


def _protected_form(scope, data=None) -> ProtectedExportForm:
    # The pseudonymise box only where there is a choice: not for a scope always
    # pseudonymised, nor without the key.
    offered = pseudonym_available() and not scope.pseudonymised_only
    return ProtectedExportForm(data, prefix=PROTECTED_PREFIX, pseudonym_available=offered)


def _render_index(request, scope, *, form=None, protected_form=None, status=200):
    jobs = ImportJob.objects.filter(user=request.user)[:RECENT_JOBS] if scope.may_import else []
    return render(
        request,
        "interchange/index.html",
        {
            "form": form or ImportForm(),
            "scope": scope,
            "zones": _zone_names(scope),
            "kinds": _kinds_table(),
            "jobs": jobs,
            "pseudonym_available": pseudonym_available(),
            "export_k": anonymity.export_k(),
            "protected_form": protected_form or _protected_form(scope),
        },
        status=status,
    )


def _zone_names(scope) -> list[str]:
    if not scope.limited:
        return []
    return list(
        Zone.objects.filter(pk__in=scope.zone_ids).order_by("name").values_list("name", flat=True)
    )


def _job_context(job) -> dict:
    context = {"job": job, "kind_label": _kind_label(job.kind)}
    if job.running:
        context["progress"] = importjobs.job_progress(job)
    if job.status == ImportJob.Status.VALID:
        context["sample"] = importjobs.check_sample(job)
    if job.notices and job.kind in kind_names():
        context["notices"] = notice_items(job.kind, job.notices)
    if job.error_count:
        context["errors"] = importjobs.first_errors(job)
        context["errors_shown"] = min(job.error_count, importjobs.ERRORS_SHOWN)
        context["errors_file"] = importjobs.has_errors_file(job)
    return context


def _kind_label(name):
    try:
        return get_kind(name).label or name
    except KeyError:
        return name


@require_GET
def job_detail(request, pk):
    job = services.import_job_refresh(get_job_for(request.user, pk))
    return render(request, "interchange/job.html", _job_context(job))


@require_GET
def job_progress(request, pk):
    """The progress bar, polled by htmx while the job runs; then the whole page again."""
    job = services.import_job_refresh(get_job_for(request.user, pk))
    url = reverse("interchange:job", args=[job.pk])
    if not job.running:
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    return render(request, "interchange/_progress.html", _job_context(job))


@require_POST
def job_confirm(request, pk):
    job = get_job_for(request.user, pk)
    if not services.import_job_confirm(job=job, user=request.user):
        messages.error(request, _("This import cannot be confirmed any more."))
    return redirect("interchange:job", pk=job.pk)


@require_POST
def job_cancel(request, pk):
    job = get_job_for(request.user, pk)
    if services.import_job_cancel(job=job, user=request.user):
        messages.info(request, _("The import was cancelled: nothing was written."))
    else:
        messages.error(request, _("This import cannot be cancelled any more."))
    return redirect("interchange:job", pk=job.pk)


@require_GET
def job_errors(request, pk):
    """The full error report of one of the user's own imports, as CSV."""
    job = get_job_for(request.user, pk)
    report = job_errors_file_for(request.user, job)
    if report is None:
        messages.error(request, _("The error report of this import is no longer kept."))
        return redirect("interchange:job", pk=job.pk)
    name = f"errori-{FILE_NAMES.get(job.kind, job.kind)}-{job.created_at:%Y-%m-%d}.csv"
    return FileResponse(report, as_attachment=True, filename=name, content_type="text/csv")


class _Echo:
    def write(self, value):
        return value


def _csv_lines(header, rows, batch=500):
    writer = csv_writer(_Echo(), lineterminator="\n")
    lines = [writer.writerow(header)]
    for row in rows:
        lines.append(writer.writerow(row))
        if len(lines) >= batch:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


@require_GET
def export(request, kind):
    """Every record of a kind within the user's scope: CSV (streamed, constant memory) or
    XLSX (prepared by the worker: the user waits on the file's page). The access event is
    recorded when the export is asked for."""
    scope = get_scope_for(request.user)
    if kind not in kind_names():
        return HttpResponse(_("Unknown kind."), status=404, content_type="text/plain")
    fmt = request.GET.get("formato", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(_("Unknown format."), status=400, content_type="text/plain")
    pseudonymise = scope.must_pseudonymise(
        get_kind(kind), request.GET.get("pseudonimi") in ("1", "on", "true")
    )
    base = FILE_NAMES.get(kind, kind)
    if pseudonymise:
        base += "-pseudonimi"
    name = f"{base}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    try:
        # The rows are read as they are sent; the key is checked here, before anything.
        header, rows = export_rows(kind, pseudonymise=pseudonymise, scope=scope)
    except MissingKey:
        return HttpResponse(
            _("Pseudonymised exports are not configured on this server."),
            status=400,
            content_type="text/plain",
        )
    if fmt == "csv":
        services.export_audit(
            user=request.user, kind=kind, fmt=fmt, pseudonymise=pseudonymise, scope=scope
        )
        response = StreamingHttpResponse(
            _csv_lines(header, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    label = _kind_label(kind)
    if pseudonymise:
        title = _("Pseudonymised export: %(kind)s (Excel)") % {"kind": label}
    else:
        title = _("Export: %(kind)s (Excel)") % {"kind": label}
    with transaction.atomic():
        services.export_audit(
            user=request.user, kind=kind, fmt=fmt, pseudonymise=pseudonymise, scope=scope
        )
        prepared = prepare_file(
            user=request.user,
            title=title,
            file_name=name,
            content_type=files.XLSX,
            producer=files.PRODUCER,
            kwargs={
                "kind": kind,
                "fmt": fmt,
                "pseudonymise": pseudonymise,
                "zones": files.scope_zones(scope),
            },
        )
    return redirect("downloads:file", pk=prepared.pk)


@require_POST
def export_protected(request):
    """Every record of a kind within the user's scope, in an AES-256 ZIP with the password
    the user chose (POST: a password never goes in a URL or a server log). Written in the
    request, not by the worker: the password would have to wait in the queue's table."""
    scope = get_scope_for(request.user)
    form = _protected_form(scope, request.POST)
    if not form.is_valid():
        return _render_index(request, scope, protected_form=form, status=400)
    kind, fmt = form.cleaned_data["kind"], form.cleaned_data["format"]
    pseudonymise = scope.must_pseudonymise(
        get_kind(kind), form.cleaned_data.get("pseudonymise", False)
    )
    base = FILE_NAMES.get(kind, kind) + ("-pseudonimi" if pseudonymise else "")
    day = f"{timezone.localdate():%Y-%m-%d}"
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
    archive = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
    try:
        with spool:
            write_export(kind, spool, fmt=fmt, pseudonymise=pseudonymise, scope=scope)
            spool.seek(0)
            write_protected_zip(
                archive, [(f"{base}-{day}.{fmt}", spool)], form.cleaned_data["password"]
            )
    except MissingKey:
        archive.close()
        return HttpResponse(
            _("Pseudonymised exports are not configured on this server."),
            status=400,
            content_type="text/plain",
        )
    services.export_audit(
        user=request.user,
        kind=kind,
        fmt=fmt,
        pseudonymise=pseudonymise,
        scope=scope,
        protected=True,
    )
    archive.seek(0)
    response = FileResponse(
        archive, as_attachment=True, filename=f"{base}-{day}.zip", content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"
    return response
