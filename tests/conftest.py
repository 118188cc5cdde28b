"""Shared fixtures: one real data directory per test session, reused across runs.

The converted model folder and passage-vector cache are expensive to make, so they
live in `.test-data/` (git-ignored) unless TEST_DATA_DIR points elsewhere.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    path = Path(os.environ.get("TEST_DATA_DIR", REPO_ROOT / ".test-data"))
    path.mkdir(parents=True, exist_ok=True)
    return path
