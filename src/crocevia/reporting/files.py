"""The report's XLSX and PDF as prepared files (crocevia.downloads): written by the worker.

The request checks what it always checked (who may see reports, over which scope, which
period) and asks for the file with the canonical query of what was asked (the period and
the scope's code, as the page's export links carry it); the worker decides all of it again
here, as the user who asked and with what they may see when it runs: `report_scopes_for`,
`require_export`'s rule, `resolve_scope` and `must_mask`, never a scope or a mask carried
in the job. A user who lost the scope meanwhile gets a failed file, not the data.
"""

import datetime
import re

from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.core.dates import format_day
from crocevia.core.dbrouter import read_from_replica
from crocevia.downloads.producers import Refused

from .access import ReportRefused, may_export, must_mask, report_scopes_for, resolve_scope
from .forms import ReportForm, default_period
from .indicators import Scope, build_report
from .selectors import scope_file_code, scope_value

PRODUCER = "reporting.report"
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class BadPeriod(Exception):
    """The period asked for is not valid: the message says why."""


def form_data(query, scope: Scope) -> dict | None:
    """The period form's data, or None when no period was asked for (the default period)."""
    if "from" not in query and "to" not in query:
        return None
    return {"from": query.get("from", ""), "to": query.get("to", ""), "scope": scope_value(scope)}


def report_period(query, scopes, scope: Scope) -> tuple[datetime.date, datetime.date]:
    """(start, end) asked for by `query` (the default period without one); BadPeriod."""
    data = form_data(query, scope)
    if data is None:
        return default_period()
    form = ReportForm(data, scopes=scopes)
    if not form.is_valid():
        raise BadPeriod(" ".join(str(e) for errors in form.errors.values() for e in errors))
    return form.cleaned_data["start"], form.cleaned_data["end"]


def file_name(scope: Scope, start: datetime.date, end: datetime.date, fmt: str) -> str:
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", scope_file_code(scope)).strip("-") or "ambito"
    return f"monitoraggio-{code}-{start.isoformat()}-{end.isoformat()}.{fmt}"


def file_title(scope: Scope, start: datetime.date, end: datetime.date, fmt: str) -> str:
    if scope.organisation is not None:
        where = scope.organisation.name
    elif scope.zone is not None:
        where = scope.zone.name
    else:
        where = _("Whole installation")
    return _("Monitoring report: %(scope)s, %(start)s – %(end)s (%(format)s)") % {
        "scope": where,
        "start": format_day(start),
        "end": format_day(end),
        "format": _("Excel") if fmt == "xlsx" else _("PDF"),
    }


def render_report(result: dict, fmt: str, *, mask: bool, data_note: str = "") -> bytes:
    """The report's file: the XLSX or the PDF of one `build_report` result (`data_note`:
    where its data were read, when from a replica)."""
    if fmt == "pdf":
        from .pdf import report_pdf  # WeasyPrint: loaded by the jobs that draw a PDF only

        return report_pdf(result, mask=mask, data_note=data_note)
    if fmt == "xlsx":
        from .xlsx import report_xlsx

        return report_xlsx(result, mask=mask, data_note=data_note)
    raise ValueError(fmt)


def produce_report(*, user, out, fmt: str, query: dict) -> None:
    """Write the report asked for by `query` as `user` may have it now, into `out`."""
    try:
        scopes = report_scopes_for(user)
    except ReportRefused as refusal:
        raise Refused(str(refusal)) from None
    if fmt not in CONTENT_TYPES or not may_export(user, fmt):
        raise Refused(_("This export of the report is not available to you."))
    try:
        scope = resolve_scope(scopes, query)
    except Http404:
        raise Refused(_("You may no longer report on this scope.")) from None
    try:
        start, end = report_period(query, scopes, scope)
    except BadPeriod as error:
        raise Refused(str(error)) from None
    mask = must_mask(user)

    def read(source):  # on the replica where there is one (DATABASE_REPLICA_URL)
        result = build_report(start, end, scope, with_referrals=True)
        return render_report(result, fmt, mask=mask, data_note=source.note())

    out.write(read_from_replica(read))
