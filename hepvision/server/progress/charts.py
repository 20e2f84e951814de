"""The report's charts, drawn server-side as vector graphics (ReportLab drawings).

A time chart plots values per local day: lines (and dots while they are few) for the series,
shaded bands (normal range), and horizontal reference lines (target, cap, pain stop), with
a legend above. The adherence calendar is one square per day, weeks as columns (Monday on
top), coloured by reps done against prescribed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.colors import Color

FONT = "Helvetica"
INK = colors.HexColor("#222222")
GRID = colors.HexColor("#dddddd")
LEVEL_COLOURS = {"full": colors.HexColor("#2e7d32"), "part": colors.HexColor("#f2b233"),
                 "miss": colors.HexColor("#d9534f"), "none": colors.HexColor("#e6e6e6"),
                 "extra": colors.HexColor("#5b8fd9")}
LEVEL_LABELS = {"full": "all prescribed reps", "part": "some", "miss": "none done",
                "none": "nothing prescribed", "extra": "done, not prescribed"}
#: Dots are drawn on a series only up to this many points.
MAX_DOTS = 90


def _rect(x: float, y: float, w: float, h: float, fill: Color | None,
          stroke: Color | None = None, stroke_width: float = 0.5) -> Rect:
    """A rectangle (set through attributes: the stubs type Rect's keywords wrongly)."""
    r = Rect(x, y, w, h)
    r.fillColor = fill
    r.strokeColor = stroke
    r.strokeWidth = stroke_width
    return r


def _line(x1: float, y1: float, x2: float, y2: float, colour: Color, width: float,
          dash: Sequence[float] | None = None) -> Line:
    line = Line(x1, y1, x2, y2, strokeColor=colour, strokeWidth=width)
    if dash is not None:
        line.strokeDashArray = dash
    return line


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    days: Sequence[date]
    values: Sequence[float | None]
    colour: Color
    width: float = 1.6
    dash: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Band:
    label: str
    low: float
    high: float
    colour: Color


@dataclass(frozen=True, slots=True)
class RefLine:
    label: str
    value: float
    colour: Color
    dash: tuple[float, float] = (4, 3)


@dataclass
class TimeChart:
    """A chart of values per day between ``start`` and ``end``."""

    start: date
    end: date
    unit: str
    series: list[Series] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    refs: list[RefLine] = field(default_factory=list)
    y_min: float | None = None
    y_max: float | None = None


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values covering ``lo``..``hi`` (steps of 1, 2 or 5 times a power of 10)."""
    span = max(hi - lo, 1e-9)
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    return [first + i * step for i in range(int(math.ceil((hi - first) / step)) + 1)]


def _y_range(chart: TimeChart) -> tuple[float, float]:
    values = [v for s in chart.series for v in s.values if v is not None]
    values += [b.low for b in chart.bands] + [b.high for b in chart.bands]
    values += [r.value for r in chart.refs]
    lo = chart.y_min if chart.y_min is not None else (min(values) if values else 0.0)
    hi = chart.y_max if chart.y_max is not None else (max(values) if values else 1.0)
    if chart.y_min is None:
        lo -= 0.05 * max(hi - lo, 10.0)
    if chart.y_max is None:
        hi += 0.05 * max(hi - lo, 10.0)
    ticks = nice_ticks(lo, hi)
    return (ticks[0] if chart.y_min is None else lo), (ticks[-1] if chart.y_max is None else hi)


def _x_ticks(start: date, end: date) -> list[date]:
    days = (end - start).days
    if days <= 14:
        return [start + timedelta(days=k) for k in range(0, days + 1, 2)]
    if days <= 100:
        first = start + timedelta(days=(7 - start.weekday()) % 7)  # Mondays
        step = 7 if days <= 60 else 14
        return [first + timedelta(days=k) for k in range(0, (end - first).days + 1, step)]
    out, d = [], date(start.year, start.month, 1)
    while d <= end:
        if d >= start:
            out.append(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def _legend(d: Drawing, chart: TimeChart, x: float, y: float) -> None:
    items: list[tuple[str, Color, str]] = [(s.label, s.colour, "line") for s in chart.series]
    items += [(b.label, b.colour, "band") for b in chart.bands]
    items += [(r.label, r.colour, "ref") for r in chart.refs]
    for label, colour, kind in items:
        if kind == "band":
            d.add(_rect(x, y - 1, 14, 7, colour))
        else:
            d.add(_line(x, y + 2.5, x + 14, y + 2.5, colour, 1.6,
                        (3, 2) if kind == "ref" else None))
        d.add(String(x + 18, y, label, fontName=FONT, fontSize=7.5, fillColor=INK))
        x += 26 + 4.2 * len(label)


def draw_time_chart(chart: TimeChart, width: float, height: float) -> Drawing:
    """``chart`` as a drawing of ``width`` x ``height`` points."""
    d = Drawing(width, height)
    left, right, bottom, top = 36.0, width - 8.0, 18.0, height - 16.0
    lo, hi = _y_range(chart)
    span_days = max((chart.end - chart.start).days, 1)

    def px(day: date) -> float:
        return left + (right - left) * (day - chart.start).days / span_days

    def py(v: float) -> float:
        return bottom + (top - bottom) * (min(max(v, lo), hi) - lo) / (hi - lo or 1.0)

    for b in chart.bands:
        d.add(_rect(left, py(b.low) - 0.6, right - left, max(py(b.high) - py(b.low), 1.2),
                    b.colour))
    for t in nice_ticks(lo, hi):
        if lo <= t <= hi:
            d.add(_line(left, py(t), right, py(t), GRID, 0.5))
            d.add(String(left - 4, py(t) - 2.5, f"{t:g}", fontName=FONT, fontSize=7,
                         textAnchor="end", fillColor=INK))
    for day in _x_ticks(chart.start, chart.end):
        d.add(_line(px(day), bottom, px(day), bottom - 3, INK, 0.5))
        d.add(String(px(day), bottom - 11, day.strftime("%d %b"), fontName=FONT, fontSize=7,
                     textAnchor="middle", fillColor=INK))
    d.add(_rect(left, bottom, right - left, top - bottom, None, INK, 0.6))
    for r in chart.refs:
        d.add(_line(left, py(r.value), right, py(r.value), r.colour, 1.1, r.dash))
    for s in chart.series:
        _draw_series(d, s, px, py)
    d.add(String(4, top + 5, chart.unit, fontName=FONT, fontSize=7, fillColor=INK))
    _legend(d, chart, left + 22, top + 5)
    return d


def _draw_series(d: Drawing, s: Series, px: Callable[[date], float],
                 py: Callable[[float], float]) -> None:
    points = [(px(day), py(v)) for day, v in zip(s.days, s.values) if v is not None]
    if len(points) > 1:
        line = PolyLine([c for p in points for c in p], strokeColor=s.colour,
                        strokeWidth=s.width)
        if s.dash is not None:
            line.strokeDashArray = s.dash
        d.add(line)
    if len(points) <= MAX_DOTS:
        for x, y in points:
            d.add(Circle(x, y, 1.8, fillColor=s.colour, strokeColor=None))


def draw_calendar(levels: Sequence[tuple[date, str]], width: float) -> Drawing:
    """Days as squares, a column per week (Monday on top), months labelled; a legend below."""
    first = levels[0][0] - timedelta(days=levels[0][0].weekday())
    weeks = (levels[-1][0] - first).days // 7 + 1
    left, gap = 26.0, 1.2
    cell = min(16.0, (width - left - 4) / weeks - gap)
    grid_h = 7 * (cell + gap)
    height = grid_h + 34
    d = Drawing(width, height)
    top = height - 12
    for i, name in ((0, "Mon"), (3, "Thu"), (6, "Sun")):
        d.add(String(left - 4, top - (i + 1) * (cell + gap) + cell * 0.25, name,
                     fontName=FONT, fontSize=6.5, textAnchor="end", fillColor=INK))
    last_month = None
    for day, level in levels:
        col, row = (day - first).days // 7, day.weekday()
        x, y = left + col * (cell + gap), top - (row + 1) * (cell + gap)
        d.add(_rect(x, y, cell, cell, LEVEL_COLOURS[level]))
        if cell >= 12:
            d.add(String(x + cell / 2, y + cell / 2 - 2.3, str(day.day), fontName=FONT,
                         fontSize=6.5, textAnchor="middle",
                         fillColor=INK if level in ("none", "part") else colors.white))
        if (day.month, day.year) != last_month and (day.day <= 7 or last_month is None):
            d.add(String(x, top + 2, day.strftime("%b"), fontName=FONT, fontSize=7,
                         fillColor=INK))
            last_month = (day.month, day.year)
    x = left
    for level in ("full", "part", "miss", "none", "extra"):
        d.add(_rect(x, 4, 8, 8, LEVEL_COLOURS[level]))
        d.add(String(x + 11, 5, LEVEL_LABELS[level], fontName=FONT, fontSize=7,
                     fillColor=INK))
        x += 22 + 4.0 * len(LEVEL_LABELS[level])
    return d
