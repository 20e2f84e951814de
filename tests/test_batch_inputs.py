"""``hepvision batch`` without a cluster: its inputs, the per-clip function, the done marks, the
command's errors, and ``bench reps`` on the engine (the same figures, the per-class table and
the plot)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from hepvision.batch import ClipOptions, EngineOptions, list_clips, process_clip, run_batch
from hepvision.batch.process import pose_sessions
from hepvision.cli.main import main
from hepvision.errors import HepvisionError
from tests.support.batch_clips import write_clip

SHORT = ClipOptions(exercise="squat", max_frames=30)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("one") / "squat.avi", reps=1)


def test_a_folder_is_searched_recursively_and_names_keep_subfolders(tmp_path: Path) -> None:
    for rel in ("a/clip.mp4", "b/clip.mp4", "top.avi", "notes.txt", ".hidden.mp4"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    jobs = list_clips(str(tmp_path), exercise="squat")
    assert [j.name for j in jobs] == ["a__clip", "b__clip", "top"]
    assert {j.exercise for j in jobs} == {"squat"}
    globbed = list_clips(str(tmp_path / "*" / "clip.mp4"))
    assert [j.name for j in globbed] == ["a__clip", "b__clip"]
    assert globbed[0].exercise is None


def test_labels_csvs_give_templates_counts_and_classes(tmp_path: Path) -> None:
    ours = tmp_path / "labels.csv"
    ours.write_text("file,exercise,template,true_reps\nx.mp4,curl,elbow_flexion,3\n"
                    "y.mp4,squat,,5\nx.mp4,curl,elbow_flexion,3\n")
    jobs = list_clips(str(ours), exercise="squat")
    assert [(j.name, j.exercise, j.true_reps, j.kind) for j in jobs] == [
        ("x", "elbow_flexion", 3, "elbow_flexion"), ("y", "squat", 5, None)]
    repcount = tmp_path / "new_test.csv"
    repcount.write_text(",Unnamed: 0,type,name,count,L1,L2\n5,5,bench_pressing,stu9_2.mp4,1,"
                        "433,482\n")
    (job,) = list_clips(str(repcount), videos=tmp_path)
    assert (job.path, job.exercise, job.true_reps, job.kind) == (
        tmp_path / "stu9_2.mp4", None, 1, "bench_pressing")


@pytest.mark.parametrize("spec, message", [("no/such/place", "no such folder"),
                                           ("empty/*.mp4", "no clips found")])
def test_nothing_to_do_is_a_clear_error(tmp_path: Path, spec: str, message: str) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(HepvisionError, match=message):
        list_clips(str(tmp_path / spec))


def test_process_clip_runs_with_no_engine_and_skips_what_is_done(clip: Path,
                                                                 tmp_path: Path) -> None:
    first = process_clip(clip, tmp_path, SHORT)
    assert first.status == "ok" and not first.cached and first.frames == 30
    report = json.loads((tmp_path / "reports" / "squat.json").read_text())
    assert report["schema"] == "hepvision.track-report/1" and report["frames"] == 30
    assert report["pose_model"]["model"] == "full-f16"
    again = process_clip(clip, tmp_path, SHORT)
    assert again.cached and replace(again, cached=False, wall_s=0.0) == replace(
        first, wall_s=0.0)
    longer = process_clip(clip, tmp_path, replace(SHORT, max_frames=36))  # another stamp
    assert not longer.cached and longer.frames == 36
    assert pose_sessions() >= 1


def test_a_missing_clip_or_template_is_an_error_outcome(clip: Path, tmp_path: Path) -> None:
    missing = process_clip(tmp_path / "gone.mp4", tmp_path, SHORT)
    assert missing.status == "error" and "clip not found" in (missing.error or "")
    unknown = process_clip(clip, tmp_path, replace(SHORT, exercise="no_such_template"))
    assert unknown.status == "error" and "no_such_template" in (unknown.error or "")
    jobs = list_clips(str(clip))  # no template named anywhere
    result = run_batch(jobs, tmp_path / "out", replace(SHORT, exercise=""),
                       EngineOptions(scheduler="none"))
    assert result.errors == 1 and "pass --exercise" in (result.outcomes[0].error or "")


def test_batch_command_errors_are_one_line(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 1
    assert "hepvision: error: no such folder" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), "--out", str(tmp_path / "o"), "--workers", "0",
                 "--exercise", "squat"]) == 1
    assert "no clips found" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
def test_bench_reps_on_the_engine_gives_the_same_figures_with_classes_and_a_plot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    for i, reps in enumerate((1, 2)):
        write_clip(videos / f"squat_{i}.avi", reps=reps, seed=i)
    labels = tmp_path / "labels.csv"
    labels.write_text("file,template,true_reps\nsquat_0.avi,squat,1\nsquat_1.avi,squat,2\n"
                      "squat_1.avi,hip_abduction,2\n")
    results = []
    for name, engine in (("serial", []), ("dask", ["--workers", "2"])):
        out = tmp_path / f"{name}.json"
        main(["bench", "reps", "--labels", str(labels), "--videos", str(videos),
              "--cache-dir", str(tmp_path / f"cache_{name}"), "--out", str(out), *engine])
        results.append(json.loads(out.read_text()))
        assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        lines = capsys.readouterr().out.strip().splitlines()
        assert [ln.split(":")[0] for ln in lines if ln.startswith("class ")] == [
            "class hip_abduction", "class squat        "]
    assert results[0] == results[1]
    assert [c["class"] for c in results[0]["classes"]] == ["hip_abduction", "squat"]
    assert results[0]["classes"][1]["n"] == 2
