"""One clip's row of the batch summary: counts, ROM per repetition, speed, or the error."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["ClipOutcome", "STATUS_ERROR", "STATUS_OK", "outcome_from_report"]

STATUS_OK = "ok"
STATUS_ERROR = "error"


@dataclass(frozen=True, slots=True)
class ClipOutcome:
    """The result of :func:`~hepvision.batch.process.process_clip` for one clip.

    Attributes:
        name: the clip's name in the output folder (``reports/<name>.json``).
        path: the clip as given.
        exercise: template id it was scored with.
        status: ``ok`` or ``error``; ``error`` holds the reason.
        cached: True when a done mark from an earlier run was read instead of tracking.
        reps, partial_reps: counted and partial (not counted) repetitions.
        rom_range_deg, rom_peak_deg: each counted repetition's range (peak minus start) and
            peak of the template's signal angle, degrees (None where a repetition has none).
        frames, frames_with_pose: frames read, and those with a person found.
        duration_s: media time covered. wall_s: wall seconds the clip took (tracking, or
            reading the done mark). frames_per_s: frames / wall seconds of the run that
            tracked it.
        models: landmark and detector model SHA-256 by file. template_sha256: the template's.
        worker: ``host:pid`` of the process that tracked it.
    """

    name: str
    path: str
    exercise: str
    status: str = STATUS_OK
    error: str | None = None
    cached: bool = False
    reps: int | None = None
    partial_reps: int | None = None
    rom_range_deg: tuple[float | None, ...] = ()
    rom_peak_deg: tuple[float | None, ...] = ()
    frames: int = 0
    frames_with_pose: int = 0
    duration_s: float = 0.0
    wall_s: float = 0.0
    frames_per_s: float = 0.0
    models: tuple[tuple[str, str], ...] = ()
    template_sha256: str | None = None
    worker: str = ""

    @classmethod
    def failed(cls, name: str, path: str, exercise: str, error: str, *, wall_s: float,
               worker: str) -> ClipOutcome:
        return cls(name, path, exercise, STATUS_ERROR, error, wall_s=round(wall_s, 3),
                   worker=worker)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["rom_range_deg"] = list(self.rom_range_deg)
        out["rom_peak_deg"] = list(self.rom_peak_deg)
        out["models"] = dict(self.models)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClipOutcome:
        """The outcome :meth:`to_json` wrote (raises KeyError/TypeError on another shape)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise KeyError(f"unknown outcome fields {sorted(unknown)}")
        values = dict(data)
        values["rom_range_deg"] = tuple(data["rom_range_deg"])
        values["rom_peak_deg"] = tuple(data["rom_peak_deg"])
        values["models"] = tuple(sorted(data["models"].items()))
        return cls(**values)


def outcome_from_report(name: str, path: str, report: dict[str, Any], *, wall_s: float,
                        worker: str) -> ClipOutcome:
    """The summary row of a clip tracked into ``report`` (a ``track`` report)."""
    details = report["rep_details"]
    frames = int(report["frames"])
    return ClipOutcome(
        name, path, report["exercise"], reps=int(report["reps"]),
        partial_reps=int(report["partial_reps"]),
        rom_range_deg=tuple(_deg(r.get("rom_range_deg")) for r in details),
        rom_peak_deg=tuple(_deg(r.get("rom_peak_deg")) for r in details),
        frames=frames, frames_with_pose=int(report["frames_with_pose"]),
        duration_s=float(report["duration_s"]), wall_s=round(wall_s, 3),
        frames_per_s=round(frames / wall_s, 2) if wall_s > 0 else 0.0,
        models=tuple(sorted(report["versions"]["models"].items())),
        template_sha256=report["versions"]["template"]["sha256"], worker=worker)


def _deg(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)
