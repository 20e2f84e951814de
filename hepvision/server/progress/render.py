"""The progress report as a PDF (ReportLab): text, tables and the charts of :mod:`.charts`.

Sections: the patient and period, a summary, the program and its versions, ROM per exercise,
joint and side against target and normal range, the adherence calendar with a month table,
pain, form findings, the therapist's comment, and what the measurements can and cannot say.
Fonts are PDF base fonts (nothing to install); every number is printed as text too, so the
report reads without the charts and can be checked by text extraction.
"""

from __future__ import annotations

import io
from functools import partial
from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from hepvision import __version__
from hepvision.server.progress.charts import (
    Band,
    RefLine,
    Series,
    TimeChart,
    draw_calendar,
    draw_time_chart,
)
from hepvision.server.progress.content import (
    CalendarDay,
    PainEntry,
    ProgressReport,
    RomSeries,
    exercise_name,
    mean_or_none,
)
from hepvision.server.schemas import PrescribedExercise

MARGIN = 54.0
WIDTH = letter[0] - 2 * MARGIN
_SHEET = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_SHEET["BodyText"], fontSize=9.5, leading=12.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11)
H1 = ParagraphStyle("h1", parent=_SHEET["Title"], fontSize=18, leading=22, alignment=0,
                    spaceAfter=4)
H2 = ParagraphStyle("h2", parent=_SHEET["Heading2"], fontSize=13, leading=16, spaceBefore=10,
                    spaceAfter=4, textColor=colors.HexColor("#1f3d6b"), keepWithNext=1)
H3 = ParagraphStyle("h3", parent=_SHEET["Heading3"], fontSize=10.5, leading=13, spaceBefore=6,
                    spaceAfter=2, keepWithNext=1)
