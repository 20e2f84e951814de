"""What a progress report says, read from the database (no drawing here).

Every number comes from the data layer the dashboard and the API use, so the report equals
them: ROM from :func:`hepvision.server.data.dashboard.session_lines` (the values of
``/rom-trend``), adherence from :func:`hepvision.server.data.reports.adherence` (per day),
pain from the sessions, findings from the per-exercise summaries, the pain stop from
:mod:`hepvision.server.data.alert_rules`. Days are the patient's local calendar days.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hepvision.server.data import dashboard, prescriptions, reports
from hepvision.server.data.alert_rules import AlertDefaults, rules_of
from hepvision.server.errors import InvalidInputError
from hepvision.server.models import Patient, Prescription, utcnow
from hepvision.server.schemas import PrescribedExercise
from hepvision.server.web.clinical import NormalRange, normal_range
from hepvision.templates import list_templates, load_template

#: Longest period a report covers (days), like the API's adherence.
MAX_REPORT_DAYS = 366


@cache
def exercise_name(exercise_id: str) -> str:
    """The template's name, or the id when this server has no such template."""
    return load_template(exercise_id).name if exercise_id in list_templates() else exercise_id


@dataclass(frozen=True, slots=True)
class ProgramVersion:
    """A prescription version in force during the report's period."""

    version: int
    written: date
    in_force_from: date
    in_force_to: date | None  # None: still in force
    exercises: tuple[PrescribedExercise, ...]
    precautions: tuple[str, ...]
    notes: str


@dataclass
class RomSeries:
    """Best and median peak ROM per session for one exercise, angle and side."""

    exercise_id: str
    angle_name: str
    side: str | None
    days: list[date] = field(default_factory=list)
    best_deg: list[float] = field(default_factory=list)
    median_deg: list[float | None] = field(default_factory=list)
    target_deg: float | None = None
    cap_deg: float | None = None
    normal: NormalRange | None = None

    @property
    def title(self) -> str:
        side = f" ({self.side})" if self.side in ("left", "right") else ""
        return f"{exercise_name(self.exercise_id)}: {self.angle_name.replace('_', ' ')}{side}"


@dataclass(frozen=True, slots=True)
class CalendarDay:
    day: date
    reps_done: int
    reps_prescribed: float
    sessions_done: int

    @property
    def level(self) -> str:
        """none (nothing prescribed, nothing done), extra, full, part or miss."""
        if self.reps_prescribed <= 0:
            return "extra" if self.reps_done else "none"
        ratio = self.reps_done / self.reps_prescribed
        return "full" if ratio >= 0.999 else "part" if ratio > 0 else "miss"


@dataclass(frozen=True, slots=True)
class PainEntry:
    day: date
    before: int | None
    after: int | None


@dataclass(frozen=True, slots=True)
class FindingLine:
    exercise_id: str
    rule_id: str
    count: int
    sessions: int


@dataclass
class ProgressReport:
    """Everything the PDF shows, in display order."""

    patient_name: str
    external_ref: str | None
    timezone: str
    therapist: str
    start: date
    end: date
    generated_at: datetime
    comment: str
    versions: list[ProgramVersion]
    rom: list[RomSeries]
    calendar: list[CalendarDay]
    pain: list[PainEntry]
    pain_stop_nrs: int
    findings: list[FindingLine]
    severity_totals: dict[str, int]
    sessions: int
    session_days: int

    @property
    def reps_done(self) -> int:
        """Reps done of the exercises prescribed on each day (``reports.adherence``)."""
        return sum(c.reps_done for c in self.calendar if c.reps_prescribed > 0)

    @property
    def reps_prescribed(self) -> float:
        return round(sum(c.reps_prescribed for c in self.calendar), 3)

    @property
    def adherence_pct(self) -> float | None:
        rp = self.reps_prescribed
        return round(100.0 * self.reps_done / rp, 1) if rp > 0 else None


def _versions(rows: list[Prescription], zone: ZoneInfo, start: date,
              end: date) -> list[ProgramVersion]:
    out = []
    for i, v in enumerate(rows):
        written = v.created_at.astimezone(zone).date()
        nxt = rows[i + 1].created_at.astimezone(zone).date() if i + 1 < len(rows) else None
        until = nxt - timedelta(days=1) if nxt is not None else None
        if written > end or (until is not None and until < start):
            continue
        out.append(ProgramVersion(
            version=v.version, written=written, in_force_from=written, in_force_to=until,
            exercises=tuple(PrescribedExercise.model_validate(e)
                            for e in v.body.get("exercises", [])),
            precautions=tuple(v.body.get("precautions", [])), notes=v.body.get("notes", "")))
    return out


