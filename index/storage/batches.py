"""All-or-nothing writes of several files into one folder (the uploads in DATA_DIR/added).

A batch is written into `staging/.tmp-<id>/` (every file and the folder fsynced), then
committed by one rename to `staging/<time>-<id>/`: before that rename the batch does not
exist, after it the batch is part of the data. A committed batch is then moved into the
target folder file by file. A process killed (disk full, worker timeout, SIGKILL) before
the commit leaves a `.tmp-` folder that the next writer or build deletes; one killed after
it leaves a committed batch that the next writer or build finishes (`settle`). Whoever
reads or writes the target folder holds `batch_lock`, so nobody sees a half-moved batch.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from index.storage.files import fsync_dir

STAGING_FOLDER = "staging"
LOCK_FILE = "uploads.lock"
_TMP_PREFIX = ".tmp-"


@contextmanager
def batch_lock(root: Path) -> Iterator[None]:
    """One writer (or reader of the target folder) at a time; released by the OS on death."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_batch(root: Path, target: Path, files: Mapping[str, bytes]) -> None:
    """Put every file of `files` (name -> content) into `target`, or none of them.

    Raises OSError (ENOSPC, EFBIG, …) with nothing changed in `target` if the batch
    cannot be written in full.
    """
    with batch_lock(root):
        settle(root, target)
        staging = root / STAGING_FOLDER
        staging.mkdir(exist_ok=True)
        batch_id = uuid.uuid4().hex
        tmp = staging / f"{_TMP_PREFIX}{batch_id}"
        tmp.mkdir()
        try:
            for name, content in files.items():
                _write_synced(tmp / name, content)
            fsync_dir(tmp)
            committed = staging / f"{time.time_ns():020d}-{batch_id}"
            os.replace(tmp, committed)  # the commit
            fsync_dir(staging)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _apply(committed, target)


def settle(root: Path, target: Path) -> None:
    """Finish committed batches a killed writer left, drop uncommitted ones. Hold batch_lock."""
    staging = root / STAGING_FOLDER
    if not staging.is_dir():
        return
    for folder in sorted(staging.iterdir()):
        if folder.name.startswith(_TMP_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)
        elif folder.is_dir():
            _apply(folder, target)


def committed_batches(root: Path) -> list[Path]:
    """Batches committed but not yet moved into place (their writer was killed)."""
    staging = root / STAGING_FOLDER
    if not staging.is_dir():
        return []
    return sorted(p for p in staging.iterdir() if p.is_dir() and not p.name.startswith(_TMP_PREFIX))


def _write_synced(path: Path, content: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _apply(batch: Path, target: Path) -> None:
    """Move a committed batch into `target`; safe to repeat after being killed halfway."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(batch.iterdir()):
        os.replace(path, target / path.name)
    fsync_dir(target)
    batch.rmdir()
    fsync_dir(batch.parent)
