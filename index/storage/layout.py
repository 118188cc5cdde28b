"""Where built artifacts live, and how a new build replaces the old one atomically.

    DATA_DIR/
      CURRENT                 name of the build being served (replaced with os.replace)
      builds/<build-id>/      one complete build: keyword/, passages.jsonl, vectors.npy, …
      builds/.tmp-<id>/       a build in progress; never served, swept by the next build
      cache/                  passage vectors by content hash
      models/                 the converted embedding model
      added/                  documents added with `add` or the admin API (kept across rebuilds)

A build writes everything into `.tmp-<id>`, renames it to `<id>` (atomic on one file
system) and only then rewrites CURRENT. A process killed at any point before that leaves
CURRENT pointing at the old, complete build.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.storage.files import fsync_dir, write_atomic

BUILD_FORMAT = 1
MANIFEST = "manifest.json"
PENDING_FILE = "reindex.pending"  # uploads are waiting for a build
BUILDING_FILE = "reindex.building"  # the pending marker a build took; removed once it is published
KEEP_OLD_BUILDS = 2  # a worker that has not yet noticed a switch still reads the previous one


@dataclass(frozen=True)
class DataLayout:
    root: Path

    @property
    def builds(self) -> Path:
        return self.root / "builds"

    @property
    def current_file(self) -> Path:
        return self.root / "CURRENT"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def added(self) -> Path:
        return self.root / "added"

    @property
    def lock_file(self) -> Path:
        return self.root / "build.lock"

    def current_build(self) -> Path | None:
        """The folder CURRENT names, or None when nothing was ever built."""
        try:
            name = self.current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        folder = self.builds / name
        return folder if name and (folder / "manifest.json").is_file() else None

    def current_marker(self) -> str:
        """Cheap to read on every request: changes whenever a new build is switched in."""
        try:
            return self.current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return ""


def sentence_cache_path(layout: DataLayout, model_name: str) -> Path:
    return layout.cache / f"sentences-{model_name}.npz"


class BuildBusy(RuntimeError):
    """Another build held the build lock for longer than the caller would wait."""


# How often a caller with a deadline retries the lock: a full build holds it for minutes to
# hours, an incremental update for seconds.
_LOCK_POLL_SECONDS = 0.1


@contextmanager
def build_lock(layout: DataLayout, timeout: float | None = None) -> Iterator[None]:
    """One build at a time per data directory; released by the OS if the process dies.

    With `timeout`, raise BuildBusy instead of waiting longer than that many seconds."""
    layout.root.mkdir(parents=True, exist_ok=True)
    with open(layout.lock_file, "a+") as handle:
        _lock(handle.fileno(), timeout)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _lock(fd: int, timeout: float | None) -> None:
    if timeout is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise BuildBusy("another build holds the build lock") from None
            time.sleep(_LOCK_POLL_SECONDS)


def new_build_folder(layout: DataLayout) -> Path:
    """A fresh temporary folder for a build; leftovers of killed builds are removed first.

    Only call this while holding `build_lock`, so no live build's folder is swept.
    """
    layout.builds.mkdir(parents=True, exist_ok=True)
    for stale in layout.builds.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    name = f".tmp-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    folder = layout.builds / name
    folder.mkdir()
    return folder


class DamagedBuild(RuntimeError):
    """A build folder whose files are missing, changed or unreadable; `path` names the file."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path
        self.why = why


def file_checksums(folder: Path, known: dict[str, str] | None = None) -> dict[str, str]:
    """sha256 of every file of a build (paths relative to it), the manifest left out.

    `known` gives checksums already computed for files carried over unchanged (hard links
    of the previous build's files, index/build/incremental.py): hashing a 50k-passage
    build's 500 MB again would cost more than the update itself."""
    known = known or {}
    return {
        name: known.get(name) or _sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
        for name in (str(path.relative_to(folder)),)
    }


# (device, inode) -> (size, mtime_ns, sha256) of files this process has already hashed.
# An incremental build hard-links the files it does not change, so a worker switching to
# it finds most of them here and hashes only the new ones. Any write to a file changes its
# mtime (or size), so damage done after a check is still caught; a fresh process checks
# everything.
_VERIFIED: dict[tuple[int, int], tuple[int, int, str]] = {}


def verify_build(folder: Path) -> None:
    """Raise DamagedBuild naming the first file that is missing or not what the build wrote.

    Builds published before checksums existed carry none and pass unchecked.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DamagedBuild(folder / MANIFEST, f"unreadable ({exc})") from exc
    for name, expected in (manifest.get("checksums") or {}).items():
        path = folder / name
        try:
            actual = _checksum_once(path)
        except OSError as exc:
            raise DamagedBuild(path, exc.strerror or str(exc)) from exc
        if actual != expected:
            raise DamagedBuild(path, "checksum mismatch (changed or truncated since the build)")


def _checksum_once(path: Path) -> str:
    """The file's sha256, from _VERIFIED when the same inode is unchanged since it was hashed."""
    before = path.stat()
    key, state = (before.st_dev, before.st_ino), (before.st_size, before.st_mtime_ns)
    seen = _VERIFIED.get(key)
    if seen is not None and seen[:2] == state:
        return seen[2]
    digest = _sha256(path)
    _VERIFIED[key] = (*state, digest)
    return digest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def published_builds(layout: DataLayout) -> list[Path]:
    """Published builds, newest first (their names start with the time they were made)."""
    if not layout.builds.is_dir():
        return []
    return sorted((p for p in layout.builds.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file()),
                  key=lambda p: p.name, reverse=True)


def publish_build(layout: DataLayout, tmp_folder: Path, manifest: dict[str, Any],
                  known_checksums: dict[str, str] | None = None) -> Path:
    """Seal a finished build (with the checksum of every file) and make it the one served.

    `known_checksums`: files carried over unchanged from the previous build, and their sums."""
    sealed = {"format": BUILD_FORMAT, **manifest, "checksums": file_checksums(tmp_folder, known_checksums)}
    write_atomic(tmp_folder / MANIFEST, json.dumps(sealed, ensure_ascii=False, indent=2))
    final = layout.builds / tmp_folder.name.removeprefix(".tmp-")
    os.replace(tmp_folder, final)
    fsync_dir(layout.builds)
    write_atomic(layout.current_file, final.name + "\n")
    _remove_old_builds(layout, keep=final.name)
    return final


def _remove_old_builds(layout: DataLayout, keep: str) -> None:
    builds = sorted(
        (p for p in layout.builds.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != keep),
        key=lambda p: p.stat().st_mtime,
    )
    for old in builds[:-KEEP_OLD_BUILDS] if KEEP_OLD_BUILDS else builds:
        shutil.rmtree(old, ignore_errors=True)


def mark_reindex_pending(data_dir: Path) -> None:
    write_atomic(data_dir / PENDING_FILE, f"{time.time()}\n")


def reindex_pending(data_dir: Path) -> bool:
    """True while a build is wanted: none has taken the marker yet, or the one that did has
    not published (it is running, failed or died)."""
    return (data_dir / PENDING_FILE).exists() or (data_dir / BUILDING_FILE).exists()
