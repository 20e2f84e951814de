"""The patient's device against a real server app: enrolment by QR text, a revoked device, and a
session stopped for pain before any exercise reaching the therapist as a pain alert."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi import FastAPI

from hepvision.cli.main import main
from hepvision.upload.device import DeviceConfig, sessions_dir
from hepvision.upload.outbox import Outbox
from hepvision.upload.prescription import load_prescription
from hepvision.wire.enrolment import enrolment_uri, parse_enrolment
from tests.device_world import Clinic, make_server, point_device_at


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path / "device"))
    app = make_server(tmp_path)
    point_device_at(app, monkeypatch)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def clinic(server: FastAPI) -> Clinic:
    return Clinic(server)


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_qr_text_round_trips_and_a_bare_code_is_a_code() -> None:
    text = enrolment_uri("https://clinic.example:8443/hv", "ABCD-EFGH-JKMN")
    invite = parse_enrolment(f"  {text}\n")
    assert (invite.server_url, invite.code) == ("https://clinic.example:8443/hv",
                                                "ABCD-EFGH-JKMN")
    assert parse_enrolment("ABCD-EFGH-JKMN").server_url is None
    with pytest.raises(ValueError, match="enrolment QR"):
        parse_enrolment("hepvision://settings?code=X")


def test_enroll_takes_the_qr_text_and_fetches_the_prescription(
        clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    patient_id, qr_text, _ = clinic.new_patient()
    version = clinic.prescribe(patient_id, sets=3, reps=8)
    assert main(["enroll", qr_text]) == 0
    out = capsys.readouterr().out
    assert f"enrolled as patient {patient_id}" in out
    assert f"prescription: version {version} (new)" in out
    saved = load_prescription()
    assert saved is not None and saved["version"] == version
    assert saved["exercises"][0]["sets"] == 3
    assert DeviceConfig.load().patient_id == patient_id


def test_qr_text_and_a_different_server_is_one_line(
        clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    _, qr_text, _ = clinic.new_patient()
    assert main(["enroll", qr_text, "--server", "https://elsewhere.example"]) == 1
    assert error_lines(capsys.readouterr().err) == [
        "hepvision: error: the QR code names the server https://testserver, but --server "
        "says https://elsewhere.example"]
    assert not DeviceConfig.exists()


def test_revoked_device_is_told_what_to_do_and_force_reenrolls(
        clinic: Clinic, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    patient_id, _, code = clinic.new_patient()
    assert main(["enroll", code, "--server", "https://testserver"]) == 0
    assert main(["live", "--exercise", "squat", "--video", str(black_clip(tmp_path)),
                 "--no-window", "--out", str(tmp_path / "s.json"), "--pain-before", "2",
                 "--pain-after", "2"]) == 0
    clinic.revoke(patient_id)
    capsys.readouterr()
    assert main(["sync"]) == 1
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith("hepvision: error: ")
    assert "ask your therapist for a new enrolment code" in lines[0]
    assert "hepvision enroll --force CODE" in lines[0]

    qr_text, _ = clinic.new_code(patient_id)
    assert main(["enroll", qr_text]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["enroll", "--force", qr_text]) == 0
    assert main(["sync"]) == 0  # the session queued before the revocation is still sent
    assert "sent=1" in capsys.readouterr().out
    assert len(clinic.sessions(patient_id)) == 1


def test_force_for_another_patient_leaves_the_old_queue_behind(
        clinic: Clinic, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first, qr_first, _ = clinic.new_patient("First")
    clinic.prescribe(first)
    assert main(["enroll", qr_first]) == 0
    assert main(["live", "--exercise", "squat", "--video", str(black_clip(tmp_path)),
                 "--no-window", "--pain-before", "9", "--pain-after", "9"]) == 0
    second, qr_second, _ = clinic.new_patient("Second")
    assert main(["enroll", "--force", qr_second]) == 0
    assert "prescription: none yet" in capsys.readouterr().out
    assert load_prescription() is None  # the first patient's prescription is set aside
    assert main(["sync"]) == 0
    assert clinic.sessions(second) == [] and clinic.sessions(first) == []
    home = sessions_dir().parent
    assert list(home.glob("outbox.sqlite3.previous-enrolment-*"))
    assert list(home.glob("prescription.json.previous-enrolment-*"))


def black_clip(folder: Path) -> Path:
    """A short clip for ``live --video`` (a pain stop before the first set reads no frame)."""
    path = folder / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    for _ in range(10):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    return path


def test_pain_stop_before_any_exercise_reaches_the_therapist(
        clinic: Clinic, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    patient_id, _, code = clinic.new_patient()
    assert main(["enroll", code, "--server", "https://testserver"]) == 0
    out = tmp_path / "session.json"
    assert main(["live", "--exercise", "squat", "--video", str(black_clip(tmp_path)),
                 "--no-window", "--out", str(out), "--pain-before", "9",
                 "--pain-after", "9"]) == 0
    record = json.loads(out.read_text())
    assert record["exercises"] == [] and record["stopped_early"] is True
    with Outbox.default() as outbox:
        assert outbox.status().pending == 1
    capsys.readouterr()
    assert main(["sync"]) == 0
    assert "sent=1" in capsys.readouterr().out
    stored = clinic.sessions(patient_id)
    assert [s["session_id"] for s in stored] == [record["session_id"]]
    pain = [a for a in clinic.alerts(patient_id) if a["kind"] == "pain"]
    assert [(a["session_id"], a["value"]) for a in pain] == [(record["session_id"], 9.0)]
    for url in (f"/patients/{patient_id}", f"/patients/{patient_id}/export.csv",
                f"/patients/{patient_id}/sessions/{record['session_id']}"):
        assert clinic.client.get(url).status_code == 200, url


def test_plain_http_to_another_machine_needs_insecure(
        clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, code = clinic.new_patient()
    assert main(["enroll", code, "--server", "http://clinic.example"]) == 1
    err = capsys.readouterr().err
    assert "unencrypted" in err and "--insecure" in err and "Traceback" not in err
    assert main(["enroll", code, "--server", "http://clinic.example", "--insecure"]) == 0
    assert "--insecure given" in capsys.readouterr().err
    assert main(["sync"]) == 1 and "--insecure" in capsys.readouterr().err
    assert main(["sync", "--insecure"]) == 0
