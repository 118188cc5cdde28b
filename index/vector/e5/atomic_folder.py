"""A folder built once and shared by every process: the converted model, its OpenVINO export.

The check is lock-free when the folder is current. Otherwise one process at a time
(`flock` on a lock file next to it) builds into a unique temporary sibling and renames it
into place only once complete, so a crash never leaves a half-written folder under the
real name, and a process that waited for the lock simply finds the winner's folder.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path


def ensure_folder(folder: Path, is_current: Callable[[Path], bool], build: Callable[[Path], None]) -> Path:
    """Return `folder`, first running `build(tmp)` and renaming tmp to it if it is missing or stale."""
    if is_current(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp_prefix, old_prefix = f".{folder.name}.tmp-", f".{folder.name}.old-"
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if is_current(folder):
                return folder
            _remove_leftovers(folder.parent, (tmp_prefix, old_prefix))
            tmp = folder.parent / f"{tmp_prefix}{os.getpid()}-{uuid.uuid4().hex[:8]}"
            try:
                build(tmp)
                _swap_into_place(tmp, folder, old_prefix)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


def fsync_tree(folder: Path) -> None:
    """Flush file contents before the rename publishes them (crash safety)."""
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _remove_leftovers(parent: Path, prefixes: tuple[str, str]) -> None:
    """Delete temporary folders of builds that crashed (only called under the lock)."""
    for path in parent.iterdir():
        if path.name.startswith(prefixes) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _swap_into_place(tmp: Path, folder: Path, old_prefix: str) -> None:
    """Rename the finished build to `folder`; a stale folder is moved aside first.

    Directory renames are atomic, so readers see either the old or the new complete
    folder (or, for an instant, none, and then wait on the lock)."""
    if folder.exists():
        old = folder.parent / f"{old_prefix}{uuid.uuid4().hex[:8]}"
        os.rename(folder, old)
        shutil.rmtree(old, ignore_errors=True)
    os.rename(tmp, folder)
