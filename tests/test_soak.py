"""A 45-second version of `python -m benchmarks.soak` (5 minutes by default): wrk mixing
search and ask against gunicorn (2 workers), uploads and a reindex in the middle. Zero
failed requests, every upload searchable on every worker afterwards, memory flat.

Needs wrk (`scripts/install.sh --browser`, which `make test` runs, installs it); skips
without it locally and fails under CI=true, like the browser tests.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_CORPUS

SECONDS = 45


@pytest.fixture
def soak_data_dir(tmp_path: Path, test_data_dir: Path, encoder) -> Path:
    from index import build_index

    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to((test_data_dir / "models").resolve(), target_is_directory=True)
    # Its own copy of the vector cache: each run's uploads are new text, kept out of the shared cache.
    shutil.copytree((test_data_dir / "cache").resolve(), data / "cache")
    build_index(BUNDLED_CORPUS, data, encoder=encoder)
    return data


def test_load_with_a_reindex_in_the_middle(soak_data_dir: Path, tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("wrk is missing: scripts/install.sh --browser installs it")
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    from benchmarks.soak import report, run_soak

    result = run_soak(SECONDS, uploads=6, data_dir=soak_data_dir, log=tmp_path / "webapp.log")
    summary = report(result, os.getloadavg()[0])
    assert result.requests > 100 and result.failures == 0, summary
    assert not result.upload_failures and len(result.uploads) == 6, summary
    assert result.searchable and all(result.searchable.values()), summary
    assert len(result.workers_seen) == 2, summary
    assert result.reindex_seconds is not None and len(result.builds) >= 2, summary
    before, after = result.memory[0], result.memory[-1]
    # Anonymous memory is what a leak grows: after warm-up only bounded caches and one new
    # build per worker add to it. RSS and PSS also count file-backed pages of torch's
    # libraries, paged in as new query lengths run new kernels (~+150 MiB a worker in the
    # first minute, then flat): shared and reclaimable, so they are reported, not bounded.
    assert after.anon_total < before.anon_total * 1.05, summary
