"""A damaged current build (issue 15, item 4): the server starts on the newest intact one,
says so in one log line naming the file, and /healthz reports it degraded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import requests

from index import SearchEngine, build_index
from index.build.artifacts import PASSAGES_FILE, VECTORS_FILE
from index.storage.layout import DamagedBuild, DataLayout, verify_build
from tests.conftest import BUNDLED_CORPUS, share_caches
from tests.servers import serve_with_gunicorn, server_log


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory, test_data_dir: Path, encoder) -> tuple[Path, str, str]:
    data = tmp_path_factory.mktemp("damaged") / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    older = build_index(BUNDLED_CORPUS, data, encoder=encoder).build_dir.name
    current = build_index(BUNDLED_CORPUS, data, encoder=encoder).build_dir.name
    return data, older, current


def test_every_build_file_carries_a_checksum_checked_at_load(two_builds: tuple[Path, str, str]) -> None:
    data, _, current = two_builds
    verify_build(DataLayout(data).builds / current)


def test_the_server_starts_on_the_newest_intact_build_when_the_current_one_is_truncated(
        two_builds: tuple[Path, str, str]) -> None:
    data, older, current = two_builds
    passages = DataLayout(data).builds / current / PASSAGES_FILE
    content = passages.read_bytes()
    passages.write_bytes(content[: len(content) // 2])
    try:
        # Two workers as deployed (one worker on two cores gives torch an OpenMP pool in the
        # master, which deadlocks the forked worker in libgomp); a generous
        # WORKER_TIMEOUT, since on a loaded machine the first search can take a minute.
        with serve_with_gunicorn(data, workers=2, env={"WORKER_TIMEOUT": "600"}, startup_timeout=400) as base_url:
            health = requests.get(f"{base_url}/healthz", timeout=300).json()
            assert health["status"] == "degraded" and health["build"] == older
            assert current in health["degraded"] and PASSAGES_FILE in health["degraded"]
            assert requests.get(f"{base_url}/api/search", params={"q": "新会"}, timeout=300).json()["results"]
            lines = [line for line in server_log(base_url).read_text().splitlines() if "damaged" in line]
            assert len(lines) == 1 and str(passages) in lines[0], lines
            assert "Traceback" not in server_log(base_url).read_text()
    finally:
        passages.write_bytes(content)


def test_overwritten_vectors_are_caught_by_their_checksum(two_builds: tuple[Path, str, str], encoder) -> None:
    data, older, current = two_builds
    vectors = DataLayout(data).builds / current / VECTORS_FILE
    content = vectors.read_bytes()
    np.save(vectors, np.zeros_like(np.load(vectors)))  # a valid file of the right shape: only the checksum tells
    try:
        with pytest.raises(DamagedBuild, match=VECTORS_FILE):
            verify_build(vectors.parent)
        engine = SearchEngine(data, encoder=encoder)
        assert engine.build.marker == older and VECTORS_FILE in engine.degraded
    finally:
        vectors.write_bytes(content)
    assert SearchEngine(data, encoder=encoder).degraded == ""
