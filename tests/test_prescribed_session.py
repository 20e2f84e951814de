"""The therapist-to-device loop, end to end against the real server app (issue 11).

The therapist edits the prescription in the dashboard's editor -> the device syncs -> the next
``hepvision live --no-window`` session (no ``--exercise``: today's prescribed program) runs the
new dosage and pain stop with the patient's overrides -> the sessions are uploaded -> the
server shows them against that prescription version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from hepvision.cli.main import main
from hepvision.demo import DEMO_REPS, demo_recording_path
from tests.device_world import Clinic, make_server, point_device_at
from tests.support.demo_frames import write_demo_frames


@pytest.fixture(scope="module")
def demo_frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_frames(tmp_path_factory.mktemp("demo") / "frames")


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path / "device"))
    app = make_server(tmp_path)
    point_device_at(app, monkeypatch)
    yield app
    app.state.engine.dispose()


def live(frames: Path, out: Path, pain_before: int, pain_after: int) -> dict[str, Any]:
    """Today's prescribed program, headless, on the demo clip; the saved session."""
    assert main(["live", "--video", str(frames), "--backend", "replay", "--landmarks",
                 str(demo_recording_path()), "--no-window", "--out", str(out),
                 "--pain-before", str(pain_before), "--pain-after", str(pain_after)]) == 0
    return dict(json.loads(out.read_text()))


def edit_in_dashboard(clinic: Clinic, patient_id: int, **fields: str) -> None:
    """Save a one-exercise prescription through the dashboard's editor form."""
    form = {"csrf_token": clinic.csrf, "action": "save", "ex-0-exercise_id": "squat",
            **{f"ex-0-{k}": v for k, v in fields.items()}}
    r = clinic.client.post(f"/patients/{patient_id}/prescription", data=form,
                           follow_redirects=False)
    assert r.status_code == 303, r.text


def test_the_next_session_runs_the_edited_prescription_and_names_its_version(
        server: FastAPI, demo_frames: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    clinic = Clinic(server)
    patient_id, qr_text, _ = clinic.new_patient()
    first = clinic.prescribe(patient_id, sets=1, reps=DEMO_REPS)
    assert main(["enroll", qr_text]) == 0

    # version 1: one set of all the demo's repetitions, the template's own target and stop
    before = live(demo_frames, tmp_path / "v1.json", pain_before=4, pain_after=3)
    assert before["prescription_version"] == first
    (squat,) = before["exercises"]
    assert [s["reps"] for s in squat["sets"]] == [DEMO_REPS]
    assert squat["target_rom_deg"] == 90.0 and squat["overrides_sha256"] is None

    # the therapist changes the dose, the target and the pain stop in the dashboard
    edit_in_dashboard(clinic, patient_id, sets="2", reps="3", rest_s="2",
                      target_rom_deg="95", max_rom_deg="120", pain_stop_nrs="3")
    capsys.readouterr()
    assert main(["sync"]) == 0  # uploads the version-1 session, fetches version 2
    synced = capsys.readouterr().out
    assert "sent=1" in synced and f"prescription: version {first + 1} (new)" in synced

    # the next session runs version 2: two sets of three, the patient's target ROM
    after = live(demo_frames, tmp_path / "v2.json", pain_before=2, pain_after=2)
    assert after["prescription_version"] == first + 1
    (squat,) = after["exercises"]
    assert [(s["set_index"], s["reps"]) for s in squat["sets"]] == [(0, 3), (1, 3)]
    assert squat["sets"][0]["rest_s"] == 2.0
    assert squat["target_rom_deg"] == 95.0 and squat["overrides_sha256"] is not None
    assert squat["template_sha256"] != before["exercises"][0]["template_sha256"]
    assert after["stopped_early"] is False and after["reps"] == 6

    # ... and its pain stop: 4 stopped nothing under version 1, it stops version 2's session
    stopped = live(demo_frames, tmp_path / "v2-pain.json", pain_before=4, pain_after=4)
    assert stopped["prescription_version"] == first + 1
    assert stopped["stopped_early"] is True and stopped["exercises"] == []
    assert "stop threshold 3" in (stopped["stop_reason"] or "")

    capsys.readouterr()
    assert main(["sync"]) == 0
    assert "sent=2" in capsys.readouterr().out
    shown = {s["session_id"]: s["prescription_version"] for s in clinic.sessions(patient_id)}
    assert shown == {before["session_id"]: first, after["session_id"]: first + 1,
                     stopped["session_id"]: first + 1}
    page = clinic.client.get(f"/patients/{patient_id}/sessions/{after['session_id']}")
    assert page.status_code == 200 and f"prescription version {first + 1}" in page.text


def test_live_without_a_prescription_asks_for_an_exercise(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path / "device"))
    assert main(["live", "--no-window", "--video", str(tmp_path / "none.mp4")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["hepvision: error: no prescription on this device: enroll with your "
                   "therapist's code ('hepvision enroll CODE') and run 'hepvision sync', or "
                   "choose an exercise with --exercise ID"]


def test_the_browser_page_runs_the_prescribed_program_and_names_its_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    from datetime import UTC, datetime

    from hepvision.app.config import AppSettings
    from hepvision.app.session import BrowserSession
    from hepvision.cli.app import _offer
    from hepvision.cli.main import build_parser
    from hepvision.pose.recording import ReplayPoseEstimator
    from hepvision.upload.prescription import prescription_path

    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path / "device"))
    path = prescription_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({
        "patient_id": 1, "version": 7, "created_at": datetime.now(UTC).isoformat(),
        "created_by": 1, "precautions": [], "notes": "",
        "exercises": [{"exercise_id": "squat", "sets": 1, "reps": 2, "rest_s": 0,
                       "overrides": {"pain_stop_nrs": 6}}]}))
    offer = _offer(build_parser().parse_args(["app"]))
    assert offer.prescription_version == 7 and offer.program is not None
    assert [(p.template.id, p.sets, p.reps, p.pain_stop_nrs) for p in offer.program] == [
        ("squat", 1, 2, 6)]
    saved: list[dict[str, Any]] = []
    settings = AppSettings(out_dir=tmp_path / "sessions", program=offer.program,
                           prescription_version=offer.prescription_version,
                           prescription=offer.prescription, on_saved=saved.append,
                           estimator_factory=lambda: ReplayPoseEstimator(demo_recording_path()))

    async def session() -> None:
        page = BrowserSession(settings)
        await page.on_text(json.dumps({"type": "start"}))
        await page.on_text(json.dumps({"type": "pain", "value": 6}))  # the patient's stop
        await page.close()

    asyncio.run(session())
    (record,) = saved
    assert record["prescription_version"] == 7 and record["stopped_early"] is True
    assert "stop threshold 6" in record["stop_reason"]
