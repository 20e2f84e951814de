"""``hepvision app`` in stock Firefox ESR, driven over WebDriver BiDi (no Playwright).

The page is the patient page in its local mode, with the JPEG pose source (``?pose=server``;
pose in the browser is checked in Chromium).

Playwright's Firefox support needs its own patched build (a download), so this test talks
WebDriver BiDi to Debian's ``firefox-esr`` directly. Firefox's fake camera is a synthetic
pattern (nobody in view), so this checks the page and the protocol in Firefox: the module
scripts run, the camera opens, frames go out and results come back with the setup message,
the pain prompts and the summary work and the session is saved. Counting is checked in
Chromium (tests/test_browser_app.py). Skips without /usr/bin/firefox-esr.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIREFOX = Path("/usr/bin/firefox-esr")
if not FIREFOX.is_file():
    pytest.skip("/usr/bin/firefox-esr is missing (apt-get install firefox-esr)",
                allow_module_level=True)
from websockets.sync.client import connect  # noqa: E402

PREFS = """user_pref("media.navigator.streams.fake", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("remote.active-protocols", 1);
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, probe: Any, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = probe()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


class _Bidi:
    def __init__(self, url: str) -> None:
        self._stack = contextlib.ExitStack()
        self._ws = self._stack.enter_context(connect(url, max_size=None))
        self._id = 0
        self.call("session.new", {"capabilities": {}})
        self.context = self.call("browsingContext.getTree", {})["contexts"][0]["context"]

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self._ws.recv(timeout=30))
            if msg.get("id") == self._id:
                assert msg.get("type") == "success", msg
                return msg["result"]

    def js(self, expression: str) -> Any:
        r = self.call("script.evaluate", {"expression": expression, "awaitPromise": True,
                                          "target": {"context": self.context}})
        assert r["type"] == "success", r
        return r["result"].get("value")

    def close(self) -> None:
        self._stack.close()


@pytest.fixture
def firefox(tmp_path: Path) -> Iterator[_Bidi]:
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "user.js").write_text(PREFS)
    port = _free_port()
    proc = subprocess.Popen([str(FIREFOX), "--headless", "--no-remote", "--profile",
                             str(profile), "--remote-debugging-port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    try:
        bidi = _wait("Firefox's WebDriver BiDi", lambda: _Bidi(f"ws://127.0.0.1:{port}/session"))
        yield bidi
        bidi.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_firefox_runs_a_whole_session(firefox: _Bidi, tmp_path: Path) -> None:
    port = _free_port()
    out_dir = tmp_path / "sessions"
    log = tmp_path / "app.log"
    with log.open("w") as log_file:
        app = subprocess.Popen(
            [sys.executable, "-m", "hepvision", "app", "--port", str(port), "--exercise",
             "squat", "--sets", "1", "--reps", "0", "--out-dir", str(out_dir)],
            stdout=subprocess.DEVNULL, stderr=log_file,
            env={"HEPVISION_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    base = f"http://127.0.0.1:{port}"
    try:
        _wait("hepvision app",
              lambda: urllib.request.urlopen(f"{base}/phone/api/program", timeout=2))
        firefox.call("browsingContext.navigate", {"context": firefox.context,
                                                  "url": f"{base}/?pose=server",
                                                  "wait": "complete"})
        state = lambda: firefox.js("document.body.dataset.state")  # noqa: E731
        _wait("the exercise list", lambda: firefox.js(
            "document.body.dataset.section === 'program' && "
            "!document.getElementById('start').disabled"))
        firefox.js("document.getElementById('start').click()")
        _wait("pain before", lambda: state() == "pain_before")
        firefox.js("document.querySelector('#pain-scale button[data-value=\"1\"]').click()")
        _wait("the set", lambda: state() == "active")
        _wait("results", lambda: firefox.js("window.hv.stats().results") >= 10)
        assert firefox.js("document.getElementById('setup').textContent")  # nobody in view
        firefox.js("document.getElementById('next').click()")
        _wait("pain after", lambda: state() == "pain_after")
        firefox.js("document.querySelector('#pain-scale button[data-value=\"2\"]').click()")
        summary = _wait("the summary", lambda: firefox.js("JSON.stringify(window.hv.summary())")
                        not in (None, "null") and firefox.js("JSON.stringify(window.hv.summary())"))
        assert firefox.js("document.getElementById('error').textContent") == ""
    finally:
        app.terminate()
        app.wait(timeout=10)
    record = json.loads(Path(json.loads(summary)["saved_to"]).read_text())
    assert (record["pain_before"], record["pain_after"]) == (1, 2)
    assert record["processed_frames"] >= 10 and record["exercises"][0]["exercise_id"] == "squat"
