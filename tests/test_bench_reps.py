"""``hepvision bench reps``: labels formats, rep events, error rows, folds, the last line."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from hepvision.analysis import DEFAULT_CONSTANTS, CountingConstants
from hepvision.cli.main import main
from hepvision.errors import HepvisionError
from hepvision.evaluation import rep_folds, reps
from hepvision.evaluation.rep_events import (
    LabelEvent,
    event_tolerance_s,
    match_events,
    parse_rep_events,
)
from hepvision.evaluation.rep_folds import Predictor, assign_folds, grid_candidates, run_folds
from hepvision.evaluation.rep_scoring import ClipPrediction, LabelRow
from hepvision.evaluation.reps import read_labels, rep_metrics, score_reps
from hepvision.pose.recording import LandmarkRecording
from hepvision.synthetic import synthesize

SHARED_REPCOUNT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "repcount_a"
LAST_LINE = re.compile(r"MAE=\d+\.\d{3} OBO=\d+\.\d{3} exact=\d+/\d+")


def times(text: str, true_reps: int) -> list[float | tuple[float, float]]:
    """The kept events of ``text`` as seconds (points) or (start, end) (intervals)."""
    parsed = parse_rep_events(text, true_reps)
    assert parsed.problem is None, parsed.problem
    return [e.start_s if e.start_s == e.end_s else (e.start_s, e.end_s) for e in parsed.events]


# --- counts -----------------------------------------------------------------------------------

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
    assert rows[0].events.problem == "no rep_event_times_s column"


def test_reads_repcount_a_annotations() -> None:
    path = SHARED_REPCOUNT / "new_test.csv"
    if not path.is_file():
        pytest.skip("../shared/data/repcount_a is absent")
    rows = read_labels(path)
    assert len(rows) == 250
    assert rows[0].file == "stu9_2.mp4" and rows[0].true_reps == 3 and rows[0].template is None
    assert "counts only" in (rows[0].events.problem or "")


def test_bad_labels_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("clip,reps\na.mp4,3\n")
    with pytest.raises(HepvisionError, match="expected columns"):
        read_labels(bad)
    bad.write_text("file,template,true_reps\na.mp4,squat,three\n")
    with pytest.raises(HepvisionError, match="not a number"):
        read_labels(bad)


# --- parsing rep_event_times_s: one test per format of labels.csv ------------------------------

def test_parses_ranges_of_a_paused_bottom() -> None:
    assert times("bottom 1.3-4.0 8.3-11.0", 2) == [(1.3, 4.0), (8.3, 11.0)]


def test_parses_approximate_times() -> None:
    assert times("tops ~1.0 ~3.75", 2) == [1.0, 3.75]


def test_parses_semicolon_lists() -> None:
    assert times("1.7;4.7;7.5", 3) == [1.7, 4.7, 7.5]
    assert times("1;4;6.6;8.9", 4) == [1.0, 4.0, 6.6, 8.9]


def test_parses_a_multi_word_label() -> None:
    assert times("arms overhead 0.7 2.7 4.8 6.9", 4) == [0.7, 2.7, 4.8, 6.9]


def test_start_marker_is_dropped_only_when_there_are_too_many_events() -> None:
    text = "tops 0.0(start) 5.0 9.3 14.2 18.1(end)"
    parsed = parse_rep_events(text, 4)
    assert [e.start_s for e in parsed.events] == [5.0, 9.3, 14.2, 18.1]
    assert [(e.start_s, e.marker) for e in parsed.dropped] == [(0.0, "start")]
    assert parsed.events[-1].marker == "end"  # an (end) event is kept
    assert times(text, 5) == [0.0, 5.0, 9.3, 14.2, 18.1]


def test_parenthesised_incomplete_is_not_a_repetition() -> None:
    parsed = parse_rep_events("bottoms 1.4-2.8 6.0-7.4 (11.2-12.4 incomplete)", 2)
    assert parsed.problem is None
    assert [(e.start_s, e.end_s) for e in parsed.events] == [(1.4, 2.8), (6.0, 7.4)]
    assert [(e.start_s, e.end_s, e.marker) for e in parsed.dropped] == [
        (11.2, 12.4, "incomplete")]


def test_every_n_seconds_from_to_is_evenly_spaced() -> None:
    got = times("bottoms every ~2 s from 3.4 to 42.4", 20)
    assert len(got) == 20 and got[0] == pytest.approx(3.4) and got[-1] == pytest.approx(42.4)
    assert got[1] == pytest.approx(3.4 + 39.0 / 19)
    # 5 events from 3.4 to 42.4 would be 9.75 s apart, not ~2 s: no event score
    assert "not ~2" in (parse_rep_events("bottoms every ~2 s from 3.4 to 42.4", 5).problem or "")


def test_unreadable_or_miscounted_rows_get_a_reason_not_an_exception() -> None:
    assert "true_reps is 3" in (parse_rep_events("1.0 2.0", 3).problem or "")
    assert "unreadable" in (parse_rep_events("tops 1.0 then 2.0", 2).problem or "")
    assert "unreadable" in (parse_rep_events("1.0 (2.0", 2).problem or "")
    assert "unreadable" in (parse_rep_events("4.0-1.0", 1).problem or "")
    assert parse_rep_events("", 2).problem == "no rep_event_times_s given"


def test_every_row_of_the_shared_labels_parses(shared_videos: Path) -> None:
    rows = read_labels(shared_videos / "labels.csv")
    assert len(rows) == 28
    assert [(r.file, r.events.problem) for r in rows if r.events.problem] == []
    assert all(len(r.events.events) == r.true_reps for r in rows)


# --- matching ---------------------------------------------------------------------------------

def test_matching_is_one_to_one() -> None:
    score = match_events([LabelEvent(2.0, 2.0)], [1.9, 2.1])
    assert (score.tp, score.fp, score.fn) == (1, 1, 0)
    assert score.matches[0].predicted_s == 1.9 or score.matches[0].predicted_s == 2.1


def test_tolerance_is_the_larger_of_0_6_s_and_a_third_of_the_period() -> None:
    slow = [LabelEvent(t, t) for t in (3.0, 6.0, 9.0)]  # period 3 s -> 1.0 s
    assert event_tolerance_s(slow) == pytest.approx(1.0)
    assert match_events(slow, [6.95]).tp == 1 and match_events(slow, [7.05]).tp == 0
    fast = [LabelEvent(t, t) for t in (1.0, 2.0, 3.0)]  # period 1 s -> 0.6 s
    assert event_tolerance_s(fast) == pytest.approx(0.6)
    assert match_events(fast, [2.55]).tp == 1 and match_events(fast, [1.35]).tp == 1
    assert event_tolerance_s([LabelEvent(1.0, 1.0)]) == pytest.approx(0.6)


def test_a_range_matches_anywhere_inside_and_measures_to_its_edge() -> None:
    paused = [LabelEvent(1.3, 4.0)]
    inside = match_events(paused, [3.5])
    assert inside.tp == 1 and inside.matches[0].error_s == 0.0
    after = match_events(paused, [4.5])
    assert after.tp == 1 and after.matches[0].error_s == pytest.approx(0.5)
    assert match_events(paused, [0.6]).tp == 0  # 0.7 s before the range


def test_matching_maximises_matches_where_nearest_first_would_not() -> None:
    # Nearest-pair-first takes (1.45 -> 1.0, 0.45 s) and leaves 0.5 with nothing in reach
    # (2.0 is 1.5 s away): 1 match. The optimum pairs 0.5 -> 1.0 and 1.45 -> 2.0: 2 matches.
    labels = [LabelEvent(1.0, 1.0), LabelEvent(2.0, 2.0)]
    score = match_events(labels, [1.45, 0.5])
    assert (score.tp, score.fp, score.fn) == (2, 0, 0)
    assert [(m.label.start_s, m.predicted_s) for m in score.matches] == [(1.0, 0.5), (2.0, 1.45)]


# --- scoring through score_reps without pose (landmarks injected) -----------------------------

@pytest.fixture()
def synthetic_clips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A videos folder whose clips ``squat3.mp4`` and ``squat4.mp4`` replay synthetic squats;
    pose is never run (``cached_landmarks`` is replaced)."""
    videos = tmp_path / "videos"
    videos.mkdir()
    recordings = {}
    for reps_n in (3, 4):
        rec = synthesize("squat", reps=reps_n, yaw_deg=90.0, seed=reps_n)
        (videos / f"squat{reps_n}.mp4").write_bytes(b"")
        recordings[f"squat{reps_n}.mp4"] = (LandmarkRecording(tuple(rec.results), 30.0),
                                            rec.rep_peak_ms)

    def fake(video: Path, backend: str, cache_dir: Path) -> LandmarkRecording:
        return recordings[video.name][0]

    monkeypatch.setattr(reps, "cached_landmarks", fake)
    peaks = {name: ";".join(f"{ms / 1000:.2f}" for ms in r[1]) for name, r in recordings.items()}
    (videos / "peaks.json").write_text(json.dumps(peaks))
    return videos


