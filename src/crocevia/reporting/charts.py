"""The report's tables and charts, drawn for the page and the PDF.

`draw_sections(sections)` turns the Sections of `tables.report_sections` into what the
templates print: every cell as the text of `tables.format_cell`, and, for a table with a
`chart`, a server-rendered SVG chart (shapes with presentation attributes only: the
page's CSP forbids inline styles, and WeasyPrint draws the same SVG in the PDF). The
numbers of a chart are the table's own cells: the table is the chart's text alternative.

Kinds (Table.chart): "bar" one bar per row; "range" min–max bar with the median marked
(working days); "progress" achieved against target (100 %); "budget" budget and spent.
A masked cell ("<3") is written, never drawn as a bar.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from .tables import COUNT, PCT, TEXT, Masked, Section, Table, format_cell

# Geometry of the SVG, in user units (the SVG scales to its column).
WIDTH = 460
LABEL_RIGHT = 150  # labels end here (right-aligned)
BAR_X = 158  # bars start here
BAR_MAX = 220  # the longest bar
FONT = 12
SMALL = 11
LABEL_CHARS = 20  # at FONT, fits LABEL_RIGHT in the widest font (DejaVu Sans, PDF)
# A bar chart of more rows than this is not drawn: nobody looks at 270 Comuni as bars;
# the table (sortable in the XLSX) says it better.
MAX_BARS = 30

INK = "#1a1a1a"
MUTED = "#5c6f82"
PRIMARY = "#0066cc"
LIGHT = "#d9e8f6"


@dataclass
class Shape:
    """One SVG element: kind "rect", "line" or "text"; coordinates already formatted."""

    kind: str
    x: str = "0"
    y: str = "0"
    w: str = "0"
    h: str = "0"
    x2: str = "0"
    y2: str = "0"
    text: str = ""
    fill: str = INK
    stroke: str = ""
    stroke_width: str = "1"
    dash: str = ""
    anchor: str = "start"
    bold: bool = False
    size: int = FONT


@dataclass
class Chart:
    id: str
    kind: str
    title: str
    width: int
    height: int
    shapes: list[Shape]
    how_to_read: str = ""


@dataclass
class DrawnCell:
    text: str
    numeric: bool


@dataclass
class DrawnRow:
    label: str
    cells: list[DrawnCell]
    total: bool = False


@dataclass
class DrawnTable:
    table: Table
    headers: list[DrawnCell]
    rows: list[DrawnRow]
    chart: Chart | None = None

    @property
    def anchor(self) -> str:
        return self.table.anchor


@dataclass
class DrawnSection:
    section: Section
    tables: list[DrawnTable] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "s-" + self.section.key


def _n(value) -> str:
    """A coordinate for an SVG attribute: never localised (no decimal comma)."""
    return f"{float(value):.1f}".removesuffix(".0")


def _number(value):
    """A cell as a number to draw, or None (null, masked, text)."""
    if value is None or isinstance(value, Masked | str | bool):
        return None
    return value if isinstance(value, int | Decimal) else None


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(x, y, text, *, anchor="start", bold=False, size=FONT, fill=INK) -> Shape:
    return Shape(
        "text", x=_n(x), y=_n(y), text=str(text), anchor=anchor, bold=bold, size=size, fill=fill
    )


def _rect(x, y, w, h, *, fill=PRIMARY, stroke="") -> Shape:
    return Shape("rect", x=_n(x), y=_n(y), w=_n(max(w, 0)), h=_n(h), fill=fill, stroke=stroke)


def _line(x, y, x2, y2, *, stroke=MUTED, width="1", dash="") -> Shape:
    return Shape(
        "line", x=_n(x), y=_n(y), x2=_n(x2), y2=_n(y2), stroke=stroke, stroke_width=width, dash=dash
    )


def _data_rows(table: Table) -> list[list]:
    """The rows a chart draws: a last total row is left out."""
    rows = table.rows
    if rows and table.total_label is not None and rows[-1][0] == table.total_label:
        rows = rows[:-1]
    return rows


def _scale(values, floor=1) -> float:
    numbers = [float(v) for v in values if _number(v) is not None]
    return max([floor, *numbers])


def _chart_id(table: Table) -> str:
    return "chart-" + table.anchor.removeprefix("t-")


# --- the kinds of chart ----------------------------------------------------------------------


def bar_chart(table: Table) -> Chart | None:
    rows = _data_rows(table)
    if not rows or len(rows) > MAX_BARS:
        return None
    column = table.chart_column
    kind = table.columns[column].kind
    scale = _scale(row[column] for row in rows)
    row_h, top = 28, 6
    shapes = []
    for i, row in enumerate(rows):
        y = top + i * row_h
        middle = y + row_h / 2 + 4.5
        shapes.append(_text(LABEL_RIGHT, middle, _short(row[0]), anchor="end"))
        value = row[column]
        number = _number(value)
        text = format_cell(value, kind)
        if number is None:
            # Masked or null: the text alone, no bar.
            shapes.append(_text(BAR_X + 6, middle, text, bold=isinstance(value, Masked)))
            continue
        width = BAR_MAX * float(number) / scale
        shapes.append(_rect(BAR_X, y + 6, width, row_h - 12))
        shapes.append(_text(BAR_X + width + 6, middle, text))
    height = top + len(rows) * row_h + 6
    shapes.append(_line(BAR_X, top, BAR_X, height - 4, stroke=INK))
    return Chart(_chart_id(table), "bar", table.title, WIDTH, height, shapes)


def range_chart(table: Table) -> Chart | None:
    """Working-day statistics: a bar from the minimum to the maximum, the median marked."""
    rows = table.rows
    if not rows:
        return None
    left, track = 10, WIDTH - 40
    scale = _scale(row[5] for row in rows)
    row_h, top = 66, 4
    shapes = []
    for i, row in enumerate(rows):
        label, n, low, median, _mean, high = row[:6]
        y = top + i * row_h
        shapes.append(_text(left, y + 14, _short(label, 60), bold=True))
        if not n or _number(low) is None or _number(high) is None:
            shapes.append(_text(left, y + 38, _("No case in the period.")))
            continue
        x_low = left + track * float(low) / scale
        x_high = left + track * float(high) / scale
        shapes.append(_rect(x_low, y + 22, max(x_high - x_low, 3), 14, fill=LIGHT, stroke=PRIMARY))
        if _number(median) is not None:
            x_median = left + track * float(median) / scale
            shapes.append(_line(x_median, y + 18, x_median, y + 40, stroke=INK, width="3"))
        shapes.append(
            _text(
                left,
                y + 56,
                _("minimum %(min)s · median %(median)s · maximum %(max)s (%(n)s cases)")
                % {
                    "min": format_cell(low, COUNT),
                    "median": format_cell(median, table.columns[3].kind),
                    "max": format_cell(high, COUNT),
                    "n": format_cell(n, COUNT),
                },
                size=SMALL,
            )
        )
    axis_y = top + len(rows) * row_h + 6
    shapes.append(_line(left, axis_y, left + track, axis_y, stroke=INK))
    shapes.append(_line(left, axis_y, left, axis_y + 5, stroke=INK))
    shapes.append(_line(left + track, axis_y, left + track, axis_y + 5, stroke=INK))
    shapes.append(_text(left, axis_y + 19, "0", size=SMALL))
    shapes.append(
        _text(
            left + track,
            axis_y + 19,
            _("%(n)s working days") % {"n": format_cell(int(scale), COUNT)},
            anchor="end",
            size=SMALL,
        )
    )
    return Chart(
        _chart_id(table),
        "range",
        table.title,
        WIDTH,
        axis_y + 26,
        shapes,
        how_to_read=_(
            "The bar goes from the minimum to the maximum; the thick line is the median."
        ),
    )


def progress_chart(table: Table) -> Chart | None:
    """Targets: the share achieved, against a dashed line at 100 %."""
    rows = table.rows
    if not rows:
        return None
    scale = _scale((row[3] for row in rows), floor=100)
    row_h, top = 28, 22
    target_x = BAR_X + BAR_MAX * 100 / scale
    shapes = [_text(target_x, 14, _("target"), anchor="middle", size=SMALL)]
    for i, row in enumerate(rows):
        label, target, achieved, pct = row[:4]
        y = top + i * row_h
        middle = y + row_h / 2 + 4.5
        shapes.append(_text(LABEL_RIGHT, middle, _short(label), anchor="end"))
        text = _("%(achieved)s of %(target)s (%(pct)s)") % {
            "achieved": format_cell(achieved, COUNT),
            "target": format_cell(target, COUNT),
            "pct": format_cell(pct, PCT),
        }
        if _number(pct) is None:
            shapes.append(_text(BAR_X + 6, middle, text))
            continue
        width = BAR_MAX * float(pct) / scale
        shapes.append(_rect(BAR_X, y + 6, width, row_h - 12))
        shapes.append(_text(max(BAR_X + width, target_x) + 6, middle, text, size=SMALL))
    bottom = top + len(rows) * row_h
    shapes.append(_line(BAR_X, top, BAR_X, bottom, stroke=INK))
    shapes.append(_line(target_x, 18, target_x, bottom, stroke=INK, dash="4 3"))
    return Chart(
        _chart_id(table),
        "progress",
        table.title,
        WIDTH + 40,
        bottom + 6,
        shapes,
        how_to_read=_("Bars: share of the target achieved; dashed line: the target (100 %)."),
    )


def budget_chart(table: Table) -> Chart | None:
    """Budget (outlined bar) and spent (solid bar) per action, on one scale."""
    rows = table.rows
    if not rows:
        return None
    budget_kind = table.columns[1].kind
    scale = _scale([row[1] for row in rows] + [row[2] for row in rows])
    row_h, top = 42, 26
    shapes = [
        _rect(BAR_X, 6, 14, 12, fill=LIGHT, stroke=PRIMARY),
        _text(BAR_X + 20, 16, _("Budget"), size=SMALL),
        _rect(BAR_X + 90, 6, 14, 12),
        _text(BAR_X + 110, 16, _("Spent"), size=SMALL),
    ]
    for i, row in enumerate(rows):
        label, budget, spent, pct = row[:4]
        y = top + i * row_h
        shapes.append(_text(LABEL_RIGHT, y + row_h / 2 + 4.5, _short(label), anchor="end"))
        end = BAR_X
        for offset, value, solid in ((5, budget, False), (21, spent, True)):
            number = _number(value)
            if number is None:
                continue
            width = BAR_MAX * float(number) / scale
            end = max(end, BAR_X + width)
            if solid:
                shapes.append(_rect(BAR_X, y + offset, width, 12))
            else:
                shapes.append(_rect(BAR_X, y + offset, width, 12, fill=LIGHT, stroke=PRIMARY))
        shapes.append(
            _text(
                end + 6,
                y + row_h / 2 + 4.5,
                _("%(pct)s spent") % {"pct": format_cell(pct, PCT)},
                size=SMALL,
            )
        )
    bottom = top + len(rows) * row_h
    shapes.append(_line(BAR_X, top, BAR_X, bottom, stroke=INK))
    shapes.append(
        _text(
            BAR_X + BAR_MAX,
            bottom + 16,
            format_cell(int(round(scale)), budget_kind),
            anchor="end",
            size=SMALL,
            fill=MUTED,
        )
    )
    return Chart(_chart_id(table), "budget", table.title, WIDTH + 40, bottom + 22, shapes)


CHARTS = {
    "bar": bar_chart,
    "range": range_chart,
    "progress": progress_chart,
    "budget": budget_chart,
}


def chart_for(table: Table) -> Chart | None:
    draw = CHARTS.get(table.chart or "")
    return draw(table) if draw else None


# --- tables ----------------------------------------------------------------------------------


def draw_table(table: Table, *, charts: bool = True) -> DrawnTable:
    headers = [DrawnCell(c.label, c.kind != TEXT) for c in table.columns]
    data_rows = _data_rows(table)
    rows = []
    for index, row in enumerate(table.rows):
        cells = [
            DrawnCell(format_cell(value, column.kind), column.kind != TEXT)
            for value, column in zip(row[1:], table.columns[1:], strict=True)
        ]
        rows.append(
            DrawnRow(
                label=format_cell(row[0], table.columns[0].kind),
                cells=cells,
                total=index >= len(data_rows),
            )
        )
    return DrawnTable(table, headers, rows, chart_for(table) if charts else None)


def draw_sections(sections: list[Section], *, charts: bool = True) -> list[DrawnSection]:
    return [
        DrawnSection(section, [draw_table(t, charts=charts) for t in section.tables])
        for section in sections
    ]


def any_masked(sections: list[Section]) -> bool:
    return any(table.masked for section in sections for table in section.tables)
