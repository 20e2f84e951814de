"""Shared fixtures: where ../shared lives, and skipping when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SHARED_VIDEOS = SHARED / "data" / "videos"


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    """``../shared/data/videos``; skips the test when the shared data is absent."""
    if not (SHARED_VIDEOS / "labels.csv").is_file():
        pytest.skip("../shared/data/videos is absent (a fresh clone has no shared clips)")
    return SHARED_VIDEOS