def test_error_rows_are_misses_and_never_stop_the_run(
        synthetic_clips: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    peaks = json.loads((synthetic_clips / "peaks.json").read_text())
    labels = tmp_path / "labels.csv"
    labels.write_text("file,template,true_reps,rep_event_times_s\n"
                      f"squat3.mp4,no_such_template,3,{peaks['squat3.mp4']}\n"
                      "missing_clip.mp4,squat,3,1;2;3\n"
                      f"squat4.mp4,squat,4,{peaks['squat4.mp4']}\n")
    out = tmp_path / "r.json"
    assert main(["bench", "reps", "--labels", str(labels), "--videos", str(synthetic_clips),
                 "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.search(r"squat3\.mp4 .* error .* unknown template$", lines[1])
    assert re.search(r"missing_clip\.mp4 .* error .* missing clip$", lines[2])
    assert re.search(r"squat4\.mp4 .* 4 +4 +4 +0 +0 +1\.00  ok$", lines[3])
    assert lines[-2] == "events: P=1.000 R=0.400 F1=0.571 (TP=4 FP=0 FN=6)"
    assert lines[-1] == "MAE=0.667 OBO=0.333 exact=1/3"
    result = json.loads(out.read_text())
    bad, missing, good = result["clips"]
    assert bad["predicted_reps"] == 0 and "no_such_template" in bad["error"]
    assert missing["status"] == "missing clip" and missing["events"]["fn"] == 3
    assert good["error"] is None and len(good["events"]["matches"]) == 4
    assert {"label_s", "predicted_s", "error_s"} == set(good["events"]["matches"][0])
    assert result["events"]["fn"] == 6 and result["folds"] is None


def test_a_run_where_nothing_scores_exits_1(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("file,template,true_reps\na.mp4,squat,2\n")
    assert main(["bench", "reps", "--labels", str(labels), "--videos", str(tmp_path),
                 "--cache-dir", str(tmp_path / "c")]) == 1
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1] == "MAE=1.000 OBO=0.000 exact=0/1"
    assert "none of the clips" in captured.err


def test_each_grid_point_analyses_a_clip_once(synthetic_clips: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    default = DEFAULT_CONSTANTS.finish_return_fraction
    grid = {"finish_return_fraction": (default, *[v for v in (0.3, 0.6, 0.9) if v != default][:2])}
    monkeypatch.setattr(reps, "FIT_GRID", grid)
    calls: list[str] = []
    original = reps.ClipCounter._predict

    def counting(self: reps.ClipCounter, file: str, template_id: str | None,
                 constants: CountingConstants) -> ClipPrediction:
        calls.append(file)
        return original(self, file, template_id, constants)

    monkeypatch.setattr(reps.ClipCounter, "_predict", counting)
    labels = synthetic_clips / "labels.csv"
    labels.write_text("file,template,true_reps\nsquat3.mp4,squat,3\nsquat4.mp4,squat,4\n")
    result = score_reps(labels, synthetic_clips, folds=2)
    # three grid points, one of them the default used for the main table: 3 passes a clip
    assert sorted(calls) == ["squat3.mp4"] * 3 + ["squat4.mp4"] * 3
    assert result["folds"]["pooled"]["exact"] == 2


# --- folds ------------------------------------------------------------------------------------

FILES = [f"clip{i:02d}.mp4" for i in range(10)]


def test_folds_are_deterministic_round_robin_over_hashed_names() -> None:
    folds = assign_folds(FILES, 3)
    assert folds == assign_folds(list(reversed(FILES)) + FILES[:2], 3)  # order, duplicates
    sizes = sorted(list(folds.values()).count(k) for k in (1, 2, 3))
    assert sizes == [3, 3, 4]
    assert folds != assign_folds(FILES, 4)
    with pytest.raises(HepvisionError, match="at least 2"):
        assign_folds(FILES, 1)
    with pytest.raises(HepvisionError, match="more than the 10"):
        assign_folds(FILES, 11)


def test_grid_is_generic_over_the_constants_fields() -> None:
    assert grid_candidates({}) == [DEFAULT_CONSTANTS]
    got = grid_candidates({"finish_return_fraction": (0.5, 0.9)})
    assert got == [CountingConstants(0.5), CountingConstants(0.9)]
    with pytest.raises(ValueError, match="not fields"):
        grid_candidates({"no_such_field": (1.0,)})


def preferring(prefs: dict[str, float]) -> Predictor:
    """A scorer under which each clip is counted exactly only with its preferred value."""
    def predict(row: LabelRow, c: CountingConstants) -> ClipPrediction:
        ok = c.finish_return_fraction == prefs[row.file]
        return ClipPrediction(row.true_reps if ok else row.true_reps + 1, (), "template", "t")
    return predict


def test_a_folds_constants_never_depend_on_its_own_clips(
        monkeypatch: pytest.MonkeyPatch) -> None:
    grid = {"finish_return_fraction": (0.5, 0.6, 0.75, 0.9)}
    rows = [LabelRow(f, "t", 3) for f in FILES]
    fold_of = assign_folds(FILES, 3)
    prefs = {f: 0.5 if fold_of[f] == 1 else 0.9 for f in FILES}
    before = run_folds(rows, 3, preferring(prefs), grid)
    assert before[0].constants.finish_return_fraction == 0.9  # fitted on folds 2 and 3
    assert sum(s.exact for s in before[0].scores) == 0  # fold 1's clips wanted 0.5
    flipped = {f: 0.6 if fold_of[f] == 1 else p for f, p in prefs.items()}
    after = run_folds(rows, 3, preferring(flipped), grid)
    assert after[0].constants == before[0].constants
    seen: list[tuple[set[str], int]] = []
    choose = rep_folds.choose_constants

    def spy(train: Sequence[LabelRow], predict: Predictor,
            candidates: Sequence[CountingConstants],
            defaults: CountingConstants = DEFAULT_CONSTANTS) -> CountingConstants:
        seen.append(({r.file for r in train}, len(seen) + 1))
        return choose(train, predict, candidates, defaults)

    monkeypatch.setattr(rep_folds, "choose_constants", spy)
    run_folds(rows, 3, preferring(prefs), grid)
    for train, k in seen:
        assert train == {f for f in FILES if fold_of[f] != k}


def test_ties_go_to_the_constants_closest_to_the_defaults() -> None:
    rows = [LabelRow(f, "t", 3) for f in FILES]
    same = {f: -1.0 for f in FILES}  # no candidate is ever exact
    folds = run_folds(rows, 2, preferring(same), {"finish_return_fraction": (0.5, 0.6, 0.9)},
                      defaults=CountingConstants(0.75))
    assert {f.constants.finish_return_fraction for f in folds} == {0.6}  # |0.6 - 0.75| least


# --- real clips (../shared) -------------------------------------------------------------------

def test_bench_reps_end_to_end_with_cache(tmp_path: Path, shared_videos: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("file,template,true_reps,rep_event_times_s\n"
                      "front_raise_side_musclewiki_kshitij.mp4,shoulder_flexion,2,"
                      "tops 1.4-2.0 4.2-4.8\nmissing_clip.mp4,squat,3,\n"
                      "front_raise_side_musclewiki_kshitij.mp4,no_such_template,2,\n")
    cache, out = tmp_path / "cache", tmp_path / "r.json"
    args = ["bench", "reps", "--labels", str(labels), "--videos", str(shared_videos),
            "--cache-dir", str(cache), "--out", str(out)]
    assert main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "MAE=0.667 OBO=0.333 exact=1/3"
    assert lines[-2] == "events: P=1.000 R=1.000 F1=1.000 (TP=2 FP=0 FN=0)"
    assert len(list(cache.glob("*.npz"))) == 1
    stamp = next(cache.glob("*.npz")).stat().st_mtime_ns
    assert main(args) == 0  # re-scoring replays the cache
    assert next(cache.glob("*.npz")).stat().st_mtime_ns == stamp
    result = json.loads(out.read_text())
    assert result["clips"][0]["predicted_reps"] == 2
    assert [c["status"] for c in result["clips"]] == ["ok", "missing clip", "unknown template"]


def test_repcount_file_uses_template_free_counter(tmp_path: Path, shared_videos: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "repcount.csv"
    labels.write_text(",type,name,count,L1,L2,L3,L4\n0,front_raise,"
                      "front_raise_side_musclewiki_kshitij.mp4,2,30,80,110,160\n")
    assert main(["bench", "reps", "--labels", str(labels), "--videos", str(shared_videos),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    assert "front_raise_side_musclewiki_kshitij.mp4" in out and "counts only" in out
    assert LAST_LINE.fullmatch(out.strip().splitlines()[-1])
