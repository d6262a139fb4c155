"""The report's PDF: title block, every table with the page's cell texts, the charts,
masking, page numbers, and table headers repeated on every page a table spans."""

import copy
import io
import re

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from pypdf import PdfReader

from crocevia.reporting.charts import draw_sections
from crocevia.reporting.indicators import Scope, build_report
from crocevia.reporting.pdf import report_html, report_pdf
from crocevia.reporting.tables import report_sections

from .conftest import END, START

pytestmark = pytest.mark.django_db


def it(msgid: str) -> str:
    with translation.override("it"):
        return gettext(msgid)


def pages_text(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_pdf_holds_the_title_block_and_every_cell_of_every_table(net):
    report = build_report(START, END, Scope(organisation=net.a.sds))
    data = report_pdf(report, mask=False)
    assert data.startswith(b"%PDF")
    pages = pages_text(data)
    text = " ".join(pages)
    assert f"Crocevia – {it('Monitoring')}" in text
    assert "SdS Zona Pisana" in text
    assert "01/01/2025" in text and "31/12/2025" in text
    assert timezone.localdate().strftime("%d/%m/%Y") in text
    with translation.override("it"):
        sections = draw_sections(report_sections(report, mask=False))
    for section in sections:
        assert section.section.title in text
        for drawn in section.tables:
            # Each row's cells, in order, on one line of the PDF (labels may wrap: the
            # numbers after them may not).
            for row in drawn.rows:
                cells = " ".join(cell.text for cell in row.cells)
                assert cells in text, (drawn.anchor, row.label, cells)
    assert "€ 1.000,00 € 250,50 25,1 %" in text  # P1/A1: budget, spent, % spent
    assert "15 3 20,0 %" in text  # the SdS target
    # Page numbers in the footer.
    assert f"{it('Page')} 1 / {len(pages)}" in pages[0]
    assert f"{it('Page')} {len(pages)} / {len(pages)}" in pages[-1]


def test_pdf_draws_the_charts_as_svg(net):
    report = build_report(START, END, Scope(zone=net.a.zone))
    html = report_html(report, mask=False)
    for chart_id in ("chart-desk-services", "chart-cases-wd", "chart-budget-by-action"):
        assert f'aria-labelledby="{chart_id}"' in html
    assert html.count("<svg ") >= 10
    # The range chart's figures are written out in the PDF too.
    text = " ".join(pages_text(report_pdf(report, mask=False)))
    minimum = it("minimum %(min)s · median %(median)s · maximum %(max)s (%(n)s cases)")
    assert minimum % {"min": "0", "median": "5,0", "max": "11", "n": "4"} in text


def test_masked_pdf_shows_less_than_three_and_explains_it(net):
    report = build_report(START, END, Scope(zone=net.a.zone))
    masked = " ".join(pages_text(report_pdf(report, mask=True)))
    plain = " ".join(pages_text(report_pdf(report, mask=False)))
    # Senegal has one person: out of the masked top list, and its group "<3".
    assert "Senegal (SN)" not in masked and "Paesi extra UE e apolidi <3" in masked
    assert "Senegal (SN) 1" in plain and "Paesi extra UE e apolidi 1" in plain
    note = it(
        "“%(shown)s” means fewer than %(n)s persons: small counts by citizenship are not "
        "shown, so that nobody can be recognised from them."
    ) % {"shown": "<3", "n": 3}
    assert " ".join(note.split()) in masked
    assert note.split(":")[0] not in plain


def test_a_table_over_several_pages_repeats_its_header(net):
    report = build_report(START, END, Scope(zone=net.a.zone))
    report = copy.deepcopy(report)
    comuni = report["indicators"]["benefit.applications_by_comune"]
    total = comuni.pop("TOTAL")
    row = {"accepted": 1, "lapsed": 0, "suspended": 0, "processing": 0, "rejected": 0, "total": 1}
    for i in range(120):
        comuni[f"Comune di prova {i:03d}"] = dict(row)
    comuni["TOTAL"] = total
    pages = pages_text(report_pdf(report, mask=False))
    spanned = [p for p in pages if re.search(r"Comune di prova \d{3} 1 0 0 0 0 1", p)]
    assert len(spanned) >= 2
    header = it("Comune")
    for page in spanned:
        # The column header row (Comune, the statuses, Total) opens the table on each page.
        assert re.search(re.escape(header) + r" \S+", page), page[:200]
        assert page.index(header) < page.index("Comune di prova")
    # So many Comuni are not drawn as bars: the table is enough.
    assert "Comune di prova 000 1 Comune di prova 001" not in " ".join(pages)
