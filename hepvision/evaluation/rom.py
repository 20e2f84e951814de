"""``hepvision bench rom``: our angle time series scored against a reference (motion capture,
OpenSim, a goniometer log).

Method, in order:

1. **Series.** The reference table (:func:`~hepvision.evaluation.rom_io.read_reference`) and the
   per-frame readings of the same angles on the trial
   (:func:`~hepvision.evaluation.rom_io.measure_series`), unsmoothed, NaN where not measurable.
2. **Lag.** Each series is put on a uniform grid at ``rate_hz`` (times ``k / rate_hz``), its
   gaps filled linearly (for this step only). For every whole-sample lag within
   ``+-max_lag_s`` the Pearson correlation of reference and shifted prediction over their
   overlap is computed per angle; the lag with the highest mean over angles wins. One lag for
   the trial, reported as ``lag_s``: the reference shows an event ``lag_s`` seconds later than
   the prediction (prediction time + ``lag_s`` = reference time). The best whole-sample lag
   is refined to a fraction of a sample by the vertex of a parabola through its neighbours'
   correlations. Keep ``max_lag_s`` below the repetition period, or a shift by a whole
   repetition can win; overlaps shorter than half the shorter series are not considered.
3. **Grid.** Both series are linearly resampled to a uniform grid at ``rate_hz`` over their
   overlap after the shift; a grid point next to an unmeasured frame stays NaN.
4. **Metrics** per angle over grid points where both are finite: RMSE, bias (mean of
   prediction - reference), MAE, Pearson r, ``n``; ``measured_share`` is the share of the
   trial's frames inside the overlap with a finite reading.
5. **Peaks.** Repetitions are the reference's peaks (``scipy.signal.find_peaks``) with a
   prominence of at least ``peak_prominence_share`` of the reference's range, taken as maxima
   when the reference's median lies nearer its minimum (flexion exercises) and as minima
   otherwise (extension from a flexed rest). Each peak's window spans the reference's
   half-prominence width; the peak error is the prediction's extreme in that window minus the
   reference peak, in degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import find_peaks

from hepvision import __version__
from hepvision.errors import HepvisionError
from hepvision.evaluation.rom_io import (
    AngleKey,
    AngleTable,
    ColumnMapping,
    load_trial,
    measure_series,
    read_reference,
)

ROM_SCHEMA = "hepvision.bench-rom/1"
DEFAULT_RATE_HZ = 30.0


@dataclass(frozen=True, slots=True)
class RomSettings:
    """How a trial is scored.

    Attributes:
        max_lag_s: the lag search window, +- seconds.
        rate_hz: the common grid's rate; None: the trial's frame rate (30 when unknown).
        angles: the angles scored; None: every angle of the reference.
        peak_prominence_share: a repetition peak's prominence, as a share of the reference's
            range (max - min).
    """

    max_lag_s: float = 2.0
    rate_hz: float | None = None
    angles: tuple[AngleKey, ...] | None = None
    peak_prominence_share: float = 0.5


@dataclass(frozen=True, slots=True)
class LagEstimate:
    """The chosen shift: prediction grid index j meets reference grid index j + samples.

    Attributes:
        samples: the whole-sample lag with the best correlation.
        fraction: the parabola-vertex refinement between its neighbours, -0.5..0.5 samples.
        rate_hz: the grid rate.
        correlation: the mean Pearson r over angles at ``samples``.
    """

    samples: int
    fraction: float
    rate_hz: float
    correlation: float

    @property
    def lag_s(self) -> float:
        """Prediction time + ``lag_s`` = reference time."""
        return (self.samples + self.fraction) / self.rate_hz


@dataclass(frozen=True, slots=True)
class PeakError:
    """One reference repetition peak and the prediction's extreme in its window (degrees)."""

    time_s: float
    reference_deg: float
    predicted_deg: float
    error_deg: float


