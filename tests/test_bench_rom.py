"""``hepvision bench rom``: known lag and bias recovered, reference readers, every bad input."""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path

import numpy as np
import pytest

from hepvision.cli.main import main
from hepvision.errors import HepvisionError
from hepvision.evaluation import rom_io
from hepvision.evaluation.rom import RomSettings, format_rom_table, peak_errors, score_rom
from hepvision.evaluation.rom_io import AngleKey, parse_column_map, read_reference
from hepvision.kinematics import AngleName, Side
from hepvision.pose.recording import LandmarkRecording, save_recording
from hepvision.synthetic import NoiseModel, SyntheticRecording, synthesize

KNEE_L = AngleKey(AngleName.KNEE_FLEXION, Side.LEFT)
KNEE_R = AngleKey(AngleName.KNEE_FLEXION, Side.RIGHT)
ELBOW_R = AngleKey(AngleName.ELBOW_FLEXION, Side.RIGHT)
BIAS_DEG = 5.0  # prediction - reference, by construction


def _trial(tmp_path: Path, motion: str, *, noise: NoiseModel | None = None,
           seed: int = 3) -> tuple[Path, SyntheticRecording]:
    rec = synthesize(motion, reps=3, yaw_deg=90.0, noise=noise, seed=seed)
    path = save_recording(tmp_path / f"{motion}.npz", rec.results, fps=rec.fps,
                          metadata={"source": motion, "backend": "synthetic"})
    return path, rec


