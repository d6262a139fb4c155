"""The list of applications as a file (CSV or XLSX), as filtered on the page: the columns
the page shows, and the reason INPS gave. Written through core.spreadsheets, so that no
text is ever a formula."""

import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.core.spreadsheets import csv_writer, write_xlsx_table

from .models import BenefitApplication

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_NAME = "domande-sostegno-reddito"


def _header() -> list[str]:
    return [
        _("Application id"),
        _("Applicant"),
        _("Comune"),
        _("Measure"),
        _("Status"),
        _("Reason given by INPS"),
        _("Application date"),
        _("Outcome date"),
        _("Case"),
        _("To follow up"),
    ]


def _row(application: BenefitApplication) -> list:
    """One application as the list (selectors.applications_listed) read it."""
    return [
        application.external_id,
        application.applicant.full_name,
        application.comune.name,
        application.get_measure_display(),
        application.get_status_display(),
        application.get_outcome_reason_display() or None,
        application.submitted_on,
        application.outcome_on,
        application.case_id,
        _("Yes") if application.to_follow_up else _("No"),
    ]


def applications_file(fmt: str, applications: list[BenefitApplication]) -> HttpResponse:
    """The file of `applications` in the format `fmt` (a key of EXPORT_TYPES)."""
    rows = [_header(), *(_row(a) for a in applications)]
    name = f"{FILE_NAME}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        text = io.StringIO()
        writer = csv_writer(text, lineterminator="\n")
        writer.writerows(rows)
        content = text.getvalue().encode()
    else:
        stream = io.BytesIO()
        write_xlsx_table(stream, _("Applications"), rows)
        content = stream.getvalue()
    response = HttpResponse(content, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