def _rom(lines: list[dashboard.SessionLine], current: Prescription | None) -> list[RomSeries]:
    series: dict[dashboard.RomKey, RomSeries] = {}
    for key, measured in dashboard.rom_measurements(lines).items():
        one = series[key] = RomSeries(*key)
        for s, e in measured:
            assert e.rom_best_deg is not None  # rom_measurements keeps measured ones only
            one.days.append(s.day)
            one.best_deg.append(e.rom_best_deg)
            one.median_deg.append(e.rom_median_deg)
    prescribed = {ex.exercise_id: ex for ex in (
        PrescribedExercise.model_validate(e) for e in (current.body["exercises"]
                                                       if current else []))}
    for one in series.values():
        one.normal = normal_range(one.angle_name)
        ex = prescribed.get(one.exercise_id)
        if ex is not None:
            one.target_deg = ex.overrides.target_rom_deg
            one.cap_deg = ex.overrides.max_rom_deg
        if one.target_deg is None and one.exercise_id in list_templates():
            t = load_template(one.exercise_id)
            if t.signal_name == one.angle_name:
                one.target_deg = t.target.rom
    return list(series.values())


def _findings(lines: list[dashboard.SessionLine]) -> tuple[list[FindingLine], dict[str, int]]:
    counts: Counter[tuple[str, str]] = Counter()
    sessions: Counter[tuple[str, str]] = Counter()
    totals = {"stop": 0, "caution": 0, "info": 0}
    for s in lines:
        for e in s.exercises:
            totals["stop"] += e.findings_stop
            totals["caution"] += e.findings_caution
            totals["info"] += e.findings_info
            for rule, n in e.findings_by_rule.items():
                counts[(e.exercise_id, rule)] += n
                sessions[(e.exercise_id, rule)] += 1
    rows = [FindingLine(ex, rule, n, sessions[(ex, rule)])
            for (ex, rule), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return rows, totals


def _calendar(db: Session, patient: Patient, start: date, end: date) -> list[CalendarDay]:
    cells: dict[date, list[float]] = defaultdict(lambda: [0, 0.0, 0])
    for r in reports.adherence(db, patient, period="day", start=start, end=end):
        cell = cells[r.period_start]
        cell[0] += r.reps_done if r.reps_prescribed > 0 else 0
        cell[1] += r.reps_prescribed
        cell[2] += r.sessions_done
    out = []
    day = start
    while day <= end:
        done, due, n = cells.get(day, [0, 0.0, 0])
        out.append(CalendarDay(day, int(done), round(due, 3), int(n)))
        day += timedelta(days=1)
    return out


def build(db: Session, patient: Patient, *, start: date, end: date, comment: str,
          defaults: AlertDefaults) -> ProgressReport:
    """The report of ``patient`` for the local days ``start`` to ``end`` (inclusive)."""
    if start > end or (end - start).days >= MAX_REPORT_DAYS:
        raise InvalidInputError(f"the report's period must run forward and span at most "
                                f"{MAX_REPORT_DAYS} days")
    zone = ZoneInfo(patient.timezone)
    lines = dashboard.session_lines(db, patient, start=start, end=end, limit=20_000)
    history = prescriptions.history(db, patient.id)
    end_of_range = datetime.combine(end + timedelta(days=1), time.min, zone)
    in_force = [v for v in history if v.created_at < end_of_range]
    current = in_force[-1] if in_force else None
    findings, totals = _findings(lines)
    rules = rules_of(patient, current.body if current else None, defaults)[0]
    therapist = patient.therapist
    return ProgressReport(
        patient_name=patient.display_name, external_ref=patient.external_ref,
        timezone=patient.timezone, therapist=therapist.full_name or therapist.email,
        start=start, end=end, generated_at=utcnow(), comment=comment.strip(),
        versions=_versions(history, zone, start, end), rom=_rom(lines, current),
        calendar=_calendar(db, patient, start, end),
        pain=[PainEntry(s.day, s.pain_before, s.pain_after) for s in lines
              if s.pain_before is not None or s.pain_after is not None],
        pain_stop_nrs=rules.pain_stop_nrs, findings=findings, severity_totals=totals,
        sessions=len(lines), session_days=len({s.day for s in lines}))


def mean_or_none(values: list[int | None] | list[float | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return statistics.fmean(known) if known else None
