"""Uploads that once stopped every later build (issue 15): huge documents in any script.

The 20 MB documents go through the real upload path and the real splitter; the encoders
get a 20 MB text directly. A full build of 4 x 20 MB (some 100,000 passages, two encoders)
takes hours on the two-core test machines, so the build test uploads the same kinds of
text at a smaller size and checks that it and the next build succeed.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import requests

from index import (
    IngestError,
    SearchEngine,
    UseEncoder,
    build_index,
    ingest_files,
    ingest_records,
    load_corpus,
    run_pending_builds,
    split_passages,
)
from index.corpus.passages import MAX_PASSAGE_CHARS
from index.storage.batches import STAGING_FOLDER, committed_batches
from index.storage.layout import DataLayout
from index.vector.encoder import MAX_INPUT_CHARS
from tests.conftest import BUNDLED_CORPUS, REPO_ROOT, share_caches
from tests.hostile_text import SCRIPTS, large_text
from tests.servers import serve_with_gunicorn

TWENTY_MB = 20_000_000


@pytest.mark.parametrize("script", [*SCRIPTS, "run-of-a"])
def test_a_20_mb_upload_in_any_script_splits_into_bounded_passages(tmp_path: Path, script: str) -> None:
    data = tmp_path / "data"
    ingest_files(data, [(f"{script}.md", large_text(script, TWENTY_MB).encode("utf-8"))], set())
    [stored] = load_corpus([DataLayout(data).added]).documents
    passages = split_passages(stored)
    assert max(len(p.text) for p in passages) <= MAX_PASSAGE_CHARS
    assert max(len(p.title) + len(p.heading) for p in passages) <= 2 * MAX_PASSAGE_CHARS
    # Nothing is lost: whatever no passage holds is whitespace between them.
    covered = 0
    for p in sorted(passages, key=lambda p: p.start):
        assert not stored.text[covered:p.start].strip(), (covered, p.start)
        covered = max(covered, p.end)
    assert not stored.text[covered:].strip()


def test_the_encoders_cut_any_text_to_their_window(encoder, test_data_dir: Path) -> None:
    text = large_text("latin", TWENTY_MB)
    for model in (encoder, UseEncoder(test_data_dir)):
        model.encode_query("the model loads first")  # only the encoding is timed
        started = time.monotonic()
        whole = model.encode_passages([text])[0]
        assert time.monotonic() - started < 60, model.name
        assert np.allclose(whole, model.encode_passages([text[:MAX_INPUT_CHARS]])[0], atol=1e-5)
    # e5's window is 512 tokens, which half of MAX_INPUT_CHARS of these words already fills:
    # the model sees the same tokens whatever follows.
    half = encoder.encode_passages([text[:MAX_INPUT_CHARS // 2]])[0]
    assert np.allclose(encoder.encode_passages([text])[0], half, atol=1e-5)


def test_large_uploads_in_four_scripts_build_and_so_do_later_builds(tmp_path: Path, test_data_dir: Path,
                                                                    encoder) -> None:
    data = tmp_path / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    build_index(BUNDLED_CORPUS, data, encoder=encoder)
    uploads = [(f"{script}.md", large_text(script, 8_000, seed=7).encode("utf-8")) for script in SCRIPTS]
    uploads.append(("run-of-a.md", large_text("run-of-a", 50_000).encode("utf-8")))
    ingest_files(data, uploads, set())
    assert run_pending_builds(BUNDLED_CORPUS, data) == 1
    engine = SearchEngine(data, encoder=encoder)
    assert {d.id for d in engine.documents()} >= {"latin", "cyrillic", "hangul", "cjk", "run-of-a"}
    assert max(len(p.text) for p in engine.build.passages) <= MAX_PASSAGE_CHARS

    ingest_files(data, [("later.md", "---\nid: later\n---\n新会陈皮村迎来新的一年。\n".encode())], set())
    assert run_pending_builds(BUNDLED_CORPUS, data) == 1
    engine.refresh()
    assert engine.document("later") is not None and engine.document("hangul") is not None


# --- All or nothing (item 3): ids checked by bytes first, disk full, timeout, SIGKILL -------

def added_ids(data: Path) -> set[str]:
    return {p.stem for p in DataLayout(data).added.glob("*.md")}


def test_an_id_too_long_for_a_file_name_refuses_the_upload_before_anything_is_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    records = [{"id": "fine", "text": "第一篇。"}, {"id": "江" * 84, "text": "第二篇。"}]  # 252 bytes
    with pytest.raises(IngestError, match="longer than 200 bytes"):
        ingest_records(data, records, set())
    assert not added_ids(data)
    ingest_records(data, [{"id": "江" * 66, "text": "正好。"}], set())  # 198 bytes
    assert added_ids(data) == {"江" * 66}


# Runs in a child process (so it can be killed, or given a file-size limit): the upload of
# the JSON records on stdin, or with "batch" the storage step alone (one file per record).
INGEST_SCRIPT = """
import json, resource, signal, sys
from pathlib import Path
from index import UploadNotSaved, ingest_records
from index.storage.batches import write_batch
data, limit, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if limit:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
records = json.loads(sys.stdin.read())
try:
    if mode == "batch":
        write_batch(data, data / "added", {r["id"] + ".md": r["text"].encode() for r in records})
    else:
        ingest_records(data, records, set())
