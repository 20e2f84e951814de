"""What each page shows, built from the data layer (no queries here, no HTML here).

Chart data leave as JSON (``<script type="application/json">``, read by ``dashboard.js``) and
as a table on the page (the same numbers, for screen readers, keyboard users and tests).
Times on charts are Unix seconds; days are the patient's local calendar days.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hepvision.server.data.dashboard import (
    PatientOverview,
    RomKey,
    SessionLine,
    rom_measurements,
)
from hepvision.server.data.session_checks import enrolled_day
from hepvision.server.models import Patient
from hepvision.server.schemas import AdherenceRow, PrescriptionPublic
from hepvision.server.web.clinical import normal_range
from hepvision.server.web.library import LibraryEntry

WINDOWS = {"30": 30, "90": 90, "365": 365, "all": 0}
DEFAULT_WINDOW = "90"
CALENDAR_MAX_DAYS = 366  # reports.adherence (and the API) answer at most 366 days


@dataclass(frozen=True, slots=True)
class RefLine:
    label: str
    low: float
    high: float
    kind: str  # normal | target | cap


@dataclass
class RomChart:
    """Best and median peak ROM per session for one exercise, joint angle and side."""

    key: str
    exercise_id: str
    exercise_name: str
    angle_name: str
    side: str | None
    points: list[dict[str, Any]] = field(default_factory=list)
    refs: list[RefLine] = field(default_factory=list)
    tz: str = "UTC"  # the patient's: the chart's dates are drawn in it

    @property
    def title(self) -> str:
        side = f" ({self.side})" if self.side in ("left", "right") else ""
        return f"{self.exercise_name}: {self.angle_name.replace('_', ' ')}{side}"

    def payload(self) -> dict[str, Any]:
        return {"id": self.key, "title": self.title, "unit": "deg",
                "x": [p["t"] for p in self.points],
                "labels": [str(p["day"]) for p in self.points],
                "series": [{"label": "best", "values": [p["best"] for p in self.points]},
                           {"label": "median", "values": [p["median"] for p in self.points]}],
                "refs": [{"label": r.label, "low": r.low, "high": r.high, "kind": r.kind}
                         for r in self.refs], "tz": self.tz}


def chart_key(*parts: str | None) -> str:
    return "-".join(p for p in parts if p).replace("_", "-")


def rom_charts(lines: list[SessionLine], prescription: PrescriptionPublic | None,
               lib: dict[str, LibraryEntry], tz: str = "UTC") -> list[RomChart]:
    """One chart per (exercise, angle, side) that has a measured ROM, in first-seen order."""
    charts: dict[RomKey, RomChart] = {}
    for key, measured in rom_measurements(lines).items():
        exercise_id, angle_name, side = key
        entry = lib.get(exercise_id)
        chart = charts[key] = RomChart(
            chart_key("rom", exercise_id, angle_name, side), exercise_id,
            entry.name if entry else exercise_id, angle_name, side, tz=tz)
        for s, e in measured:
            chart.points.append({"t": int(s.started_at.timestamp()), "day": s.day,
                                 "best": e.rom_best_deg, "median": e.rom_median_deg,
                                 "session_id": s.session_id})
    for (exercise_id, angle_name, _), chart in charts.items():
        chart.refs = reference_lines(exercise_id, angle_name, prescription, lib)
    return list(charts.values())


def reference_lines(exercise_id: str, angle_name: str, prescription: PrescriptionPublic | None,
                    lib: dict[str, LibraryEntry]) -> list[RefLine]:
    """The normal end-range band, the prescribed target and the prescribed cap."""
    refs = []
    normal = normal_range(angle_name)
    if normal is not None:
        refs.append(RefLine("normal", normal.low_deg, normal.high_deg, "normal"))
    target = cap = None
    if prescription is not None:
        for ex in prescription.exercises:
            if ex.exercise_id == exercise_id:
                target = ex.overrides.target_rom_deg
                cap = ex.overrides.max_rom_deg
                break
    entry = lib.get(exercise_id)
    if target is None and entry is not None and entry.signal == angle_name:
        target = entry.target_rom_deg
    if target is not None:
        refs.append(RefLine("target", target, target, "target"))
    if cap is not None:
        refs.append(RefLine("cap", cap, cap, "cap"))
    return refs


def pain_payload(lines: list[SessionLine], tz: str = "UTC") -> dict[str, Any]:
    rows = [s for s in lines if s.pain_before is not None or s.pain_after is not None]
    return {"id": "pain", "title": "Pain before and after (0-10)", "unit": "NRS",
            "x": [int(s.started_at.timestamp()) for s in rows],
            "labels": [str(s.day) for s in rows],
            "series": [{"label": "before", "values": [s.pain_before for s in rows]},
                       {"label": "after", "values": [s.pain_after for s in rows]}],
            "refs": [], "ymin": 0, "ymax": 10, "tz": tz}


@dataclass(frozen=True, slots=True)
class CalendarDay:
    day: date
    in_range: bool
    reps_done: int = 0
    reps_prescribed: float = 0.0
    sessions_done: int = 0
    sessions_prescribed: float = 0.0
    detail: str = ""

    @property
    def ratio(self) -> float | None:
        return self.reps_done / self.reps_prescribed if self.reps_prescribed > 0 else None

    @property
    def level(self) -> str:
        """CSS class: none (nothing prescribed), miss, part, full."""
        r = self.ratio
        if r is None:
            return "extra" if self.reps_done else "none"
        return "full" if r >= 0.999 else "part" if r > 0 else "miss"


def plan_start(patient: Patient, lines: list[SessionLine]) -> date:
    """The first day anything was due: the patient's enrolment day, or the first session's
    day when imported history starts earlier (the calendar and adherence start there)."""
    first = enrolled_day(patient)
    return min(first, lines[0].day) if lines else first


def calendar(rows: list[AdherenceRow], start: date, end: date,
             lib: dict[str, LibraryEntry]) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of per-day prescribed vs done, from ``reports.adherence``."""
    by_day: dict[date, list[AdherenceRow]] = defaultdict(list)
    for r in rows:
        by_day[r.period_start].append(r)
    first = start - timedelta(days=start.weekday())
    weeks: list[list[CalendarDay]] = []
    day = first
    while day <= end:
        week = []
        for _ in range(7):
            if not start <= day <= end:
                week.append(CalendarDay(day, False))
            else:
                cells = by_day.get(day, [])
                detail = "; ".join(
                    f"{lib[c.exercise_id].name if c.exercise_id in lib else c.exercise_id}: "
                    f"{c.reps_done} of {_fmt(c.reps_prescribed)} reps" for c in cells)
                week.append(CalendarDay(
                    day, True, reps_done=sum(c.reps_done for c in cells),
                    reps_prescribed=round(sum(c.reps_prescribed for c in cells), 3),
                    sessions_done=sum(c.sessions_done for c in cells),
                    sessions_prescribed=round(sum(c.sessions_prescribed for c in cells), 3),
                    detail=detail))
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def rep_charts(record: dict[str, Any], lib: dict[str, LibraryEntry]) -> list[dict[str, Any]]:
    """Per-repetition peak ROM of each exercise of one session record."""
    out = []
    for i, ex in enumerate(record.get("exercises", [])):
        xs: list[int] = []
        peaks: list[float | None] = []
        ranges: list[float | None] = []
        sets: list[int] = []
        for s in ex.get("sets", []):
            for rep in s.get("repetitions", []):
                xs.append(len(xs) + 1)
                peaks.append(rep.get("rom_peak_deg"))
                ranges.append(rep.get("rom_range_deg"))
                sets.append(s.get("set_index", 0) + 1)
        entry = lib.get(ex["exercise_id"])
        refs = []
        normal = normal_range(ex["angle_name"])
        if normal is not None:
            refs.append({"label": "normal", "low": normal.low_deg, "high": normal.high_deg,
                         "kind": "normal"})
        if ex.get("target_rom_deg") is not None:
            t = ex["target_rom_deg"]
            refs.append({"label": "target", "low": t, "high": t, "kind": "target"})
        name = entry.name if entry else ex["exercise_id"]
        out.append({"id": f"reps-{i}", "title": f"{name}: {ex['angle_name'].replace('_', ' ')}"
                    " per repetition", "unit": "deg", "xkind": "rep", "x": xs,
                    "labels": [f"set {k}, rep {n}" for k, n in zip(sets, _rep_numbers(sets))],
                    "series": [{"label": "peak", "values": peaks},
                               {"label": "range", "values": ranges}],
                    "refs": refs, "sets": sets})
    return out