#: Above this many rated sessions the pain chart shows weekly means.
PAIN_POINTS_MAX = 60
TABLE_STYLE = TableStyle([
    ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#8899aa")),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#dddddd")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])
BEST = colors.HexColor("#1f5fa8")
MEDIAN = colors.HexColor("#8fb3dd")
TARGET = colors.HexColor("#2e7d32")
CAP = colors.HexColor("#c62828")
NORMAL = colors.HexColor("#d8ecd8")
BEFORE = colors.HexColor("#1f5fa8")
AFTER = colors.HexColor("#e07b00")


def deg(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}°"


def fmt(v: float) -> str:
    return f"{v:g}" if float(v).is_integer() else f"{v:.1f}"


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(text, style)


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle(TABLE_STYLE)
    return t


def _header(r: ProgressReport) -> list[Flowable]:
    rows = [["Patient", escape(r.patient_name)],
            ["Record", escape(r.external_ref or "–")],
            ["Period", f"{r.start} to {r.end} ({(r.end - r.start).days + 1} days, "
                       f"time zone {escape(r.timezone)})"],
            ["Therapist", escape(r.therapist)],
            ["Generated", r.generated_at.strftime("%Y-%m-%d %H:%M UTC")]]
    t = Table([[_p(f"<b>{k}</b>", SMALL), _p(v, SMALL)] for k, v in rows],
              colWidths=[70, WIDTH - 70], hAlign="LEFT")
    t.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 1),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return [_p("Progress report", H1), t]


def rom_summary(s: RomSeries) -> str:
    """One line of numbers for a ROM series (the summary and the chart caption)."""
    text = (f"{len(s.days)} sessions; best ROM first {deg(s.best_deg[0])}, "
            f"last {deg(s.best_deg[-1])}, highest {deg(max(s.best_deg))}")
    if s.target_deg is not None:
        text += f"; target {fmt(s.target_deg)}°"
    if s.cap_deg is not None:
        text += f"; cap {fmt(s.cap_deg)}°"
    if s.normal is not None:
        n = s.normal
        text += (f"; normal {fmt(n.low_deg)}°" if n.low_deg == n.high_deg
                 else f"; normal {fmt(n.low_deg)}–{fmt(n.high_deg)}°")
    return text


def _summary(r: ProgressReport) -> list[Flowable]:
    pct = r.adherence_pct
    lines = [f"Sessions: {r.sessions} on {r.session_days} days of "
             f"{(r.end - r.start).days + 1}."]
    lines.append("Adherence: no exercise was prescribed in this period." if pct is None else
                 f"Adherence: {pct:.1f} % (reps done {r.reps_done} of "
                 f"{fmt(r.reps_prescribed)} prescribed).")
    lines += [f"{escape(s.title)}: {rom_summary(s)}." for s in r.rom]
    lines.append(pain_summary(r))
    t = r.severity_totals
    lines.append(f"Form findings: {t['stop']} stop, {t['caution']} caution, {t['info']} info.")
    return [_p("Summary", H2), *(_p(f"• {line}") for line in lines)]


def pain_summary(r: ProgressReport) -> str:
    if not r.pain:
        return "Pain: no ratings in this period."
    first, last = r.pain[:7], r.pain[-7:]
    worst = max(max(p for p in (e.before, e.after) if p is not None) for e in r.pain)
    b0, b1 = mean_or_none([e.before for e in first]), mean_or_none([e.before for e in last])
    text = f"Pain (0-10): {len(r.pain)} sessions rated; highest {worst}/10 (stop {r.pain_stop_nrs})"
    if b0 is not None and b1 is not None:
        text += f"; mean before the first 7 sessions {b0:.1f}, the last 7 {b1:.1f}"
    return text + "."


def exercise_line(ex: PrescribedExercise) -> str:
    side = f" ({ex.side})" if ex.side else ""
    hold = f", hold {fmt(ex.hold_s)} s" if ex.hold_s else ""
    o = ex.overrides
    extra = [f"target {fmt(o.target_rom_deg)}°" if o.target_rom_deg is not None else "",
             f"cap {fmt(o.max_rom_deg)}°" if o.max_rom_deg is not None else "",
             f"pain stop {o.pain_stop_nrs}" if o.pain_stop_nrs is not None else ""]
    tail = "; ".join(x for x in extra if x)
    return (f"{escape(exercise_name(ex.exercise_id))}{side}: {ex.sets} × {ex.reps}{hold}, "
            f"{ex.sessions_per_day}×/day, {ex.days_per_week} days/week"
            + (f"; {tail}" if tail else ""))


def _program(r: ProgressReport) -> list[Flowable]:
    out: list[Flowable] = [_p("Program", H2)]
    if not r.versions:
        return out + [_p("No prescription was in force in this period.")]
    rows: list[list[Any]] = [["Version", "In force", "Exercises", "Precautions and notes"]]
    for v in r.versions:
        until = str(v.in_force_to) if v.in_force_to else "now"
        notes = [escape(x) for x in v.precautions] + ([escape(v.notes)] if v.notes else [])
        rows.append([str(v.version), _p(f"{v.in_force_from} to {until}", SMALL),
                     _p("<br/>".join(exercise_line(e) for e in v.exercises), SMALL),
                     _p("<br/>".join(notes) or "–", SMALL)])
    return out + [_table(rows, [42, 80, 250, WIDTH - 372])]


def _rom_chart(r: ProgressReport, s: RomSeries) -> Flowable:
    chart = TimeChart(r.start, r.end, "deg", series=[
        Series("best per session", s.days, s.best_deg, BEST),
        Series("median per session", s.days, s.median_deg, MEDIAN, width=1.0)])
    if s.normal is not None:
        chart.bands.append(Band("normal range", s.normal.low_deg, s.normal.high_deg, NORMAL))
    if s.target_deg is not None:
        chart.refs.append(RefLine("target", s.target_deg, TARGET))
    if s.cap_deg is not None:
        chart.refs.append(RefLine("cap", s.cap_deg, CAP))
    return KeepTogether([_p(escape(s.title), H3), draw_time_chart(chart, WIDTH, 165),
                         _p(rom_summary(s) + ".", SMALL)])


def _rom(r: ProgressReport) -> list[Flowable]:
    out: list[Flowable] = [_p("Range of motion", H2), _p(
        "Best and median peak ROM per session (degrees, neutral-zero) for each exercise, "
        "joint and side, against the prescribed target and the normal end range.", SMALL)]
    if not r.rom:
        return out + [_p("No measured ROM in this period.")]
    return out + [_rom_chart(r, s) for s in r.rom]


def month_rows(days: list[CalendarDay]) -> list[tuple[str, int, int, float, float | None]]:
    """(month, days with a session, reps done, reps prescribed, adherence %) per month."""
    by_month: dict[str, list[CalendarDay]] = defaultdict(list)
    for c in days:
        by_month[c.day.strftime("%Y-%m")].append(c)
    out = []
    for month, cells in by_month.items():
        done = sum(c.reps_done for c in cells if c.reps_prescribed > 0)
        due = round(sum(c.reps_prescribed for c in cells), 3)
        out.append((month, sum(1 for c in cells if c.sessions_done), done, due,
                    round(100.0 * done / due, 1) if due > 0 else None))
    return out


def _adherence(r: ProgressReport) -> list[Flowable]:
    rows: list[list[Any]] = [["Month", "Days with a session", "Reps done", "Reps prescribed",
                              "Adherence"]]
    for month, n, done, due, pct in month_rows(r.calendar):
        rows.append([month, str(n), str(done), fmt(due), "–" if pct is None else f"{pct:.1f} %"])
    return [KeepTogether([
        _p("Adherence", H2),
        _p("Each square is a day: reps done of the exercises prescribed that day against "
           "reps prescribed.", SMALL),
        draw_calendar([(c.day, c.level) for c in r.calendar], WIDTH), Spacer(1, 4)]),
        _table(rows, [80, 110, 90, 100, 80])]


def pain_series(r: ProgressReport) -> tuple[list[Series], str]:
    """Pain before and after per session, or per week (mean, on the Monday) when many."""
    if len(r.pain) <= PAIN_POINTS_MAX:
        days = [e.day for e in r.pain]
        return [Series("after", days, [e.after for e in r.pain], AFTER, width=2.8),
                Series("before", days, [e.before for e in r.pain], BEFORE, width=1.3)], \
            "per session"
    weeks: dict[date, list[PainEntry]] = defaultdict(list)
    for e in r.pain:
        weeks[e.day - timedelta(days=e.day.weekday())].append(e)
    mondays = sorted(weeks)
    before = [mean_or_none([e.before for e in weeks[m]]) for m in mondays]
    after = [mean_or_none([e.after for e in weeks[m]]) for m in mondays]
    return [Series("after (weekly mean)", mondays, after, AFTER, width=2.8),
            Series("before (weekly mean)", mondays, before, BEFORE, width=1.3)], "weekly means"


def _pain(r: ProgressReport) -> list[Flowable]:
    out: list[Flowable] = [_p("Pain", H2)]
    if not r.pain:
        return out + [_p("No pain ratings in this period.")]
    series, how = pain_series(r)
    chart = TimeChart(r.start, r.end, "NRS 0-10", y_min=0, y_max=10, series=series,
                      refs=[RefLine(f"pain stop ({r.pain_stop_nrs})", r.pain_stop_nrs, CAP)])
    return [KeepTogether(out + [draw_time_chart(chart, WIDTH, 140),
                                _p(f"Chart: {how}. {pain_summary(r)}", SMALL)])]


def _findings(r: ProgressReport) -> list[Flowable]:
    out: list[Flowable] = [_p("Form findings", H2)]
    if not r.findings:
        return out + [_p("No form findings in this period.")]
    rows: list[list[Any]] = [["Exercise", "Finding", "Times", "Sessions"]]
    rows += [[escape(exercise_name(f.exercise_id)), f.rule_id.replace("_", " "), str(f.count),
              str(f.sessions)] for f in r.findings]
    return out + [_table(rows, [150, 180, 70, 70])]


def _closing(r: ProgressReport) -> list[Flowable]:
    comment = escape(r.comment).replace("\n", "<br/>") if r.comment else "No comment."
    return [_p("Therapist's comment", H2), _p(comment), _p("About these measurements", H2),
            _p("ROM is active range of motion measured from the patient's home camera by 2D pose "
               "estimation, in neutral-zero degrees; expect differences of about 5-10° from a "
               "manual goniometer, more at the shoulder. Normal ranges (Norkin &amp; White) are "
               "reference bands, not pass/fail. Days are the patient's local calendar days. "
               f"Produced by hepvision {escape(__version__)}.", SMALL)]


class _NumberedCanvas(Canvas):
    """Writes "page N of M" and the running footer once the page count is known (ReportLab's
    page-count recipe: pages are kept until ``save``)."""

    def __init__(self, *args: Any, footer: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # Canvas's own, absent from the stubs

    def save(self) -> None:
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 7.5)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawString(MARGIN, MARGIN - 24, self.footer)
            self.drawRightString(letter[0] - MARGIN, MARGIN - 24,
                                 f"page {self.getPageNumber()} of {len(self._pages)}")
            super().showPage()
        super().save()


def render_pdf(report: ProgressReport) -> bytes:
    """The report as PDF bytes."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=letter, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, author="hepvision",
                            title=f"Progress report: {report.patient_name}",
                            subject=f"{report.start} to {report.end}")
    story = (_header(report) + _summary(report) + _program(report) + _rom(report)
             + _adherence(report) + _pain(report) + _findings(report) + _closing(report))
    footer = (f"hepvision progress report · {report.patient_name} · "
              f"{report.start} to {report.end}")
    doc.build(story, canvasmaker=partial(_NumberedCanvas, footer=footer))
    return buf.getvalue()
