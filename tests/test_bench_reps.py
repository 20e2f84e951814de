"""``hepvision bench reps``: labels formats, the RepCount-A metrics, caching, the last line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hepvision.cli.main import main
from hepvision.errors import HepvisionError
from hepvision.evaluation.reps import read_labels, rep_metrics

SHARED_REPCOUNT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "repcount_a"


def test_metrics_follow_repcount_definitions() -> None:
    m = rep_metrics([4, 10, 2, 5], [4, 8, 3, 5])
    assert m["mae"] == pytest.approx((0 + 0.2 + 0.5 + 0) / 4, abs=1e-4)
    assert m["obo"] == pytest.approx(0.75)
    assert m["exact"] == 2 and m["n"] == 4


def test_reads_hepvision_labels(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("file,exercise,template,true_reps,notes\na.mp4,curl,elbow_flexion,3,x\n"
                      "b.mp4,squat,,5,\n")
    rows = read_labels(labels)
    assert [(r.file, r.template, r.true_reps) for r in rows] == [
        ("a.mp4", "elbow_flexion", 3), ("b.mp4", None, 5)]


def test_reads_repcount_a_annotations() -> None:
    path = SHARED_REPCOUNT / "new_test.csv"
    if not path.is_file():
        pytest.skip("../shared/data/repcount_a is absent")
    rows = read_labels(path)
    assert len(rows) == 250
    assert rows[0].file == "stu9_2.mp4" and rows[0].true_reps == 3 and rows[0].template is None


def test_bad_labels_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("clip,reps\na.mp4,3\n")
    with pytest.raises(HepvisionError, match="expected columns"):
        read_labels(bad)
    bad.write_text("file,template,true_reps\na.mp4,squat,three\n")
    with pytest.raises(HepvisionError, match="not a number"):
        read_labels(bad)


def test_bench_reps_end_to_end_with_cache(tmp_path: Path, shared_videos: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("file,template,true_reps\nfront_raise_side_musclewiki_kshitij.mp4,"
                      "shoulder_flexion,2\nmissing_clip.mp4,squat,3\n")
    cache, out = tmp_path / "cache", tmp_path / "r.json"
    args = ["bench", "reps", "--labels", str(labels), "--videos", str(shared_videos),
            "--cache-dir", str(cache), "--out", str(out)]
    assert main(args) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "MAE=0.000 OBO=1.000 exact=1/1"
    assert len(list(cache.glob("*.npz"))) == 1
    stamp = next(cache.glob("*.npz")).stat().st_mtime_ns
    assert main(args) == 0  # re-scoring replays the cache
    assert next(cache.glob("*.npz")).stat().st_mtime_ns == stamp
    result = json.loads(out.read_text())
    assert result["clips"][0]["predicted_reps"] == 2


def test_repcount_file_uses_template_free_counter(tmp_path: Path, shared_videos: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "repcount.csv"
    labels.write_text(",type,name,count,L1,L2,L3,L4\n0,front_raise,"
                      "front_raise_side_musclewiki_kshitij.mp4,2,30,80,110,160\n")
    assert main(["bench", "reps", "--labels", str(labels), "--videos", str(shared_videos),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    assert "front_raise_side_musclewiki_kshitij.mp4" in out
    assert out.strip().splitlines()[-1].startswith("MAE=")