def _reference_csv(path: Path, rec: SyntheticRecording, keys: list[AngleKey], *,
                   lag_s: float, bias_deg: float = BIAS_DEG) -> Path:
    """The generator's true angles, shown ``lag_s`` later and ``bias_deg`` lower."""
    times = np.arange(len(rec.results)) / rec.fps + lag_s
    cols = [rec.truth_deg[(k.name, k.side)] - bias_deg for k in keys]
    lines = [",".join(["time_s", *(k.label for k in keys)])]
    lines += [",".join(f"{v:.6f}" for v in (t, *(c[i] for c in cols)))
              for i, t in enumerate(times)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _row(result: dict, key: AngleKey) -> dict:
    return next(r for r in result["angles"] if r["angle"] == key.label)


def test_exact_landmarks_recover_lag_bias_and_peaks(tmp_path: Path) -> None:
    trial, rec = _trial(tmp_path, "squat")
    ref = _reference_csv(tmp_path / "ref.csv", rec, [KNEE_L, KNEE_R], lag_s=0.4)
    result = score_rom(trial, ref)
    assert result["lag_s"] == pytest.approx(0.4, abs=1e-3)
    assert result["lag_samples"] == pytest.approx(12.0, abs=0.03)
    for key in (KNEE_L, KNEE_R):
        row = _row(result, key)
        assert row["bias_deg"] == pytest.approx(BIAS_DEG, abs=0.01)
        assert row["rmse_deg"] == pytest.approx(BIAS_DEG, abs=0.01)
        assert row["mae_deg"] == pytest.approx(BIAS_DEG, abs=0.01)
        assert row["r"] > 0.999 and row["measured_share"] == 1.0
        assert len(row["peaks"]) == 3  # one per repetition
        assert [p["error_deg"] for p in row["peaks"]] == pytest.approx([BIAS_DEG] * 3, abs=0.05)
        assert row["peak_err_max_deg"] == pytest.approx(BIAS_DEG, abs=0.05)
    assert result["rmse_deg"] == pytest.approx(BIAS_DEG, abs=0.01)
    assert result["settings"]["rate_hz"] == 30.0  # the recording's frame rate


def test_negative_lag_between_grid_samples_on_elbow(tmp_path: Path) -> None:
    trial, rec = _trial(tmp_path, "elbow_flexion")
    ref = _reference_csv(tmp_path / "ref.csv", rec, [ELBOW_R], lag_s=-0.3)
    result = score_rom(trial, ref, settings=RomSettings(rate_hz=25.0))  # -7.5 grid samples
    assert result["lag_s"] == pytest.approx(-0.3, abs=0.1 / 25)  # a tenth of a sample
    row = _row(result, ELBOW_R)
    assert row["bias_deg"] == pytest.approx(BIAS_DEG, abs=0.1)
    assert row["rmse_deg"] == pytest.approx(BIAS_DEG, abs=0.1)
    assert row["r"] > 0.99 and row["peak_err_mean_deg"] == pytest.approx(BIAS_DEG, abs=0.1)


def test_noisy_landmarks_keep_lag_bias_and_report_measured_share(tmp_path: Path) -> None:
    trial, rec = _trial(tmp_path, "squat", noise=NoiseModel())
    ref = _reference_csv(tmp_path / "ref.csv", rec, [KNEE_R], lag_s=0.4)
    result = score_rom(trial, ref)
    assert abs(result["lag_s"] - 0.4) <= 1 / 30 + 1e-9
    row = _row(result, KNEE_R)  # the side nearer the camera
    assert row["bias_deg"] == pytest.approx(BIAS_DEG, abs=1.0)
    assert BIAS_DEG <= row["rmse_deg"] < BIAS_DEG + 1.5
    assert row["r"] > 0.95
    assert 0.8 < row["measured_share"] < 1.0  # frame and landmark dropouts stay NaN
    # raw extremes of a noisy series overshoot: the error sits at or above the bias
    assert BIAS_DEG - 1.0 < row["peak_err_mean_deg"] < BIAS_DEG + 4.0


def test_peaks_of_an_extension_exercise_are_minima() -> None:
    t = np.arange(300) / 30.0
    ref = 90.0 - 45.0 * (1 - np.cos(2 * np.pi * t / 3.0))  # seated knee extension: 90 -> 0
    errs = peak_errors(ref, ref + 3.0, t, 0.5)
    assert len(errs) == 3
    assert all(p.reference_deg == pytest.approx(0.0, abs=0.5) for p in errs)
    assert [p.error_deg for p in errs] == pytest.approx([3.0] * 3, abs=1e-9)


MOT = """Coordinates
version=1
nRows=4
nColumns=5
inDegrees={deg}
endheader
time\tknee_angle_r\thip_flexion_l\thip_adduction_r\tpelvis_tx
0.00\t10\t20\t5\t0.1
0.01\t11\t21\t6\t0.1
0.02\t12\t22\t7\t0.1
0.03\t13\t23\t8\t0.1
"""


def test_mot_reader_maps_opensim_names_with_their_signs(tmp_path: Path) -> None:
    path = tmp_path / "ik.mot"
    path.write_text(MOT.format(deg="yes"))
    table = read_reference(path)
    assert table.times_s.tolist() == pytest.approx([0.0, 0.01, 0.02, 0.03])
    assert set(table.values_deg) == {KNEE_R, AngleKey(AngleName.HIP_FLEXION, Side.LEFT),
                                     AngleKey(AngleName.HIP_ABDUCTION, Side.RIGHT)}
    assert table.values_deg[KNEE_R].tolist() == [10, 11, 12, 13]
    hip_abd = table.values_deg[AngleKey(AngleName.HIP_ABDUCTION, Side.RIGHT)]
    assert hip_abd.tolist() == [-5, -6, -7, -8]  # OpenSim adduction is positive


def test_mot_in_radians_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "ik.mot"
    path.write_text(MOT.format(deg="no"))
    knee = read_reference(path).values_deg[KNEE_R]
    assert knee[0] == pytest.approx(math.degrees(10.0))


def test_map_overrides_sign_and_renames_csv_columns(tmp_path: Path) -> None:
    mot = tmp_path / "ik.mot"
    mot.write_text(MOT.format(deg="yes"))
    table = read_reference(mot, parse_column_map(["knee_angle_r=-knee_flexion_right"]))
    assert table.values_deg[KNEE_R].tolist() == [-10, -11, -12, -13]
    csv = tmp_path / "ref.csv"
    csv.write_text("time_s,kneeL\n0,1\n1,2\n")
    table = read_reference(csv, parse_column_map(["kneeL=knee_flexion_left"]))
    assert table.values_deg[KNEE_L].tolist() == [1, 2]


def test_flexion_negative_knee_logs_a_hint(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                           ) -> None:
    path = tmp_path / "ik.mot"
    path.write_text("endheader\ntime knee_angle_l\n0 -5\n1 -60\n2 -3\n")
    logger = logging.getLogger(rom_io.__name__)
    logger.addHandler(caplog.handler)
    try:
        read_reference(path)
    finally:
        logger.removeHandler(caplog.handler)
    assert "--map <column>=-knee_flexion_left" in caplog.text


def test_angle_keys_parse_and_reject() -> None:
    assert AngleKey.parse("elbow_flexion_right") == ELBOW_R
    assert ELBOW_R.label == "elbow_flexion_right"
    with pytest.raises(HepvisionError, match="unknown angle 'knee_left'"):
        AngleKey.parse("knee_left")


def test_cli_end_to_end_on_a_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    trial, rec = _trial(tmp_path, "squat")
    ref = _reference_csv(tmp_path / "ref.csv", rec, [KNEE_L, KNEE_R], lag_s=0.4)
    out = tmp_path / "rom.json"
    rc = main(["bench", "rom", str(trial), "--reference", str(ref), "--angles",
               "knee_flexion_right", "--out", str(out)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert rc == 0
    assert lines[0].split()[:3] == ["angle", "n", "meas%"]
    assert lines[1].startswith("knee_flexion_right") and len(lines) == 3
    m = re.fullmatch(r"RMSE=([\d.]+) r=([\d.]+) lag_s=(-?[\d.]+)", lines[-1])
    assert m and float(m[1]) == pytest.approx(5.0, abs=0.01) and float(m[3]) == 0.4
    saved = json.loads(out.read_text())
    assert saved["schema"] == "hepvision.bench-rom/1"
    assert [r["angle"] for r in saved["angles"]] == ["knee_flexion_right"]
    assert saved["settings"]["max_lag_s"] == 2.0 and saved["backend"] == "synthetic"


def test_a_video_trial_goes_through_the_landmark_cache(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    rec = synthesize("squat", reps=3, yaw_deg=90.0)
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not decoded: the cache is stubbed")
    calls: list[tuple[Path, str, Path]] = []

    def fake_cache(path: Path, backend: str, cache_dir: Path) -> LandmarkRecording:
        calls.append((path, backend, cache_dir))
        return LandmarkRecording(tuple(rec.results), rec.fps, {"backend": backend})

    monkeypatch.setattr(rom_io, "cached_landmarks", fake_cache)
    ref = _reference_csv(tmp_path / "ref.csv", rec, [KNEE_R], lag_s=0.2)
    result = score_rom(video, ref, backend="mediapipe", cache_dir=tmp_path / "cache")
    assert calls == [(video, "mediapipe", tmp_path / "cache")]
    assert result["lag_s"] == pytest.approx(0.2) and result["backend"] == "mediapipe"


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    trial, rec = _trial(tmp_path, "squat")
    good = _reference_csv(tmp_path / "ref.csv", rec, [KNEE_R], lag_s=0.0)
    (tmp_path / "notime.csv").write_text("t,knee_flexion_right\n0,1\n1,2\n")
    (tmp_path / "badcol.csv").write_text("time_s,knee_flex_right\n0,1\n1,2\n")
    (tmp_path / "empty.csv").write_text("time_s,knee_flexion_right\n0,\n1,\n2,\n")
    far = _reference_csv(tmp_path / "far.csv", rec, [KNEE_R], lag_s=100.0)
    (tmp_path / "nohead.mot").write_text("time knee_angle_r\n0 1\n1 2\n")
    t, g = str(trial), str(good)
    return {
        "missing trial": ([str(tmp_path / "nope.npz"), "--reference", g], "not found"),
        "missing reference": ([t, "--reference", str(tmp_path / "nope.csv")], "not found"),
        "no time column": ([t, "--reference", str(tmp_path / "notime.csv")], "'time_s'"),
        "unknown csv column": ([t, "--reference", str(tmp_path / "badcol.csv")],
                               "unknown angle 'knee_flex_right'"),
        "unknown --angles": ([t, "--reference", g, "--angles", "knee_bend_left"],
                             "unknown angle 'knee_bend_left'"),
        "angle not in reference": ([t, "--reference", g, "--angles", "knee_flexion_left"],
                                   "not in the reference"),
        "bad --map": ([t, "--reference", g, "--map", "knee_flexion_right"], "--map"),
        "no overlap": ([t, "--reference", str(far)], "no overlap"),
        "no finite data": ([t, "--reference", str(tmp_path / "empty.csv")], "no finite data"),
        "mot without endheader": ([t, "--reference", str(tmp_path / "nohead.mot")],
                                  "endheader"),
    }


def test_each_bad_input_is_one_line_and_exit_1(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    for case, (args, needle) in _bad_inputs(tmp_path).items():
        rc = main(["bench", "rom", *args])
        err = capsys.readouterr().err.strip()
        assert rc == 1, case
        assert len(err.splitlines()) == 1 and err.startswith("hepvision: error: "), case
        assert needle in err, (case, err)


def test_table_marks_missing_metrics() -> None:
    result = {"lag_s": 0.0, "rmse_deg": math.nan, "r": math.nan, "angles": [{
        "angle": "knee_flexion_left", "n": 0, "measured_share": 0.0, "rmse_deg": math.nan,
        "bias_deg": math.nan, "r": math.nan, "peak_err_mean_deg": math.nan,
        "peak_err_max_deg": math.nan}]}
    lines = format_rom_table(result).splitlines()
    assert lines[1].split()[-4:] == ["-", "-", "-", "-"]
    assert lines[-1] == "RMSE=- r=- lag_s=0.000"


def test_a_manifest_scores_every_pair_and_a_bad_pair_is_an_error_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trial, rec = _trial(tmp_path, "squat")
    _reference_csv(tmp_path / "ref.csv", rec, [KNEE_L, KNEE_R], lag_s=0.4)
    manifest = tmp_path / "trials.csv"
    manifest.write_text("trial,reference,notes\nsquat.npz,ref.csv,good\n"
                        "squat.npz,missing.csv,no reference\n")
    out = tmp_path / "rom.json"
    assert main(["bench", "rom", str(manifest), "--angles", "knee_flexion_right",
                 "--out", str(out), "--scheduler", "none"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].split()[0] == "squat.npz" and lines[1].endswith("ok")
    assert "error:" in lines[2] and "missing.csv" in lines[2]
    m = re.fullmatch(r"RMSE=([\d.]+) r=([\d.]+) trials=1/2", lines[-1])
    assert m and float(m[1]) == pytest.approx(5.0, abs=0.01)  # as the single-trial run
    saved = json.loads(out.read_text())
    assert saved["schema"] == "hepvision.rom-dataset/1"
    assert saved["trials"][0]["result"]["schema"] == "hepvision.bench-rom/1"
    assert [t["status"] for t in saved["trials"]] == ["ok", "error"]


def test_one_trial_still_needs_a_reference(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    trial, _ = _trial(tmp_path, "squat")
    assert main(["bench", "rom", str(trial)]) == 1
    assert "--reference is required" in capsys.readouterr().err
