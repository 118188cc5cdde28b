"""What a failed build leaves behind: a status record, and the uploads it set aside.

An upload the build cannot digest is moved from `added/` to `quarantine/` (with a
`.reason` file beside it), so the next build publishes everything else; nothing is
deleted, and putting the file back in `added/` retries it. The last build's outcome
(which build, which documents, why) is kept in `build-status.json` for the admin status
endpoint, and every failure is also one line on the runner's log (`reindex.log`).
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from index.storage.files import fsync_dir, write_atomic
from index.storage.layout import DataLayout

logger = logging.getLogger(__name__)

QUARANTINE_FOLDER = "quarantine"
STATUS_FILE = "build-status.json"
# Written when a build starts and removed when it ends, however it ends, unless the
# process dies: finding it at the next start means the last build was killed (OOM, …).
ATTEMPT_FILE = "build-attempt.json"
# A build killed this many times in a row with the same uploads waiting sets them aside;
# once could be a deploy or a restart, twice in a row is the uploads.
KILLED_BUILDS_BEFORE_QUARANTINE = 2


def quarantine_folder(data_dir: Path) -> Path:
    return data_dir / QUARANTINE_FOLDER


def quarantine(data_dir: Path, doc_id: str, path: Path, reason: str) -> dict[str, str]:
    """Move one upload out of `added/`; returns what the status record says about it."""
    folder = quarantine_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / f"{path.name}.reason", reason + "\n")
    os.replace(path, folder / path.name)
    fsync_dir(folder)
    fsync_dir(path.parent)
    logger.error("quarantined upload %s (%s): %s", doc_id, path.name, reason)
    return {"id": doc_id, "file": f"{QUARANTINE_FOLDER}/{path.name}", "reason": reason}


def quarantined(data_dir: Path) -> list[dict[str, str]]:
    """Every upload set aside so far, with its reason."""
    folder = quarantine_folder(data_dir)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".reason" or path.name.startswith("."):
            continue
        reason_file = folder / f"{path.name}.reason"
        reason = reason_file.read_text(encoding="utf-8").strip() if reason_file.is_file() else ""
        out.append({"file": f"{QUARANTINE_FOLDER}/{path.name}", "reason": reason})
    return out


def upload_path(data_dir: Path, doc_path: str) -> Path | None:
    """The file in `added/` a document came from, or None for a corpus document."""
    if not doc_path:
        return None
    path = Path(doc_path)
    if not path.is_file():  # "<file>:<line>" for a JSONL line
        path = Path(doc_path.rsplit(":", 1)[0])
    added = DataLayout(data_dir).added.resolve()
    try:
        resolved = path.resolve()
    except OSError:
        return None
    return resolved if resolved.parent == added and resolved.is_file() else None


def uploads_since_last_build(data_dir: Path) -> list[Path]:
    """Files in `added/` newer than the build being served: the suspects of a failure."""
    layout = DataLayout(data_dir)
    current = layout.current_build()
    built_at = (current / "manifest.json").stat().st_mtime if current else 0.0
    if not layout.added.is_dir():
        return []
    return sorted(p for p in layout.added.iterdir() if p.is_file() and p.stat().st_mtime > built_at)


def record_status(data_dir: Path, **fields: Any) -> dict[str, Any]:
    record = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **fields}
    write_atomic(data_dir / STATUS_FILE, json.dumps(record, ensure_ascii=False, indent=2))
    return record


def read_status(data_dir: Path) -> dict[str, Any] | None:
    return _read_record(data_dir / STATUS_FILE)


def begin_attempt(data_dir: Path, suspects: list[Path]) -> tuple[int, list[Path]]:
    """Note a build starting. Returns how many builds in a row died with uploads waiting,
    and those uploads (the ones waiting through every one of those builds)."""
    previous = _read_record(data_dir / ATTEMPT_FILE)
    by_name = {p.name: p for p in suspects}
    common = sorted(set(previous.get("suspects", [])) & set(by_name)) if previous else []
    # A previous record means its build's process died before it could end the attempt.
    died, names = (int(previous.get("died", 0)) + 1, common) if previous and common else (0, sorted(by_name))
    write_atomic(data_dir / ATTEMPT_FILE, json.dumps({"suspects": names, "died": died}, ensure_ascii=False))
    return died, [by_name[name] for name in names]


def end_attempt(data_dir: Path) -> None:
    (data_dir / ATTEMPT_FILE).unlink(missing_ok=True)


def _read_record(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`; None when it is missing, unreadable or not an object."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
