"""The monitoring report page and its exports (/monitoraggio/), issue 6.

Thin views: who may see, over which scopes (access) → the period form → one
`build_report` per request → the shared layout (`tables.report_sections`, drawn by
`charts.draw_sections`). The report's reads (its figures and its layout's) go to the
database replica when one is configured (`core.dbrouter`); the footer says so, and how
far behind it was. Nothing here writes: the access events and the session are written
after the view, on the primary.
"""

import json
import re

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crocevia.core.dbrouter import read_from_replica

from .access import (
    ReportRefused,
    may_export,
    must_mask,
    report_scopes_for,
    require_export,
    resolve_scope,
)
from .charts import any_masked, draw_sections
from .forms import ReportForm, default_period, preset_choices, preset_period
from .indicators import Scope, build_report, to_json_value
from .selectors import scope_file_code, scope_query, scope_value
from .tables import MASK_BELOW, MASKED, WITHHELD, any_withheld, period_label, report_sections

EXPORTS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "json": "application/json",
}


def _forbidden(request, refusal: ReportRefused):
    return render(request, "reporting/forbidden.html", {"message": str(refusal)}, status=403)


def canonical_query(start, end, scope: Scope) -> str:
    return urlencode({"from": start.isoformat(), "to": end.isoformat(), **scope_query(scope)})


def _form_data(query, scope: Scope) -> dict | None:
    """The form's data, or None when no period was asked for (the default period)."""
    if "from" not in query and "to" not in query:
        return None
    return {"from": query.get("from", ""), "to": query.get("to", ""), "scope": scope_value(scope)}


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
    data = _form_data(request.GET, scope)
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
    if fmt not in EXPORTS:
        raise Http404(_("Page not found."))
    try:
        scopes = report_scopes_for(request.user)
    except ReportRefused as refusal:
        return _forbidden(request, refusal)
    require_export(request.user, fmt)
    mask = must_mask(request.user)
    scope = resolve_scope(scopes, request.GET)
    data = _form_data(request.GET, scope)
    if data is None:
        start, end = default_period()
    else:
        form = ReportForm(data, scopes=scopes)
        if not form.is_valid():
            errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
            return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    body = read_from_replica(lambda source: _export_body(fmt, start, end, scope, mask, source))
    response = HttpResponse(body, content_type=EXPORTS[fmt])
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", scope_file_code(scope)).strip("-") or "ambito"
    filename = f"monitoraggio-{code}-{start.isoformat()}-{end.isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _export_body(fmt, start, end, scope, mask: bool, source) -> bytes | str:
    # The JSON is the contract's object (INDICATORS.md): neither the referrals nor the
    # note on the data's source, which the files carry.
    result = build_report(start, end, scope, with_referrals=fmt != "json")
    if fmt == "json":
        return json.dumps(result, default=to_json_value, ensure_ascii=False, indent=2) + "\n"
    if fmt == "pdf":
        from .pdf import report_pdf

        return report_pdf(result, mask=mask, data_note=source.note())
    from .xlsx import report_xlsx  # written with the report command (helper B)

    return report_xlsx(result, mask=mask, data_note=source.note())
