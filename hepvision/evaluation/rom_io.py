"""Inputs of ``hepvision bench rom``: reference angle tables and the measured prediction.

Two reference formats, both read into an :class:`AngleTable` (times in seconds, degrees):

- **CSV** (ours): a ``time_s`` column and one column per angle and side named
  ``<AngleName>_<side>``, e.g. ``knee_flexion_left``; neutral-zero degrees in our sign
  conventions (see :class:`~hepvision.kinematics.AngleName`). Every other column is an error
  (so a misspelt name is not silently skipped) unless ``--map`` renames it.
- **OpenSim** ``.mot`` / ``.sto``: header lines up to ``endheader`` (``inDegrees=no`` means
  radians), a line of column names, then a whitespace-separated table with a ``time`` column.
  Coordinates with a clear counterpart are mapped by :data:`OPENSIM_NAMES`, with these sign
  assumptions (OpenSim's are those of the Rajagopal 2015 / OpenCap LaiUhlrich2022 models):

  - ``knee_angle_r/_l`` -> ``knee_flexion_right/_left``, sign +1: flexion positive (Rajagopal,
    OpenCap). The gait2392/2354 models are flexion-NEGATIVE: pass
    ``--map knee_angle_r=-knee_flexion_right`` (a hint is logged when a knee reference looks
    like that).
  - ``hip_flexion_r/_l`` -> ``hip_flexion_*``, +1. OpenSim measures the thigh against the
    pelvis, we against the trunk line: they differ by pelvic tilt and lumbar flexion.
  - ``hip_adduction_r/_l`` -> ``hip_abduction_*``, -1 (OpenSim: adduction positive).
  - ``ankle_angle_r/_l`` -> ``ankle_dorsiflexion_*``, +1 (dorsiflexion positive, 0 with the
    foot at 90 deg to the shank).
  - ``elbow_flex_r/_l`` -> ``elbow_flexion_*``, +1 (0 = straight).
  - ``arm_flex_r/_l`` -> ``shoulder_flexion_*``, +1: the first Euler angle of the shoulder
    joint; it equals our sagittal projection only for motion in the sagittal plane.

  A column already spelt in our names is read as is; other coordinates (pelvis, lumbar,
  arm_add, rotations) are ignored. ``--map SRC=[-]ours`` maps any column (a leading ``-`` on
  ``ours`` flips its sign) and overrides these defaults.

The prediction is the per-frame reading of each angle by
:func:`~hepvision.kinematics.measure_angle` on a landmark recording (``.npz``) or on a video
(pose through the landmark cache of ``bench reps``); NaN where not measurable, never smoothed.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hepvision.errors import HepvisionError
from hepvision.evaluation.reps import cached_landmarks, default_cache_dir
from hepvision.kinematics import AngleName, FramePoints, Side, measure_angle
from hepvision.pose.recording import LandmarkRecording, load_recording

log = logging.getLogger(__name__)

TIME_COLUMN_CSV = "time_s"
TIME_COLUMN_MOT = "time"
MOT_SUFFIXES = (".mot", ".sto")


@dataclass(frozen=True, slots=True, order=True)
class AngleKey:
    """One angle on one side, spelt ``<angle>_<side>`` (e.g. ``knee_flexion_left``)."""

    name: AngleName
    side: Side

    @property
    def label(self) -> str:
        return f"{self.name.value}_{self.side.value}"

    @classmethod
    def parse(cls, text: str) -> AngleKey:
        """The key spelt ``text``; :class:`HepvisionError` naming the valid spellings if none."""
        base, _, side = text.strip().rpartition("_")
        try:
            return cls(AngleName(base), Side(side))
        except ValueError:
            names = ", ".join(a.value for a in AngleName)
            raise HepvisionError(f"unknown angle {text!r}: expected <angle>_left or "
                                 f"<angle>_right with <angle> one of {names}") from None


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Where one source column goes: ``value_deg = sign * column``."""

    key: AngleKey
    sign: float


@dataclass(frozen=True, slots=True)
class AngleTable:
    """Angle time series of one trial.

    Attributes:
        times_s: (N,) float64 seconds, strictly increasing.
        values_deg: (N,) float64 degrees per angle and side, neutral-zero; NaN where missing.
        source: the file it came from.
        fps: nominal frame rate (a recording's), or None for a reference table.
    """

    times_s: np.ndarray
    values_deg: dict[AngleKey, np.ndarray]
    source: str
    fps: float | None = None


