"""Background reindexing: a detached runner builds while uploads are pending.

The runner loops while the pending marker is set, so an upload that arrives mid-build is
never left out. If anything is killed, the uploads and the marker are on disk;
`reindex_needed` tells the next start to pick them up.
"""
from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from index.build.builder import BuildSummary, DocumentsFailed, ProgressFactory, build_index
from index.build.failures import (
    KILLED_BUILDS_BEFORE_QUARANTINE,
    begin_attempt,
    end_attempt,
    quarantine,
    record_status,
    upload_path,
    uploads_since_last_build,
)
from index.storage.batches import committed_batches
from index.storage.layout import BUILDING_FILE, PENDING_FILE, DataLayout, mark_reindex_pending, reindex_pending
from index.vector.encoder import Encoder

REINDEX_LOCK = "reindex.lock"
logger = logging.getLogger(__name__)


def reindex_needed(data_dir: Path) -> bool:
    """True when uploads are waiting: a pending marker, or added files newer than the build."""
    if reindex_pending(data_dir) or committed_batches(data_dir):
        return True
    layout = DataLayout(data_dir)
    current = layout.current_build()
    if current is None:
        return True
    built_at = (current / "manifest.json").stat().st_mtime
    # The folder's own time covers a deletion (build/incremental.py removes the file before
    # it updates the index; killed in between, the next start rebuilds without it).
    if layout.added.is_dir() and layout.added.stat().st_mtime > built_at:
        return True
    return any(p.stat().st_mtime > built_at for p in layout.added.glob("*") if p.is_file())


def reindex_running(data_dir: Path) -> bool:
    with _try_lock(data_dir / REINDEX_LOCK) as got:
        return not got


@contextmanager
def _try_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def run_pending_builds(
    corpus_dir: Path, data_dir: Path, force: bool = False,
    progress: ProgressFactory | None = None, on_build: Callable[[BuildSummary], None] | None = None,
    encoder: Encoder | None = None,
) -> int:
    """Build while the pending marker is set; returns the number of builds. One runner at a time.

    `encoder` (e5 by default, loaded from the data directory) is for tests and benchmarks
    that already hold one.

    The marker is renamed to `reindex.building` before each build and removed only when the
    build is published, so an upload landing during a build sets it again and causes one
    more build, and a build that fails or dies leaves a reindex still pending. After letting
    go of the lock the marker is checked once more: a request that saw the lock held (and so
    started no runner) is still served. A failed build stops the loop (see `_build_once`).
    """
    builds = 0
    if force:
        mark_reindex_pending(data_dir)
    while True:
        with _try_lock(data_dir / REINDEX_LOCK) as got:
            if not got:
                return builds
            while reindex_pending(data_dir):
                if (data_dir / PENDING_FILE).exists():
                    os.replace(data_dir / PENDING_FILE, data_dir / BUILDING_FILE)
                summary = _build_once(corpus_dir, data_dir, progress, encoder)
                if summary is None:
                    return builds
                (data_dir / BUILDING_FILE).unlink(missing_ok=True)
                builds += 1
                if on_build:
                    on_build(summary)
        if not reindex_pending(data_dir):
            return builds


def _build_once(corpus_dir: Path, data_dir: Path, progress: ProgressFactory | None,
                encoder: Encoder | None) -> BuildSummary | None:
    """One build, with the uploads it cannot digest set aside; None when it failed.

    Documents that break a stage are quarantined and the build starts again without them.
    A failure no document can be blamed for is recorded and the reindex stays pending (a
    full disk, say: the operator fixes it, and the next upload, reindex or start retries).
    Builds that died twice in a row with the same new uploads waiting (killed for memory,
    say) quarantine those uploads before trying again.
    """
    suspects = uploads_since_last_build(data_dir)
    set_aside: list[dict[str, str]] = []
    failed: list[dict[str, str | None]] = []
    died, waiting = begin_attempt(data_dir, suspects)
    if died >= KILLED_BUILDS_BEFORE_QUARANTINE:
        why = f"the build died {died} times in a row with this upload waiting"
        set_aside += [quarantine(data_dir, p.stem, p, why) for p in waiting]
        failed.append({"build": None, "error": why})
        begin_attempt(data_dir, [])
    try:
        while True:
            try:
                summary = build_index(corpus_dir, data_dir, encoder=encoder, progress=progress)
            except DocumentsFailed as exc:
                build = getattr(exc, "build", None)
                logger.error("build %s failed: %s", build, exc)
                failed.append({"build": build, "error": str(exc)})
                blamed = [(doc_id, upload_path(data_dir, doc_path), why)
                          for doc_id, (doc_path, why) in exc.failures.items()]
                set_aside += [quarantine(data_dir, doc_id, path, f"{exc.stage}: {why}")
                              for doc_id, path, why in blamed if path is not None]
                if any(path is None for _, path, _ in blamed):  # a corpus document: the operator's to fix
                    record_status(data_dir, ok=False, build=build, failed=failed, quarantined=set_aside)
                    return None
                continue  # again, without them
            except Exception as exc:  # noqa: BLE001 - reported, and the old build keeps serving
                build = getattr(exc, "build", None)
                logger.exception("build %s failed", build)
                failed.append({"build": build, "error": f"{type(exc).__name__}: {exc}"})
                record_status(data_dir, ok=False, build=build, failed=failed, quarantined=set_aside)
                return None
            record_status(data_dir, ok=True, build=summary.build_dir.name, failed=failed, quarantined=set_aside)
            return summary
    finally:
        end_attempt(data_dir)


def start_reindex(corpus_dir: Path, data_dir: Path) -> None:
    """Mark a reindex as wanted and start a detached runner; returns at once.

    A separate process, so the build's memory and CPU never sit inside a serving worker, and
    a worker restart cannot kill it halfway (it would not matter: see storage/layout.py).
    """
    mark_reindex_pending(data_dir)
    if reindex_running(data_dir):
        return
    with open(data_dir / "reindex.log", "ab") as log:  # the child keeps its own copy
        runner = subprocess.Popen(
            [sys.executable, "-m", "index", "--data", str(data_dir), "reindex", "--corpus", str(corpus_dir)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
            cwd=Path(__file__).resolve().parents[2],  # the folder holding the index package
        )
    # Reap it when it ends, or it stays a zombie of the serving worker until the next reindex.
    threading.Thread(target=runner.wait, name="reindex-reaper", daemon=True).start()
