"""Reads of section B for the case page: score history, table and chart (constant queries)."""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crocevia.cases.access import can_read_health, read_under_agreement
from crocevia.cases.models import Case, NeedClass, Stage

from .models import Assessment, Dimension, DimensionScore


def score_history(case: Case) -> dict[str, list[tuple]]:
    """{dimension: [(date, score), ...]} in assessment order (one query)."""
    history: dict[str, list[tuple]] = {d.value: [] for d in Dimension}
    rows = (
        DimensionScore.objects.filter(assessment__case=case)
        .order_by("assessment__assessed_on", "assessment_id")
        .values_list("dimension", "assessment__assessed_on", "score")
    )
    for dimension, day, score in rows:
        history.setdefault(dimension, []).append((day, score))
    return history


# --- the chart: eight small panels, one per dimension, scores 1–5 over the assessments ---

PANEL_W, PANEL_H = 150, 90  # one panel, in SVG user units
PLOT_LEFT, PLOT_TOP, PLOT_W, PLOT_H = 22, 22, 118, 52
COLUMNS = 4


@dataclass
class Panel:
    label: str
    x: int
    y: int
    points: list[tuple[float, float, int]] = field(default_factory=list)  # (x, y, score)
    gridlines: list[tuple[float, int]] = field(default_factory=list)  # (y, score)

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _s in self.points)


def _chart(assessments: list[Assessment], rows: list[dict]) -> dict:
    n = len(assessments)
    panels = []
    for index, row in enumerate(rows):
        panel = Panel(
            label=row["label"],
            x=(index % COLUMNS) * PANEL_W,
            y=(index // COLUMNS) * PANEL_H,
        )
        panel.gridlines = [
            (PLOT_TOP + PLOT_H - (score - 1) * PLOT_H / 4, score) for score in range(1, 6)
        ]
        for i, cell in enumerate(row["cells"]):
            if cell is None:
                continue
            x = PLOT_LEFT + (PLOT_W / 2 if n == 1 else i * PLOT_W / (n - 1))
            y = PLOT_TOP + PLOT_H - (cell.score - 1) * PLOT_H / 4
            panel.points.append((x, y, cell.score))
        panels.append(panel)
    height = ((len(rows) + COLUMNS - 1) // COLUMNS) * PANEL_H
    return {"panels": panels, "width": COLUMNS * PANEL_W, "height": height}


def case_section_context(user, case: Case) -> dict:
    """What templates/assessments/_case_section.html needs: at most 3 queries.

    Health-dimension notes are replaced by ``None`` (shown as "restricted") unless the
    user may read health information; the score itself stays visible.
    """
    assessments = list(
        Assessment.objects.filter(case=case)
        .select_related("assessed_by")
        .prefetch_related(Prefetch("scores", queryset=DimensionScore.objects.order_by("id")))
        .order_by("assessed_on", "id")
    )
    health_ok = can_read_health(user, case) if assessments else False
    rows = []
    for dimension in Dimension:
        cells = []
        for assessment in assessments:
            score = next((s for s in assessment.scores.all() if s.dimension == dimension), None)
            if score is not None and dimension == Dimension.HEALTH and not health_ok:
                score.notes = None  # the template says "restricted"
            cells.append(score)
        rows.append(
            {
                "dimension": dimension.value,
                "label": dimension.label,
                "cells": cells,
                "restricted": dimension == Dimension.HEALTH and not health_ok,
            }
        )
    chart = _chart(assessments, rows) if assessments else None
    dates = ", ".join(date_format(a.assessed_on, "SHORT_DATE_FORMAT") for a in assessments)
    complex_waiting = case.need_class == NeedClass.COMPLEX and case.stage == Stage.TEAM_FORMED
    shared = read_under_agreement(user, case)  # read under an agreement: read only
    return {
        "assessments": assessments,
        "assessment_rows": rows,
        "assessment_chart": chart,
        "assessment_chart_desc": _(
            "Scores from 1 to 5 for each dimension at the assessments of %(dates)s; "
            "the table gives the same values."
        )
        % {"dates": dates},
        "can_read_health": health_ok,
        "assessment_due": complex_waiting and not shared,
        "can_assess": not shared
        and not case.is_closed
        and case.stage != Stage.REFERRED
        and not (case.need_class == NeedClass.COMPLEX and case.stage == Stage.PREASSESSED),
    }
