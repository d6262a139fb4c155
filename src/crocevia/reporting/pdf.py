"""The whole monitoring report as a PDF (WeasyPrint): `report_pdf(report, mask=...)`.

The same layout as the page (`tables.report_sections` drawn by `charts.draw_sections`):
the same cell texts, the same SVG charts, a title block (scope, period, date of
production), page numbers in the footer and table headers repeated across pages
(WeasyPrint repeats a table's <thead> on every page it spans). Rendered in the site's
language (Italian) whatever the browser asks for; styles live inside the HTML (not a
browser page: no CSP applies) and use fonts installed on the system.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .charts import any_masked, draw_sections
from .tables import MASK_BELOW, MASKED, WITHHELD, any_withheld, period_label, report_sections


def report_html(report: dict, *, mask: bool, data_note: str = "") -> str:
    """The HTML given to WeasyPrint (also handy to look at in a test); `data_note`: where
    the data was read (core.dbrouter.ReadSource.note), printed at the end."""
    with translation.override(settings.LANGUAGE_CODE):
        sections = report_sections(report, mask=mask)
        return render_to_string(
            "reporting/pdf.html",
            {
                "report": report,
                "scope": report["scope"],
                "period": period_label(report),
                "sections": draw_sections(sections),
                "masked": any_masked(sections),
                "mask_below": MASK_BELOW,
                "masked_text": str(MASKED),
                "withheld": any_withheld(sections),
                "withheld_text": str(WITHHELD),
                "produced_on": timezone.localdate(),
                "data_note": data_note,
            },
        )


def report_pdf(report: dict, *, mask: bool, data_note: str = "") -> bytes:
    """The PDF of a report object of `indicators.build_report`, as bytes."""
    from weasyprint import HTML  # heavy import, only when printing

    html = report_html(report, mask=mask, data_note=data_note)
    return HTML(string=html, base_url=None).write_pdf()