except (UploadNotSaved, OSError) as exc:
    print("not saved:", exc)
    sys.exit(3)
"""


def run_ingest(data: Path, records: list[dict], file_size_limit: int = 0, mode: str = "upload") -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", INGEST_SCRIPT, str(data), str(file_size_limit), mode],
                               cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdin is not None
    process.stdin.write(json.dumps(records, ensure_ascii=False))
    process.stdin.close()
    return process


@pytest.mark.parametrize("mode", ["upload", "batch"])
def test_a_full_disk_saves_none_of_the_upload(tmp_path: Path, mode: str) -> None:
    """Five small documents, then one larger than any file may grow (RLIMIT_FSIZE stops it
    as a full disk would): it once left the first five saved. "upload" fails in the checks'
    scratch files, "batch" in the staging folder itself."""
    data = tmp_path / "data"
    ingest_records(data, [{"id": "earlier", "text": "早先上传的文档。"}], set())
    records = [{"id": f"doc-{n}", "text": f"第{n}篇。" + "字" * (100 if n != 5 else 200_000)} for n in range(10)]
    process = run_ingest(data, records, file_size_limit=100_000, mode=mode)
    assert process.stdout is not None
    output = process.stdout.read()
    process.wait(timeout=300)
    assert process.returncode == 3 and "not saved" in output, output
    assert added_ids(data) == {"earlier"}
    assert not committed_batches(data)
    assert not any((data / STAGING_FOLDER).iterdir())  # the partial batch was removed


def test_sigkill_mid_upload_leaves_all_of_it_or_none(tmp_path: Path) -> None:
    data = tmp_path / "data"
    staging = data / STAGING_FOLDER
    records = [{"id": f"k-{n}", "title": f"第{n}篇", "text": f"江门第{n}号文档的正文。"} for n in range(2000)]
    outcomes = []
    # First killed while writing its staging folder, then at growing delays that land in
    # validation, writing, or moving into place, whichever the machine reaches.
    for attempt, delay in enumerate((None, 0.5, 2.0, 4.0)):
        process = run_ingest(data, [{**r, "id": f"{r['id']}-{attempt}"} for r in records])
        if delay is None:
            deadline = time.monotonic() + 300
            while not any(len(list(tmp.iterdir())) >= 100 for tmp in staging.glob(".tmp-*")):
                assert process.poll() is None and time.monotonic() < deadline, "upload ended before the kill"
                time.sleep(0.01)
        else:
            time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        # The next writer (or build) settles what the killed one left: then all or none.
        ingest_records(data, [{"id": f"after-{attempt}", "text": "之后的上传。"}], set())
        saved = {i for i in added_ids(data) if i.endswith(f"-{attempt}") and i.startswith("k-")}
        assert len(saved) in (0, len(records)), (attempt, len(saved))
        outcomes.append(len(saved))
    assert outcomes[0] == 0, "killed before its commit, the first upload left nothing"
    assert not committed_batches(data) and not list(staging.glob(".tmp-*"))


def test_a_worker_timeout_mid_upload_leaves_all_of_it_or_none(tmp_path: Path, test_data_dir: Path,
                                                             encoder) -> None:
    data = tmp_path / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    build_index(BUNDLED_CORPUS, data, encoder=encoder)
    records = [{"id": f"t-{n}", "title": f"第{n}篇", "text": f"新会第{n}号文档的正文。"} for n in range(10_000)]
    key = "test-admin-key"
    # 5 s: long enough for a worker to answer /healthz on a loaded machine, far too short
    # to check and store 10,000 documents.
    with serve_with_gunicorn(data, workers=1, env={"ADMIN_API_KEY": key, "WORKER_TIMEOUT": "5"},
                             startup_timeout=400) as base_url:
        try:
            reply = requests.post(f"{base_url}/api/admin/documents", json={"documents": records},
                                  headers={"Authorization": f"Bearer {key}"}, timeout=300)
            status = reply.status_code
        except requests.ConnectionError:
            status = 0  # the worker was killed with the connection open
        assert status != 202, "the upload finished inside the timeout: the test needs more documents"
        ingest_records(data, [{"id": "after", "text": "之后的上传。"}], set())
    assert len(added_ids(data) - {"after"}) in (0, len(records))
