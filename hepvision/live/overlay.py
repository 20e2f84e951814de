"""Drawing the live overlay on a frame (desktop window and saved screenshots)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from hepvision.live.engine import LiveUpdate
from hepvision.live.flow import FlowState, SessionFlow
from hepvision.pose.types import POSE_CONNECTIONS

KEYS_HELP = "keys: q stop  n next set/skip rest  p then 0-9 pain (x = 10)"
_GREEN = (80, 200, 80)
_WHITE = (255, 255, 255)
_YELLOW = (0, 220, 255)
_RED = (60, 60, 230)


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float = 0.7,
          color: tuple[int, int, int] = _WHITE, thickness: int = 2) -> None:
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 3,
                cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thickness, cv2.LINE_AA)


def draw_skeleton(img: np.ndarray, update: LiveUpdate, min_visibility: float = 0.5) -> None:
    pose = update.pose
    if not pose.detected:
        return
    h, w = img.shape[:2]
    pts = pose.landmarks[:, :2] * np.array([w, h], dtype=np.float32)
    vis = pose.landmarks[:, 3]
    for a, b in POSE_CONNECTIONS:
        if vis[a] >= min_visibility and vis[b] >= min_visibility:
            pa, pb = pts[a], pts[b]
            if np.isfinite(pa).all() and np.isfinite(pb).all():
                cv2.line(img, (int(pa[0]), int(pa[1])), (int(pb[0]), int(pb[1])), _GREEN, 3,
                         cv2.LINE_AA)
    for i in range(len(pts)):
        if vis[i] >= min_visibility and np.isfinite(pts[i]).all():
            cv2.circle(img, (int(pts[i][0]), int(pts[i][1])), 4, _WHITE, -1, cv2.LINE_AA)


def draw_angle_bar(img: np.ndarray, value: float, target: float | None, unit: str,
                   max_value: float = 180.0) -> None:
    """A vertical bar of the counted signal against its target (a line)."""
    h, w = img.shape[:2]
    x0, y0, bw, bh = w - 60, 60, 28, h - 140
    cv2.rectangle(img, (x0, y0), (x0 + bw, y0 + bh), (40, 40, 40), -1)
    if math.isfinite(value):
        frac = min(1.0, max(0.0, abs(value) / max_value))
        cv2.rectangle(img, (x0, y0 + int(bh * (1 - frac))), (x0 + bw, y0 + bh), _YELLOW, -1)
        label = f"{value:.0f}{'°' if unit == 'deg' else ''}"
        _text(img, label.replace("°", " deg"), (x0 - 40, y0 + bh + 30), 0.6)
    if target is not None and math.isfinite(target):
        ty = y0 + int(bh * (1 - min(1.0, abs(target) / max_value)))
        cv2.line(img, (x0 - 8, ty), (x0 + bw + 8, ty), _GREEN, 3)


def draw_overlay(img: np.ndarray, update: LiveUpdate | None, flow: SessionFlow,
                 target_deg: float | None = None, cue: str | None = None,
                 setup_message: str | None = None) -> np.ndarray:
    """The whole overlay, drawn in place on ``img`` (BGR) and returned."""
    if update is not None:
        draw_skeleton(img, update)
        fb = update.feedback
        draw_angle_bar(img, fb.signal_value, target_deg, fb.signal_unit)
    status = flow.status()
    h, w = img.shape[:2]
    _text(img, f"{status['exercise_name']}  set {status['set']}/{status['sets']}", (16, 32))
    if flow.state is FlowState.ACTIVE:
        target = f"/{status['target_reps']}" if status["target_reps"] else ""
        _text(img, f"{status['reps']}{target}", (16, 90), 2.0, _YELLOW, 4)
    elif flow.state is FlowState.REST:
        _text(img, f"Rest {status['rest_remaining_s']:.0f} s", (16, 90), 1.4, _GREEN, 3)
    if setup_message:
        _text(img, setup_message, (16, h - 90), 0.8, _RED)
    elif cue:
        _text(img, cue, (16, h - 90), 0.8, _YELLOW)
    if flow.message:
        _text(img, flow.message, (16, h - 55), 0.6)
    _text(img, KEYS_HELP, (16, h - 20), 0.5)
    return img


def summary_lines(flow: SessionFlow) -> list[str]:
    """The end-of-session summary: reps per set, ROM range per set, pain."""
    lines = [f"Session done: {flow.total_reps()} reps"]
    for s in flow.finished:
        a = s.analysis
        peaks = [r.rom_peak_deg for r in a.rep_details if math.isfinite(r.rom_peak_deg)]
        rom = f", best {max(peaks, key=abs):.0f} {a.signal_unit}" if peaks else ""
        name = flow.plans[s.exercise_index].template.name
        lines.append(f"{name} set {s.set_index + 1}: {a.reps} reps{rom}"
                     + (f" (ended: {s.ended_by})" if s.ended_by not in ("target",) else ""))
    if flow.pain_before is not None or flow.pain_after is not None:
        fmt = lambda v: "-" if v is None else str(v)  # noqa: E731
        lines.append(f"Pain before {fmt(flow.pain_before)}/10, after {fmt(flow.pain_after)}/10")
    if flow.stop_reason:
        lines.append(f"Stopped early: {flow.stop_reason}")
    return lines


def draw_summary(img: np.ndarray, flow: SessionFlow) -> np.ndarray:
    y = 50
    for i, line in enumerate(summary_lines(flow)):
        _text(img, line, (20, y), 0.9 if i == 0 else 0.6, _GREEN if i == 0 else _WHITE)
        y += 40 if i == 0 else 30
    _text(img, "press any key to close", (20, img.shape[0] - 20), 0.5)
    return img
