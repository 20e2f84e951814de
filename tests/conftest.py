"""Shared fixtures: where ../shared lives, and skipping when it is absent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SHARED_VIDEOS = SHARED / "data" / "videos"


@pytest.fixture(scope="session", autouse=True)
def _history_uploads() -> Iterator[None]:
    """Test worlds upload sessions dated months before their patients were created (fixed
    dates keep the expected numbers stable): let every server accept them, as a clinic
    importing history would. Tests of the one-day window pass ``session_backdate_days=1``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HEPVISION_SESSION_BACKDATE_DAYS", "3650")
        yield


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    """``../shared/data/videos``; skips the test when the shared data is absent."""
    if not (SHARED_VIDEOS / "labels.csv").is_file():
        pytest.skip("../shared/data/videos is absent (a fresh clone has no shared clips)")
    return SHARED_VIDEOS
