"""Background reindexing: a detached runner builds while uploads are pending.

The runner loops while the pending marker is set, so an upload that arrives mid-build is
never left out. If anything is killed, the uploads and the marker are on disk;
`reindex_needed` tells the next start to pick them up.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from index.build.builder import BuildSummary, ProgressFactory, build_index
from index.storage.layout import PENDING_FILE, DataLayout, mark_reindex_pending, reindex_pending

REINDEX_LOCK = "reindex.lock"


def reindex_needed(data_dir: Path) -> bool:
    """True when uploads are waiting: a pending marker, or added files newer than the build."""
    if reindex_pending(data_dir):
        return True
    layout = DataLayout(data_dir)
    current = layout.current_build()
    if current is None:
        return True
    built_at = (current / "manifest.json").stat().st_mtime
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
) -> int:
    """Build while the pending marker is set; returns the number of builds. One runner at a time.

    The marker is cleared *before* each build, so an upload landing during a build sets it
    again and causes one more build. After letting go of the lock the marker is checked once
    more: a request that saw the lock held (and so started no runner) is still served.
    """
    builds = 0
    if force:
        mark_reindex_pending(data_dir)
    while True:
        with _try_lock(data_dir / REINDEX_LOCK) as got:
            if not got:
                return builds
            while reindex_pending(data_dir):
                (data_dir / PENDING_FILE).unlink(missing_ok=True)
                summary = build_index(corpus_dir, data_dir, progress=progress)
                builds += 1
                if on_build:
                    on_build(summary)
        if not reindex_pending(data_dir):
            return builds


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
