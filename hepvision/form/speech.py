"""Offline speech for cues: ``espeak-ng`` (or ``espeak``) run as a subprocess when installed.

Never blocks the caller: each cue starts a process and returns at once; a cue arriving while
the previous one is still being spoken is dropped (the scheduler already spaces cues). When no
engine is installed, :attr:`Speaker.available` is False and :meth:`Speaker.say` does nothing,
so sessions degrade to text cues.
"""

from __future__ import annotations

import logging
import shutil
import subprocess

log = logging.getLogger(__name__)

ENGINES = ("espeak-ng", "espeak")


class Speaker:
    """Speaks cue text with an offline engine; ``engine`` is an explicit executable path or
    None to look for one of :data:`ENGINES` on PATH."""

    def __init__(self, engine: str | None = None, *, words_per_minute: int = 150,
                 muted: bool = False) -> None:
        self.engine = engine or next((p for p in map(shutil.which, ENGINES) if p), None)
        self.words_per_minute = words_per_minute
        self.muted = muted
        self._proc: subprocess.Popen | None = None

    @property
    def available(self) -> bool:
        return self.engine is not None

    def say(self, text: str) -> bool:
        """Start speaking ``text``; False when muted, unavailable or still speaking."""
        if self.muted or self.engine is None or not text:
            return False
        if self._proc is not None and self._proc.poll() is None:
            return False
        try:
            self._proc = subprocess.Popen(
                [self.engine, "-s", str(self.words_per_minute), "--", text],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
        except OSError as exc:
            log.warning("speech engine %s failed (%s); cues stay text only", self.engine, exc)
            self.engine = None
            return False
        return True

    def close(self) -> None:
        """Wait briefly for the last cue, then stop it."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._proc.wait(timeout=3.0)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
