"""The monitoring report page and its exports (/monitoraggio/), issue 6.

Thin views: who may see, over which scopes (access) → the period form → one
`build_report` per request → the shared layout (`tables.report_sections`, drawn by
`charts.draw_sections`). The report's reads (its figures and its layout's) go to the
database replica when one is configured (`core.dbrouter`); the footer says so, and how
far behind it was. Nothing here writes: the access events and the session are written
after the view, on the primary.
"""

import json

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crocevia.core.dbrouter import read_from_replica
from crocevia.downloads.services import prepare_file

from .access import (
    ReportRefused,
    may_export,
    must_mask,
    report_scopes_for,
    require_export,
    resolve_scope,
)
from .charts import any_masked, draw_sections
from .files import (
    CONTENT_TYPES,
    PRODUCER,
    BadPeriod,
    file_name,
    file_title,
    form_data,
    report_period,
)
from .forms import ReportForm, default_period, preset_choices, preset_period
from .indicators import Scope, build_report, to_json_value
from .selectors import scope_query, scope_value
from .tables import MASK_BELOW, MASKED, WITHHELD, any_withheld, period_label, report_sections

EXPORTS = {**CONTENT_TYPES, "json": "application/json"}


def _forbidden(request, refusal: ReportRefused):
    return render(request, "reporting/forbidden.html", {"message": str(refusal)}, status=403)


def canonical_params(start, end, scope: Scope) -> dict:
    return {"from": start.isoformat(), "to": end.isoformat(), **scope_query(scope)}


def canonical_query(start, end, scope: Scope) -> str:
    return urlencode(canonical_params(start, end, scope))


@require_GET
def report(request):
    try:
        scopes = report_scopes_for(request.user)
    except ReportRefused as refusal:
        return _forbidden(request, refusal)
    scope = resolve_scope(scopes, request.GET)
    preset = preset_period(request.GET.get("preset", ""))
    if preset is not None:
        # A preset button: the same page for that period, at its canonical address.
        return redirect(reverse("reporting:report") + "?" + canonical_query(*preset, scope))
    data = form_data(request.GET, scope)
    if data is None:
        start, end = default_period()
        form = ReportForm(
            initial={"start": start, "end": end, "scope": scope_value(scope)}, scopes=scopes
        )
    else:
        form = ReportForm(data, scopes=scopes)
        if not form.is_valid():
            context = {"form": form, "presets": preset_choices(), "report": None}
            return render(request, "reporting/report.html", context)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if "scope" in request.GET:
            # Sent by the form's select: move to the canonical address (zone=/organisation=)
            # so that it can be bookmarked and the export links carry the same query.
            return redirect(reverse("reporting:report") + "?" + canonical_query(start, end, scope))
    mask = must_mask(request.user)

    def read(source):
        result = build_report(start, end, scope, with_referrals=True)
        return result, report_sections(result, mask=mask), source

    result, sections, source = read_from_replica(read)
    query = canonical_query(start, end, scope)
    exports = [("xlsx", _("Excel")), ("pdf", _("PDF"))]
    if may_export(request.user, "json"):
        exports.append(("json", _("JSON")))
    context = {
        "form": form,
        "presets": preset_choices(),
        "report": result,
        "scope": result["scope"],
        "period": period_label(result),
        "sections": draw_sections(sections),
        "masked": any_masked(sections),
        "mask_below": MASK_BELOW,
        "masked_text": str(MASKED),
        "withheld": any_withheld(sections),
        "withheld_text": str(WITHHELD),
        "exports": [
            (label, fmt, reverse("reporting:export", args=[fmt]) + "?" + query)
            for fmt, label in exports
        ],
        "data_note": source.note(),
    }
    return render(request, "reporting/report.html", context)


@require_GET
def export(request, fmt):
    """The report as JSON (the contract's object, small: in the request) or as XLSX or
    PDF (prepared by the worker, which decides the scope again as the user: files.py;
    the user waits on the file's page)."""
    if fmt not in EXPORTS:
        raise Http404(_("Page not found."))
    try:
        scopes = report_scopes_for(request.user)
    except ReportRefused as refusal:
        return _forbidden(request, refusal)
    require_export(request.user, fmt)
    scope = resolve_scope(scopes, request.GET)
    try:
        start, end = report_period(request.GET, scopes, scope)
    except BadPeriod as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    name = file_name(scope, start, end, fmt)
    if fmt != "json":
        prepared = prepare_file(
            user=request.user,
            title=file_title(scope, start, end, fmt),
            file_name=name,
            content_type=EXPORTS[fmt],
            producer=PRODUCER,
            kwargs={"fmt": fmt, "query": canonical_params(start, end, scope)},
        )
        return redirect("downloads:file", pk=prepared.pk)
    # The JSON is the contract's object (INDICATORS.md); the files add the referrals.
    # (neither the referrals nor the note on the data's source, which the files carry).
    body = read_from_replica(lambda source: _json_body(start, end, scope))
    response = HttpResponse(body, content_type=EXPORTS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _json_body(start, end, scope) -> str:
    result = build_report(start, end, scope, with_referrals=False)
    return json.dumps(result, default=to_json_value, ensure_ascii=False, indent=2) + "\n"
