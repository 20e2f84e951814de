"""Per-class rep-counting figures (the table RepCount-A papers report) and the ``bench reps``
plot.

A clip's class is its label's ``kind``: RepCount-A's ``type`` (``squat``, ``pull_up``, ...),
else the template id, else ``-``. Per class: clips, MAE, OBO, exact counts and the micro event
F1 over the class's clips that have event labels (None when none has), computed exactly as
the overall figures (:func:`~hepvision.evaluation.rep_scoring.summary_json`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hepvision.evaluation.rep_scoring import ClipScore, summary_json

__all__ = ["UNCLASSED", "class_table", "format_class_lines", "plot_reps"]

UNCLASSED = "-"


def class_table(scores: Sequence[ClipScore]) -> list[dict[str, Any]]:
    """One JSON row per class, sorted by class name."""
    groups: dict[str, list[ClipScore]] = {}
    for s in scores:
        groups.setdefault(s.row.kind or UNCLASSED, []).append(s)
    rows = []
    for kind in sorted(groups):
        summary = summary_json(groups[kind])
        events = summary["events"]
        rows.append({"class": kind, "n": summary["n"], "mae": summary["mae"],
                     "obo": summary["obo"], "exact": summary["exact"],
                     "event_f1": events["f1"] if events["clips"] else None,
                     "event_clips": events["clips"]})
    return rows


def format_class_lines(rows: Sequence[dict[str, Any]]) -> list[str]:
    """``class <name>: exact=k/n mae=.. obo=.. event_F1=..`` per class."""
    width = max((len(r["class"]) for r in rows), default=0)
    lines = []
    for r in rows:
        f1 = "-" if r["event_f1"] is None else f"{r['event_f1']:.3f}"
        lines.append(f"class {r['class']:<{width}}: exact={r['exact']}/{r['n']} "
                     f"mae={r['mae']:.3f} obo={r['obo']:.3f} event_F1={f1}")
    return lines


def plot_reps(result: dict[str, Any], out: Path) -> Path:
    """Write a PNG: predicted against true count per clip (error rows marked), and the MAE
    and OBO of each class. Returns ``out``."""
    import matplotlib

    matplotlib.use("Agg")  # no display: batch machines and CI have none
    from matplotlib import pyplot as plt

    clips = result["clips"]
    classes = result["classes"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8))
    try:
        true = [c["true_reps"] for c in clips]
        pred = [c["predicted_reps"] for c in clips]
        ok = [c["status"] == "ok" for c in clips]
        top = max([*true, *pred, 1]) + 1
        left.plot([0, top], [0, top], color="0.6", lw=1, label="pred = true")
        left.fill_between([0, top], [-1, top - 1], [1, top + 1], color="0.9", label="+-1 (OBO)")
        left.scatter([t for t, k in zip(true, ok, strict=True) if k],
                     [p for p, k in zip(pred, ok, strict=True) if k], s=18, label="clip")
        left.scatter([t for t, k in zip(true, ok, strict=True) if not k],
                     [p for p, k in zip(pred, ok, strict=True) if not k], s=22, marker="x",
                     color="tab:red", label="error row (pred 0)")
        left.set(xlim=(0, top), ylim=(0, top), xlabel="true count", ylabel="predicted count",
                 title=f"MAE={result['mae']:.3f} OBO={result['obo']:.3f} "
                       f"exact={result['exact']}/{result['n']}")
        left.legend(loc="upper left", fontsize=8)
        names = [c["class"] for c in classes]
        x = range(len(names))
        right.bar([i - 0.2 for i in x], [c["mae"] for c in classes], width=0.4, label="MAE")
        right.bar([i + 0.2 for i in x], [c["obo"] for c in classes], width=0.4, label="OBO")
        right.set_xticks(list(x), [f"{n} ({c['n']})" for n, c in zip(names, classes,
                                                                        strict=True)],
                         rotation=45, ha="right", fontsize=8)
        right.set(title="by class (clips)", ylim=(0, max([1.0, *(c["mae"] for c in classes)])))
        right.legend(fontsize=8)
        fig.tight_layout()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp.png")
        fig.savefig(tmp, dpi=110)
        tmp.replace(out)
    finally:
        plt.close(fig)
    return out