@dataclass(frozen=True, slots=True)
class AngleScore:
    """Agreement of one angle and side, degrees; NaN where nothing could be compared."""

    key: AngleKey
    n: int
    measured_share: float
    rmse_deg: float
    bias_deg: float
    mae_deg: float
    r: float
    peaks: tuple[PeakError, ...]

    @property
    def peak_abs_errors(self) -> list[float]:
        return [abs(p.error_deg) for p in self.peaks if math.isfinite(p.error_deg)]

    def to_dict(self) -> dict[str, Any]:
        errs = self.peak_abs_errors
        return {
            "angle": self.key.label, "name": self.key.name.value, "side": self.key.side.value,
            "n": self.n, "measured_share": round(self.measured_share, 4),
            "rmse_deg": round(self.rmse_deg, 3), "bias_deg": round(self.bias_deg, 3),
            "mae_deg": round(self.mae_deg, 3), "r": round(self.r, 4),
            "peak_err_mean_deg": round(sum(errs) / len(errs), 3) if errs else math.nan,
            "peak_err_max_deg": round(max(errs), 3) if errs else math.nan,
            "peaks": [{"time_s": round(p.time_s, 3), "reference_deg": round(p.reference_deg, 2),
                       "predicted_deg": round(p.predicted_deg, 2),
                       "error_deg": round(p.error_deg, 2)} for p in self.peaks],
        }


def _fill(grid_s: np.ndarray, times_s: np.ndarray, values: np.ndarray) -> np.ndarray | None:
    """``values`` at ``grid_s``, gaps filled linearly; None with fewer than 2 finite values."""
    ok = np.isfinite(values)
    if ok.sum() < 2:
        return None
    return np.interp(grid_s, times_s[ok], values[ok])


def _own_grid(times_s: np.ndarray, rate_hz: float) -> tuple[int, np.ndarray]:
    k0 = math.ceil(times_s[0] * rate_hz - 1e-6)
    k1 = math.floor(times_s[-1] * rate_hz + 1e-6)
    return k0, np.arange(k0, k1 + 1) / rate_hz


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b) / den if den > 0.0 else math.nan


