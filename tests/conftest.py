"""Shared fixtures: real data directories, built once per test session.

The converted model folder and the vector caches are expensive to make, so they live in
`.test-data/` (git-ignored) unless TEST_DATA_DIR points elsewhere; builds reuse them.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = REPO_ROOT / "corpus"


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    path = Path(os.environ.get("TEST_DATA_DIR", REPO_ROOT / ".test-data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def encoder(test_data_dir: Path):
    from index.encoder import Encoder

    return Encoder(test_data_dir)


@pytest.fixture(scope="session")
def bundled_data_dir(test_data_dir: Path, encoder) -> Path:
    """A data directory holding a fresh build of the bundled corpus.

    Shares the model folder and vector caches with `test_data_dir` through symlinks, so
    only the first session ever pays for embedding.
    """
    from index.builder import build_index

    data_dir = test_data_dir / "bundled"
    data_dir.mkdir(exist_ok=True)
    share_caches(test_data_dir, data_dir)
    build_index(BUNDLED_CORPUS, data_dir, encoder=encoder)
    return data_dir


@pytest.fixture(scope="session")
def engine(bundled_data_dir: Path, encoder):
    from index.engine import SearchEngine

    return SearchEngine(bundled_data_dir, encoder=encoder)


def share_caches(source: Path, target: Path) -> None:
    """Point target's model and cache folders at source's (built once, reused by every build)."""
    for name in ("models", "cache"):
        (source / name).mkdir(exist_ok=True)
        link = target / name
        if not link.exists():
            link.symlink_to((source / name).resolve(), target_is_directory=True)
