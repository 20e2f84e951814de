"""Repetition records from merged per-side excursions: per-side ROM, the working side, the
source and confidence of the measurement, phase times.

ROM is judged on the extreme of the raw signal's centred moving mean over
:data:`ROM_PEAK_WINDOW_MS` (a level held about 1/6 s), not on its single most extreme sample.
Offline runs (``smooth`` given) take the peak time and phase durations from the zero-phase
Butterworth-smoothed signal of the working side.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from hepvision.analysis.records import Repetition, SideRom
from hepvision.analysis.sides import RepGroup, SideStream
from hepvision.reps.state_machine import CounterSettings, summarize_excursion
from hepvision.vocabulary import ReadingSource, TemplateSide

#: Window of the moving mean whose extreme is a repetition's peak.
ROM_PEAK_WINDOW_MS = 300


def sustained_peak(times_ms: Sequence[int], values: Sequence[float], start_ms: int,
                   end_ms: int, rising: bool, window_ms: int = ROM_PEAK_WINDOW_MS
                   ) -> tuple[float, int]:
    """(extreme, its index) over ``[start_ms, end_ms]`` of the centred moving mean of
    ``values`` over ``window_ms`` (NaN samples skipped); (NaN, -1) when nothing was measured."""
    i0 = bisect.bisect_left(times_ms, start_ms)
    i1 = bisect.bisect_right(times_ms, end_ms)
    t = np.asarray(times_ms[i0:i1], dtype=np.int64)
    x = np.asarray(values[i0:i1], dtype=np.float64)
    ok = np.isfinite(x)
    if not ok.any():
        return math.nan, -1
    csum = np.concatenate(([0.0], np.cumsum(np.where(ok, x, 0.0))))
    cnt = np.concatenate(([0], np.cumsum(ok)))
    half = window_ms // 2
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right")
    n = cnt[hi] - cnt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, (csum[hi] - csum[lo]) / np.maximum(n, 1), np.nan)
    k = int(np.nanargmax(mean) if rising else np.nanargmin(mean))
    return float(mean[k]), i0 + k


def judged_peak(group: RepGroup, streams: Sequence[SideStream], settings: CounterSettings,
                template_side: TemplateSide, moved_share: float) -> float:
    """The peak a repetition's ROM is judged on: the working side's, or for a two-sided
    repetition the mean over the sides that moved (as ``rom_peak_deg`` reports it)."""
    roms = {s.side.value: _side_rom(s, group, settings, moved_share) for s in streams}
    side = _rep_side(template_side, group, roms)
    used = [r for r in roms.values() if r.moved] if side == "both" else [roms[side]]
    return _mean([r.peak_deg for r in used or [roms[group.primary.value]]])


def _side_rom(stream: SideStream, group: RepGroup, settings: CounterSettings,
              moved_share: float) -> SideRom:
    start_ms, end_ms = group.start_ms, group.end_ms
    rising = settings.rising
    event = group.events.get(stream.side)
    peak, k = sustained_peak(stream.times, stream.raw, start_ms, end_ms, rising)
    i0 = bisect.bisect_left(stream.times, start_ms)
    i1 = bisect.bisect_right(stream.times, end_ms)
    window = np.asarray(stream.raw[i0:i1], dtype=np.float64)
    finite = window[np.isfinite(window)]
    share = float(finite.size / window.size) if window.size else 0.0
    if event is not None:  # NaN when the excursion was under way when counting began
        start = event.start_value
    else:
        start = float(finite[0]) if finite.size else math.nan
    base = start if start == start else (float(finite[-1]) if finite.size else math.nan)
    rng = abs(peak - base) if peak == peak and base == base else math.nan
    if finite.size:
        span = float(finite.max() - finite.min())
        moved = span >= moved_share * settings.min_amplitude
    else:
        moved = False
    source, conf = _source_near(stream, k)
    return SideRom(stream.side.value, start, peak, rng, moved, source, conf, share)


def _source_near(stream: SideStream, k: int, half: int = 4) -> tuple[ReadingSource, float]:
    """Which landmarks read the samples around index ``k`` (``image``, ``world``, ``mixed``),
    and their mean confidence; ``none`` when nothing was measured there."""
    if k < 0:
        return ReadingSource.NONE, 0.0
    idx = [i for i in range(max(0, k - half), min(len(stream.raw), k + half + 1))
           if stream.raw[i] == stream.raw[i]]
    if not idx:
        return ReadingSource.NONE, 0.0
    kinds = {stream.source[i] for i in idx}
    source = kinds.pop() if len(kinds) == 1 else ReadingSource.MIXED
    return source, float(np.mean([stream.confidence[i] for i in idx]))


def _rep_side(template_side: TemplateSide, group: RepGroup, roms: dict[str, SideRom]) -> str:
    """``both`` when both sides moved (or the other could not be seen), else the working side."""
    if template_side is not TemplateSide.BOTH:
        return group.primary.value
    others = [r for side, r in roms.items() if side != group.primary.value]
    if len(group.events) >= 2 or not others:
        return "both"
    other = others[0]
    seen = other.measured_share >= 0.5
    return group.primary.value if seen and not other.moved else "both"


def build_repetition(group: RepGroup, streams: Sequence[SideStream], settings: CounterSettings,
                     template_side: TemplateSide, concentric_out: bool,
                     smooth: dict[str, np.ndarray] | None, moved_share: float) -> Repetition:
    """The :class:`Repetition` record of one merged repetition (or partial excursion)."""
    roms = {s.side.value: _side_rom(s, group, settings, moved_share) for s in streams}
    side = _rep_side(template_side, group, roms)
    used = [r for r in roms.values() if r.moved] if side == "both" else [roms[side]]
    used = used or [roms[group.primary.value]]
    start_v = _mean([r.start_deg for r in used])
    peak_v = _mean([r.peak_deg for r in used])
    ev = group.event
    peak_ms, out_ms, hold_ms, back_ms = ev.peak_ms, ev.out_ms, ev.hold_ms, ev.back_ms
    stream = next(s for s in streams if s.side is group.primary)
    series = smooth.get(stream.side.value) if smooth is not None else None
    if series is not None:
        times = np.asarray(stream.times, dtype=np.int64)
        i0, i1 = np.searchsorted(times, [ev.start_ms, ev.end_ms])
        seg_t, seg_x = times[i0:i1 + 1], series[i0:i1 + 1]
        if np.isfinite(seg_x).sum() >= 3:
            peak_ms, _, out_ms, hold_ms, back_ms = summarize_excursion(
                seg_t, seg_x, settings.rising, settings.hysteresis / 2)
    base = start_v if start_v == start_v else ev.end_value
    conc, ecc = (out_ms, back_ms) if concentric_out else (back_ms, out_ms)
    main = roms[group.primary.value]
    return Repetition(group.start_ms, peak_ms, group.end_ms, start_v, peak_v,
                      abs(peak_v - base), conc, ecc, hold_ms, side,
                      sides=tuple(roms[s.side.value] for s in streams), source=main.source,
                      confidence=main.confidence)


def _mean(values: list[float]) -> float:
    ok = [v for v in values if v == v]
    return sum(ok) / len(ok) if ok else math.nan