def _opensim_defaults() -> dict[str, ColumnMapping]:
    pairs = (("knee_angle", AngleName.KNEE_FLEXION, 1.0),
             ("hip_flexion", AngleName.HIP_FLEXION, 1.0),
             ("hip_adduction", AngleName.HIP_ABDUCTION, -1.0),
             ("ankle_angle", AngleName.ANKLE_DORSIFLEXION, 1.0),
             ("elbow_flex", AngleName.ELBOW_FLEXION, 1.0),
             ("arm_flex", AngleName.SHOULDER_FLEXION, 1.0))
    return {f"{coord}_{suffix}": ColumnMapping(AngleKey(name, side), sign)
            for coord, name, sign in pairs
            for suffix, side in (("r", Side.RIGHT), ("l", Side.LEFT))}


#: OpenSim coordinate -> our angle and the sign that converts it (see the module docstring).
OPENSIM_NAMES: dict[str, ColumnMapping] = _opensim_defaults()


def parse_column_map(items: Sequence[str]) -> dict[str, ColumnMapping]:
    """``--map`` values ``SRC=[-]ours`` as a column -> mapping dictionary."""
    out: dict[str, ColumnMapping] = {}
    for item in items:
        src, sep, target = item.partition("=")
        if not sep or not src.strip() or not target.strip():
            raise HepvisionError(f"--map {item!r}: expected SOURCE_COLUMN=[-]angle_side, "
                                 "e.g. knee_angle_r=-knee_flexion_right")
        target = target.strip()
        sign = -1.0 if target.startswith("-") else 1.0
        out[src.strip()] = ColumnMapping(AngleKey.parse(target.lstrip("-")), sign)
    return out