def estimate_lag(ref: AngleTable, pred: AngleTable, keys: list[AngleKey], rate_hz: float,
                 max_lag_s: float) -> LagEstimate:
    """The lag within ``+-max_lag_s`` with the best mean correlation over ``keys``."""
    r0, r_grid = _own_grid(ref.times_s, rate_hz)
    p0, p_grid = _own_grid(pred.times_s, rate_hz)
    pairs = []
    for key in keys:
        a = _fill(r_grid, ref.times_s, ref.values_deg[key])
        b = _fill(p_grid, pred.times_s, pred.values_deg[key])
        if a is not None and b is not None:
            pairs.append((a, b))
    if not pairs:
        raise HepvisionError("no finite data: no angle has 2 finite values in both the "
                             "reference and the prediction")
    min_n = max(3, min(len(r_grid), len(p_grid)) // 2)
    max_k = int(math.floor(max_lag_s * rate_hz + 1e-9))
    scores: dict[int, float] = {}
    for k in range(-max_k, max_k + 1):
        lo, hi = max(r0, p0 + k), min(r0 + len(r_grid), p0 + k + len(p_grid))
        if hi - lo < min_n:
            continue
        rs = [_pearson(a[lo - r0:hi - r0], b[lo - p0 - k:hi - p0 - k]) for a, b in pairs]
        finite = [r for r in rs if math.isfinite(r)]
        scores[k] = sum(finite) / len(finite) if finite else -math.inf
    if not scores:
        raise HepvisionError(f"no overlap: the reference ({_span(ref)}) and the trial "
                             f"({_span(pred)}) do not overlap within +-{max_lag_s:g} s")
    best = max(scores, key=lambda k: scores[k])
    return LagEstimate(best, _vertex(scores, best), rate_hz, scores[best])


def _vertex(scores: dict[int, float], k: int) -> float:
    """Offset of the parabola through the scores at k-1, k, k+1 (0 without both)."""
    left, mid, right = scores.get(k - 1, math.nan), scores[k], scores.get(k + 1, math.nan)
    curve = left - 2.0 * mid + right
    if not (math.isfinite(left) and math.isfinite(right)) or curve >= 0.0:
        return 0.0
    return max(-0.5, min(0.5, 0.5 * (left - right) / curve))


def _span(table: AngleTable) -> str:
    return f"{table.times_s[0]:.2f}-{table.times_s[-1]:.2f} s"


def peak_errors(ref: np.ndarray, pred: np.ndarray, grid_s: np.ndarray,
                prominence_share: float) -> tuple[PeakError, ...]:
    """Repetition peaks of ``ref`` and the prediction's extreme in each (module docstring)."""
    ok = np.isfinite(ref)
    if ok.sum() < 3:
        return ()
    filled = np.interp(grid_s, grid_s[ok], ref[ok])
    low, high, mid = float(filled.min()), float(filled.max()), float(np.median(filled))
    if high - low <= 0.0:
        return ()
    direction = 1.0 if mid - low <= high - mid else -1.0
    idx, props = find_peaks(direction * filled, prominence=prominence_share * (high - low),
                            width=0)
    out = []
    for i, left, right in zip(idx, props["left_ips"], props["right_ips"], strict=True):
        window = pred[int(math.floor(left)):int(math.ceil(right)) + 1]
        window = window[np.isfinite(window)]
        extreme = direction * float(np.max(direction * window)) if window.size else math.nan
        out.append(PeakError(float(grid_s[i]), float(filled[i]), extreme,
                             extreme - float(filled[i])))
    return tuple(out)


def score_angle(key: AngleKey, ref: np.ndarray, pred: np.ndarray, grid_s: np.ndarray,
                measured_share: float, settings: RomSettings) -> AngleScore:
    """Metrics of one angle on the common grid (both arrays on ``grid_s``)."""
    both = np.isfinite(ref) & np.isfinite(pred)
    n = int(both.sum())
    peaks = peak_errors(ref, pred, grid_s, settings.peak_prominence_share)
    if n == 0:
        nan = math.nan
        return AngleScore(key, 0, measured_share, nan, nan, nan, nan, peaks)
    diff = pred[both] - ref[both]
    r = _pearson(ref[both], pred[both]) if n >= 3 else math.nan
    return AngleScore(key, n, measured_share, float(np.sqrt(np.mean(diff ** 2))),
                      float(diff.mean()), float(np.abs(diff).mean()), r, peaks)


@dataclass(frozen=True, slots=True)
class RomComparison:
    """A trial against its reference.

    Attributes:
        lag: the shift applied to the prediction.
        overlap_s: (start, end) of the common grid, reference time, seconds.
        scores: one per angle and side, in the order scored.
    """

    lag: LagEstimate
    overlap_s: tuple[float, float]
    scores: tuple[AngleScore, ...]


def compare(ref: AngleTable, pred: AngleTable, settings: RomSettings) -> RomComparison:
    """Align ``pred`` to ``ref``, resample both to one grid and score every angle."""
    keys = list(settings.angles or sorted(ref.values_deg))
    rate = settings.rate_hz or pred.fps or DEFAULT_RATE_HZ
    lag = estimate_lag(ref, pred, keys, rate, settings.max_lag_s)
    lag_s = lag.lag_s
    shifted = pred.times_s + lag_s
    start = max(float(ref.times_s[0]), float(shifted[0]))
    end = min(float(ref.times_s[-1]), float(shifted[-1]))
    count = int(math.floor((end - start) * rate + 1e-6)) + 1
    if count < 2:
        raise HepvisionError(f"no overlap: after the {lag_s:+.3f} s lag the reference "
                             f"({_span(ref)}) and the trial overlap by under two samples")
    grid = start + np.arange(count) / rate
    inside = (shifted >= start - 1e-9) & (shifted <= end + 1e-9)
    scores = []
    for key in keys:
        ref_g = np.interp(grid, ref.times_s, ref.values_deg[key])
        pred_g = np.interp(grid, shifted, pred.values_deg[key])
        in_frames = pred.values_deg[key][inside]
        share = float(np.isfinite(in_frames).mean()) if in_frames.size else 0.0
        scores.append(score_angle(key, ref_g, pred_g, grid, share, settings))
    if not any(s.n for s in scores):
        raise HepvisionError("no finite data: no grid point has both a reference value and a "
                             "measured angle")
    return RomComparison(lag, (start, end), tuple(scores))


def _mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def score_rom(trial: Path, reference: Path, *, settings: RomSettings | None = None,
              backend: str = "onnx", cache_dir: Path | None = None,
              column_map: dict[str, ColumnMapping] | None = None) -> dict[str, Any]:
    """Score the trial's measured angles against ``reference``; the JSON-ready result."""
    settings = settings or RomSettings()
    if settings.max_lag_s < 0 or (settings.rate_hz is not None and settings.rate_hz <= 0):
        raise HepvisionError("--max-lag-s must be >= 0 and --rate-hz > 0")
    ref = read_reference(reference, column_map)
    missing = [k.label for k in settings.angles or () if k not in ref.values_deg]
    if missing:
        have = ", ".join(k.label for k in sorted(ref.values_deg))
        raise HepvisionError(f"angle {missing[0]} is not in the reference {reference} "
                             f"(it has: {have})")
    recording = load_trial(trial, backend=backend, cache_dir=cache_dir)
    keys = list(settings.angles or sorted(ref.values_deg))
    pred = measure_series(recording, keys)
    result = compare(ref, pred, settings)
    scores, lag = result.scores, result.lag
    return {
        "schema": ROM_SCHEMA, "trial": str(trial), "reference": str(reference),
        "backend": str(recording.metadata.get("backend", backend)),
        "lag_s": round(lag.lag_s, 4), "lag_samples": round(lag.samples + lag.fraction, 3),
        "lag_correlation": round(lag.correlation, 4),
        "overlap_s": [round(result.overlap_s[0], 3), round(result.overlap_s[1], 3)],
        "rmse_deg": round(_mean([s.rmse_deg for s in scores]), 3),
        "r": round(_mean([s.r for s in scores]), 4),
        "angles": [s.to_dict() for s in scores],
        "settings": {"max_lag_s": settings.max_lag_s, "rate_hz": lag.rate_hz,
                     "angles": [k.label for k in keys],
                     "peak_prominence_share": settings.peak_prominence_share,
                     "map": {src: ("-" if m.sign < 0 else "") + m.key.label
                             for src, m in (column_map or {}).items()}},
        "versions": {"hepvision": __version__,
                     "models": recording.metadata.get("model_sha256", {})},
    }


def _cell(value: Any, fmt: str) -> str:
    return "-" if value is None or (isinstance(value, float) and not math.isfinite(value)) \
        else format(value, fmt)


def format_rom_table(result: dict[str, Any]) -> str:
    """A row per angle and side, then ``RMSE=<x> r=<y> lag_s=<z>``."""
    width = max([len("angle"), *(len(r["angle"]) for r in result["angles"])])
    head = (f"{'angle':<{width}}{'n':>7}{'meas%':>7}{'lag_s':>7}{'RMSE':>7}{'bias':>7}"
            f"{'r':>7}{'pk_mean':>9}{'pk_max':>8}")
    lines = [head]
    for r in result["angles"]:
        lines.append(
            f"{r['angle']:<{width}}{r['n']:>7}{_cell(100 * r['measured_share'], '.1f'):>7}"
            f"{_cell(result['lag_s'], '.2f'):>7}{_cell(r['rmse_deg'], '.2f'):>7}"
            f"{_cell(r['bias_deg'], '+.2f'):>7}{_cell(r['r'], '.3f'):>7}"
            f"{_cell(r['peak_err_mean_deg'], '.2f'):>9}{_cell(r['peak_err_max_deg'], '.2f'):>8}")
    lines.append(f"RMSE={_cell(result['rmse_deg'], '.3f')} r={_cell(result['r'], '.3f')} "
                 f"lag_s={result['lag_s']:.3f}")
    return "\n".join(lines)