def _rep_numbers(sets: list[int]) -> list[int]:
    """1-based repetition numbers within each set."""
    out, last, n = [], None, 0
    for k in sets:
        n = n + 1 if k == last else 1
        last = k
        out.append(n)
    return out


#: Columns the patient list sorts by.
SORT_KEYS = ("name", "adherence7", "adherence30", "last", "alerts", "rtm")


def sort_value(row: PatientOverview, key: str) -> tuple[int, Any]:
    """``row``'s sort key for column ``key``: (0, value), or (1, 0) when it has none."""
    value: Any = {
        "name": row.patient.display_name.lower(),
        "adherence7": row.adherence_7d_pct,
        "adherence30": row.adherence_30d_pct,
        "last": row.last_session_day,
        "alerts": (sum(a.severity == "high" for a in row.alerts), len(row.alerts)),
        "rtm": row.rtm.days_with_data if row.rtm else None,
    }[key]
    return (0, value) if value is not None else (1, 0)


def findings_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for ex in record.get("exercises", []):
        for s in ex.get("sets", []):
            for f in s.get("findings", []):
                rows.append({"exercise_id": ex["exercise_id"], "set": s.get("set_index", 0) + 1,
                             "rep": None if f.get("rep_index") is None else f["rep_index"] + 1,
                             **f})
    return rows


def local_time(moment: Any, patient: Patient) -> str:
    return moment.astimezone(ZoneInfo(patient.timezone)).strftime("%Y-%m-%d %H:%M")


def median_or_none(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None
