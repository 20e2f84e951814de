"""Realistic synthetic patient histories: for the dashboard's tests, its load benchmark and demos.

A history is daily home sessions over ``days`` days, built as wire-schema session records
(JSON-ready dicts that :class:`~hepvision.wire.session.SessionRecord` accepts):

- ROM improves along a saturating curve from ``start_rom_deg`` to ``end_rom_deg`` (e.g. knee
  flexion after a knee replacement, 70 -> 115 deg over 12 weeks), with per-repetition scatter
  (SD ``rep_sd_deg``) and session-to-session scatter;
- pain before falls from about 5 to 2 over the history; pain after is 0-1 higher;
- about ``skip_fraction`` of days have no session; a knee-valgus caution finding appears in
  about a third of sessions, a stop finding (over the prescribed cap) rarely.

Deterministic for a given seed. No pipeline code: these are the numbers a device would send.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class ExercisePlan:
    exercise_id: str
    angle_name: str
    view: str
    start_rom_deg: float
    end_rom_deg: float
    target_rom_deg: float | None
    sets: int = 2
    reps: int = 10
    side: str = "both"
    rep_sd_deg: float = 3.0


KNEE_REHAB = (
    ExercisePlan("squat", "knee_flexion", "side", 70.0, 112.0, 90.0),
    ExercisePlan("shoulder_abduction", "shoulder_abduction", "front", 95.0, 150.0, 90.0,
                 sets=2, reps=8),
)


def _progress(k: int, days: int) -> float:
    """0 -> ~1 over the history, fast at first (tissue healing), then levelling off."""
    return 1.0 - math.exp(-3.0 * k / max(1, days))


def history(*, start: date, days: int, timezone: str = "UTC", seed: int = 0,
            plans: tuple[ExercisePlan, ...] = KNEE_REHAB, skip_fraction: float = 0.15,
            prescription_version: int | None = None, app_version: str = "0.1.0"
            ) -> list[dict[str, Any]]:
    """Session records (oldest first) for the ``days`` days from ``start``."""
    rng = random.Random(seed)
    zone = ZoneInfo(timezone)
    out = []
    for k in range(days):
        if rng.random() < skip_fraction:
            continue
        day = start + timedelta(days=k)
        clock = time(hour=rng.choice((8, 9, 12, 18)), minute=rng.randrange(60))
        started = datetime.combine(day, clock, zone)
        frac = _progress(k, days)
        exercises: list[dict[str, Any]] = []
        elapsed_s = 0.0
        for plan in plans:
            level = plan.start_rom_deg + (plan.end_rom_deg - plan.start_rom_deg) * frac
            level += rng.gauss(0.0, 2.0)
            sets = []
            for s in range(plan.sets):
                one, took_s = _demo_set(rng, plan, s, level)
                sets.append(one)
                elapsed_s += took_s
            exercises.append({"exercise_id": plan.exercise_id, "template_sha256": None,
                              "model_sha256": {}, "backend": "onnx", "view": plan.view,
                              "side": plan.side, "angle_name": plan.angle_name,
                              "target_rom_deg": plan.target_rom_deg, "sets": sets})
        pain_before = max(0, min(10, round(5.0 - 3.0 * frac + rng.gauss(0.0, 0.8))))
        pain_after = max(0, min(10, pain_before + rng.choice((0, 0, 1))))
        out.append({
            "schema_version": "1", "session_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "prescription_version": prescription_version, "app_version": app_version,
            "started_at": started.isoformat(),
            "ended_at": (started + timedelta(seconds=elapsed_s)).isoformat(),
            "duration_s": round(elapsed_s, 1), "pain_before": pain_before,
            "pain_after": pain_after, "stopped_early": False, "stop_reason": None,
            "exercises": exercises})
    return out


def _demo_set(rng: random.Random, plan: ExercisePlan, s: int, level: float
              ) -> tuple[dict[str, Any], float]:
    """Set ``s`` of ``plan`` around ROM ``level``, and the seconds it took with its rest."""
    reps = []
    t_ms = 0
    n = plan.reps if rng.random() > 0.1 else plan.reps - rng.randrange(1, 4)
    for _ in range(n):
        peak = round(level + rng.gauss(0.0, plan.rep_sd_deg) - 1.5 * s, 1)
        conc, ecc = rng.randrange(900, 1500), rng.randrange(1000, 1800)
        reps.append({"start_ms": t_ms, "peak_ms": t_ms + conc,
                     "end_ms": t_ms + conc + ecc, "rom_start_deg": 4.0,
                     "rom_peak_deg": peak, "rom_range_deg": round(peak - 4.0, 1),
                     "concentric_ms": conc, "eccentric_ms": ecc, "hold_ms": 0,
                     "side": plan.side})
        t_ms += conc + ecc + 400
    findings = []
    if s == 0 and plan.exercise_id == "squat" and rng.random() < 0.33:
        findings.append({"rule_id": "knee_valgus", "severity": "caution",
                         "time_ms": reps[0]["peak_ms"] if reps else 0,
                         "rep_index": 0, "value": 14.0, "limit": 12.0,
                         "message": "Push your knees out over your toes."})
    if s == 0 and rng.random() < 0.02:
        findings.append({"rule_id": f"precaution_{plan.angle_name}_max_0", "severity": "stop",
                         "time_ms": 0,
                         "rep_index": None, "value": None, "limit": None,
                         "message": "Stop: stay within the range your therapist set."})
    one = {"set_index": s, "reps": len(reps), "partial_reps": 0, "repetitions": reps,
           "holds": [], "findings": findings, "rest_s": 60.0}
    return one, t_ms / 1000.0 + 60.0
