"""Builds that fail or die (issue 15, item 2): reported, the upload to blame set aside, the
reindex still pending, the old build serving meanwhile."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import requests

from index import (
    Encoder,
    SearchEngine,
    ingest_records,
    read_build_status,
    reindex_pending,
    run_pending_builds,
)
from index.build.failures import ATTEMPT_FILE, QUARANTINE_FOLDER
from index.storage.layout import DataLayout
from tests.conftest import BUNDLED_CORPUS, NO_RATE_LIMITS, REPO_ROOT
from tests.servers import serve_in_thread
from webapp import create_app
from webapp.settings import WebSettings

ADMIN_KEY = "test-admin-key"


# The reindex runner as start_reindex runs it, optionally under a file-size limit (a write
# past it fails with EFBIG, as one on a full disk fails with ENOSPC).
RUNNER = """
import resource, signal, sys
from pathlib import Path
from index import run_pending_builds
limit = int(sys.argv[3])
if limit:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
print(run_pending_builds(Path(sys.argv[1]), Path(sys.argv[2])))
"""


def start_runner(data: Path, file_size_limit: int = 0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(BUNDLED_CORPUS), str(data), str(file_size_limit)],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def attempt_record(data: Path) -> dict:
    try:
        return json.loads((data / ATTEMPT_FILE).read_text())
    except (OSError, ValueError):
        return {}


def test_a_failed_build_is_reported_and_stays_pending(data: Path, encoder) -> None:
    served = DataLayout(data).current_marker()
    ingest_records(data, [{"id": "waiting", "title": "等待", "text": "等待发布的文档。"}], set())
    runner = start_runner(data, file_size_limit=100_000)  # the new build's files do not fit
    out, err = runner.communicate(timeout=600)
    assert runner.returncode == 0 and out.strip() == "0", err[-2000:]
    status = read_build_status(data)
    assert status is not None and status["ok"] is False
    assert status["build"] and "File too large" in status["failed"][-1]["error"]
    assert f"build {status['build']} failed" in err  # the runner's log line names the build
    assert status["quarantined"] == []  # a full disk is nobody's upload
    assert reindex_pending(data), "a failed build must leave the reindex pending"
    assert DataLayout(data).current_marker() == served
    assert (DataLayout(data).added / "waiting.md").is_file()
    app = create_app(WebSettings.for_data_dir(data, admin_api_key=ADMIN_KEY, **NO_RATE_LIMITS),
                     engine=SearchEngine(data, encoder=encoder))
    with serve_in_thread(app) as base_url:
        shown = requests.get(base_url + "/api/admin/status", headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                             timeout=300).json()
    assert shown["reindex_pending"] is True and shown["last_build"] == status
    # Once the disk has room again, the next run publishes the upload.
    assert run_pending_builds(BUNDLED_CORPUS, data) == 1
    assert not reindex_pending(data) and read_build_status(data)["ok"] is True  # type: ignore[index]


def test_an_upload_that_kills_the_build_twice_is_quarantined_and_the_rest_published(data: Path) -> None:
    ingest_records(data, [{"id": "suspect", "title": "嫌疑", "text": "每次构建都死于这篇文档。"}], set())
    for died_before in range(2):  # as the OOM killer would, while this upload waits
        runner = start_runner(data)
        deadline = time.monotonic() + 300
        while attempt_record(data).get("died") != died_before:  # the runner's build has begun
            assert runner.poll() is None and time.monotonic() < deadline, runner.communicate()[1][-2000:]
            time.sleep(0.05)
        runner.send_signal(signal.SIGKILL)
        runner.communicate()
        assert reindex_pending(data), "a killed build must not clear the pending marker"
    ingest_records(data, [{"id": "innocent", "title": "无辜", "text": "另一篇正常的文档。"}], set())
    # "innocent" arrived after the kills: only "suspect" was waiting through both.
    assert run_pending_builds(BUNDLED_CORPUS, data) == 1
    status = read_build_status(data)
    assert status is not None and status["ok"] is True
    assert [q["id"] for q in status["quarantined"]] == ["suspect"]
    assert "died 2 times" in status["quarantined"][0]["reason"]
    assert (data / QUARANTINE_FOLDER / "suspect.md").is_file()
    engine = SearchEngine(data)
    assert engine.document("suspect") is None and engine.document("innocent") is not None


class ModelFailingOn(Encoder):
    """The real e5 model, except that it runs out of memory on texts holding `marker`, as
    it did on a 20 MB passage (numpy asked for 50 GiB): the build must find the document."""

    def __init__(self, data_dir: Path, marker: str) -> None:
        super().__init__(data_dir)
        self.marker = marker

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        if any(self.marker in text for text in texts):
            raise MemoryError("Unable to allocate 50.0 GiB for an array")
        return super()._encode(texts, prompt_name)


def test_an_upload_that_breaks_the_model_is_quarantined_and_the_rest_published(data: Path) -> None:
    ingest_records(data, [
        {"id": "breaks-the-model", "title": "坏", "text": "这篇文档让模型崩溃：毒药标记。"},
        {"id": "fine-upload", "title": "好", "text": "这篇文档一切正常，应当发布。"},
    ], set())
    assert run_pending_builds(BUNDLED_CORPUS, data, encoder=ModelFailingOn(data, "毒药标记")) == 1
    status = read_build_status(data)
    assert status is not None and status["ok"] is True and status["failed"][0]["build"]
    [set_aside] = status["quarantined"]
    assert set_aside["id"] == "breaks-the-model" and "MemoryError" in set_aside["reason"]
    assert "embedding" in set_aside["reason"] and (data / QUARANTINE_FOLDER / "breaks-the-model.md.reason").is_file()
    engine = SearchEngine(data)
    assert engine.document("fine-upload") is not None and engine.document("breaks-the-model") is None
    assert not reindex_pending(data)