def read_reference(path: Path, column_map: dict[str, ColumnMapping] | None = None
                   ) -> AngleTable:
    """The reference angles in ``path`` (CSV, or OpenSim ``.mot``/``.sto``), in our names."""
    if not path.is_file():
        raise HepvisionError(f"reference file not found: {path}")
    overrides = column_map or {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise HepvisionError(f"cannot read reference {path}: {exc}") from exc
    if path.suffix.lower() in MOT_SUFFIXES:
        header, rows, degrees = _split_mot(text, path)
        time_col = TIME_COLUMN_MOT
    else:
        parsed = [(i + 1, row) for i, row in enumerate(csv.reader(text.splitlines())) if row]
        if not parsed:
            raise HepvisionError(f"reference {path} is empty")
        header, rows, degrees = parsed[0][1], parsed[1:], True
        time_col = TIME_COLUMN_CSV
    header = [h.strip() for h in header]
    if time_col not in header:
        raise HepvisionError(f"reference {path} has no {time_col!r} column "
                             f"(columns: {', '.join(header) or 'none'})")
    unknown = sorted(set(overrides) - set(header))
    if unknown:
        raise HepvisionError(f"--map names column {unknown[0]!r}, which {path} does not have")
    strict = path.suffix.lower() not in MOT_SUFFIXES
    mapping = _map_columns(header, time_col, overrides, strict=strict, path=path)
    table = _numeric(rows, len(header), path)
    return _to_table(table, header.index(time_col), mapping, degrees, path)


def _split_mot(text: str, path: Path) -> tuple[list[str], list[tuple[int, list[str]]], bool]:
    """Column names, (line number, cells) rows and whether the values are degrees."""
    lines = text.splitlines()
    end = next((i for i, line in enumerate(lines) if line.strip().lower() == "endheader"), None)
    if end is None:
        raise HepvisionError(f"OpenSim file {path} has no 'endheader' line")
    degrees = True
    for line in lines[:end]:
        key, _, value = line.partition("=")
        if key.strip().lower() == "indegrees":
            degrees = value.strip().lower() != "no"
    body = [(i + 1, line) for i, line in enumerate(lines) if i > end and line.strip()]
    if not body:
        raise HepvisionError(f"OpenSim file {path} has no column names after 'endheader'")
    return body[0][1].split(), [(n, line.split()) for n, line in body[1:]], degrees


def _map_columns(header: list[str], time_col: str, overrides: dict[str, ColumnMapping], *,
                 strict: bool, path: Path) -> dict[int, ColumnMapping]:
    """Column index -> mapping; CSV (``strict``) rejects columns it cannot name."""
    mapping: dict[int, ColumnMapping] = {}
    for i, col in enumerate(header):
        if col == time_col:
            continue
        if col in overrides:
            mapping[i] = overrides[col]
        elif not strict and col in OPENSIM_NAMES:
            mapping[i] = OPENSIM_NAMES[col]
        else:
            try:
                mapping[i] = ColumnMapping(AngleKey.parse(col), 1.0)
            except HepvisionError as exc:
                if strict:
                    raise HepvisionError(f"reference {path}, column {col!r}: {exc}; rename it "
                                         f"with --map {col}=<angle>_<side>") from None
                log.debug("ignoring OpenSim column %s", col)
    keys = [m.key for m in mapping.values()]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup is not None:
        raise HepvisionError(f"reference {path}: two columns map to {dup.label}")
    if not mapping:
        raise HepvisionError(f"reference {path} has no angle column hepvision knows "
                             "(use --map SOURCE_COLUMN=<angle>_<side>)")
    return mapping


def _numeric(rows: list[tuple[int, list[str]]], width: int, path: Path) -> np.ndarray:
    """(rows, width) float64 from (line number, cells) rows; an empty cell is NaN."""
    out = np.full((len(rows), width), np.nan)
    for r, (line, row) in enumerate(rows):
        if len(row) != width:
            raise HepvisionError(f"{path}:{line}: {len(row)} values, expected {width}")
        for c, cell in enumerate(row):
            if cell.strip():
                try:
                    out[r, c] = float(cell)
                except ValueError:
                    raise HepvisionError(f"{path}:{line}: {cell!r} is not a "
                                         "number") from None
    return out


def _to_table(table: np.ndarray, time_index: int, mapping: dict[int, ColumnMapping],
              degrees: bool, path: Path) -> AngleTable:
    times = table[:, time_index]
    if len(times) < 2:
        raise HepvisionError(f"reference {path} has fewer than 2 rows")
    if not np.isfinite(times).all() or not np.all(np.diff(times) > 0):
        raise HepvisionError(f"reference {path}: times are not finite and strictly increasing")
    scale = 1.0 if degrees else math.degrees(1.0)
    values = {m.key: m.sign * scale * table[:, i] for i, m in sorted(mapping.items())}
    _warn_flexion_negative(values, mapping, path)
    return AngleTable(times, values, str(path))


def _warn_flexion_negative(values: dict[AngleKey, np.ndarray],
                           mapping: dict[int, ColumnMapping], path: Path) -> None:
    """Log a hint when a knee flexion reference is negative in flexion (gait2392 models)."""
    for key, series in values.items():
        finite = series[np.isfinite(series)]
        if key.name is AngleName.KNEE_FLEXION and finite.size and \
                float(finite.min()) < -20.0 and float(finite.max()) < 5.0:
            log.warning("%s: %s is negative in flexion (a gait2392-style model?); flip it with "
                        "--map <column>=-%s", path, key.label, key.label)


def load_trial(trial: Path, *, backend: str = "onnx",
               cache_dir: Path | None = None) -> LandmarkRecording:
    """The trial's landmarks: a ``.npz`` recording as is, a video through the pose cache."""
    if not trial.is_file():
        raise HepvisionError(f"trial not found: {trial}")
    if trial.suffix.lower() == ".npz":
        return load_recording(trial)
    return cached_landmarks(trial, backend, cache_dir or default_cache_dir())


def measure_series(recording: LandmarkRecording, keys: Sequence[AngleKey]) -> AngleTable:
    """Each angle per frame by :func:`measure_angle`: NaN where nobody or not measurable."""
    n = len(recording.results)
    values = {key: np.full(n, np.nan) for key in keys}
    for i, result in enumerate(recording.results):
        if not result.detected:
            continue
        frame = FramePoints.from_result(result)
        for key in keys:
            values[key][i] = measure_angle(frame, key.name, key.side).value_deg
    times = np.array([r.timestamp_ms for r in recording.results], dtype=np.float64) / 1000.0
    source = str(recording.metadata.get("source", "recording"))
    return AngleTable(times, values, source, recording.fps)
