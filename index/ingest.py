"""Add documents while the app serves: durable uploads and a background reindex.

An upload is checked, then written as `DATA_DIR/added/<doc_id>.md` (fsynced, atomic rename)
*before* the caller answers, and a pending marker is set. A reindex process builds while
searches keep using the old build, and loops while the marker is set, so an upload that
arrives mid-build is never left out. If anything is killed, the files and the marker are on
disk; `reindex_needed` tells the next start to pick them up.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .loader import (
    SUPPORTED_SUFFIXES,
    BadDocument,
    document_from_record,
    load_corpus,
    load_file,
)
from .models import Document
from .store import DataLayout, write_atomic

if TYPE_CHECKING:  # builder imports the models and encoders; run_pending_builds imports it late
    from .builder import BuildSummary, ProgressFactory

PENDING_FILE = "reindex.pending"
REINDEX_LOCK = "reindex.lock"


class IngestError(ValueError):
    """Uploads refused; nothing was saved. `problems` says why, one line per file."""

    def __init__(self, problems: list[str], conflict: bool = False) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.conflict = conflict  # True when the only trouble is ids that already exist


def ingest_files(data_dir: Path, uploads: list[tuple[str, bytes]], protected_ids: set[str]) -> list[Document]:
    """Check uploaded files (name, content) in any corpus format and save their documents.

    All or nothing: one bad file refuses the whole request, so a client never has to work
    out which half of its upload landed.
    """
    documents: list[Document] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="upload-") as scratch:
        for n, (name, content) in enumerate(uploads):
            suffix = Path(name).suffix.lower()
            if suffix not in SUPPORTED_SUFFIXES:
                problems.append(f"{name}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})")
                continue
            # One folder per file, so the document id a file without one gets from its
            # name (loader._slug of the stem) is the same as in a corpus folder.
            stem = re.sub(r"[\x00/\\]", "_", Path(name).stem)[:50] or "upload"
            path = Path(scratch) / str(n) / f"{stem}{suffix}"
            path.parent.mkdir()
            path.write_bytes(content)
            docs, file_problems = load_file(path)
            # p.path is the scratch path, with ":<line>" for a JSONL line: keep the line.
            problems.extend(f"{p.path.replace(str(path), name, 1)}: {p.reason}" for p in file_problems)
            documents.extend(docs)
    return _save(data_dir, documents, problems, protected_ids)


def ingest_records(data_dir: Path, records: list[Any], protected_ids: set[str]) -> list[Document]:
    """Check JSON documents ({"id", "title", "text", …}) and save them."""
    documents: list[Document] = []
    problems: list[str] = []
    for n, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise BadDocument("must be a JSON object")
            if not _encodable(record):
                raise BadDocument("holds a lone surrogate (\\ud800-\\udfff), which is not text")
            # No path: a record without an id gets one from its text, not from its position
            # (every upload's first record would otherwise share an id and replace the last).
            documents.append(document_from_record(record))
        except BadDocument as exc:
            problems.append(f"document {n}: {exc}")
    return _save(data_dir, documents, problems, protected_ids)


def _encodable(record: dict[str, Any]) -> bool:
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _save(data_dir: Path, documents: list[Document], problems: list[str], protected_ids: set[str]) -> list[Document]:
    if not documents and not problems:
        problems.append("no documents in the upload")
    seen: set[str] = set()
    conflicts = []
    for doc in documents:
        if doc.id in protected_ids:
            conflicts.append(f"{doc.id}: id belongs to a bundled corpus document and cannot be replaced")
        elif doc.id in seen:
            problems.append(f"{doc.id}: id appears twice in the upload")
        else:
            problems.extend(f"{doc.id}: {why}" for why in _stored_form_problems(doc))
        seen.add(doc.id)
    if problems or conflicts:
        raise IngestError(problems + conflicts, conflict=not problems)
    added = DataLayout(data_dir).added
    for doc in documents:
        write_atomic(added / f"{doc.id}.md", document_to_markdown(doc))
    mark_reindex_pending(data_dir)
    return documents


def _stored_form_problems(doc: Document) -> list[str]:
    """Why `doc` would not come back the same from `added/<id>.md` at the next build.

    A 202 promises the document will be served: one the build would skip (a NUL in its text,
    an id making a hidden or ignored file name such as `.x` or `README`) or change must be
    refused now, not dropped later with a line in the build log.
    """
    with tempfile.TemporaryDirectory(prefix="stored-") as scratch:
        (Path(scratch) / f"{doc.id}.md").write_text(document_to_markdown(doc), encoding="utf-8")
        loaded = load_corpus([Path(scratch)])
    if loaded.problems:
        return [p.reason for p in loaded.problems]
    if [(d.id, d.title, d.text) for d in loaded.documents] != [(doc.id, doc.title, doc.text)]:
        return [("cannot be stored as a corpus file unchanged (its id names a file the build skips, or its "
                 "text does not survive the round trip)")]
    return []


def document_to_markdown(doc: Document) -> str:
    """The project's own format, so an added document rebuilds exactly like a bundled one."""
    import yaml

    front: dict[str, Any] = {"id": doc.id, "title": doc.title, "lang": doc.lang}
    for key in ("date", "source", "district", "url"):
        if getattr(doc, key):
            front[key] = getattr(doc, key)
    front.update(doc.meta)
    parts = []
    for block in doc.blocks:
        if block.kind == "heading":
            parts.append("#" * max(1, block.level or 2) + " " + block.text)
        elif block.kind == "caption":
            parts.append("> " + block.text)
        else:
            parts.append(block.text)
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    return f"---\n{header}---\n\n" + "\n\n".join(parts) + "\n"


def mark_reindex_pending(data_dir: Path) -> None:
    write_atomic(data_dir / PENDING_FILE, f"{time.time()}\n")


def reindex_pending(data_dir: Path) -> bool:
    return (data_dir / PENDING_FILE).exists()


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


def corpus_ids(corpus_dir: Path) -> set[str]:
    """Ids of the documents in a corpus folder: uploads may add or replace their own, not these."""
    return {doc.id for doc in load_corpus([corpus_dir]).documents}


def run_pending_builds(
    corpus_dir: Path, data_dir: Path, force: bool = False,
    progress: ProgressFactory | None = None, on_build: Callable[[BuildSummary], None] | None = None,
) -> int:
    """Build while the pending marker is set; returns the number of builds. One runner at a time.

    The marker is cleared *before* each build, so an upload landing during a build sets it
    again and causes one more build. After letting go of the lock the marker is checked once
    more: a request that saw the lock held (and so started no runner) is still served.
    """
    from .builder import build_index

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
    a worker restart cannot kill it halfway (it would not matter: see store.py).
    """
    mark_reindex_pending(data_dir)
    if reindex_running(data_dir):
        return
    log = open(data_dir / "reindex.log", "ab")
    runner = subprocess.Popen(
        [sys.executable, "-m", "index", "--data", str(data_dir), "reindex", "--corpus", str(corpus_dir)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        cwd=Path(__file__).resolve().parent.parent,
    )
    log.close()
    # Reap it when it ends, or it stays a zombie of the serving worker until the next reindex.
    threading.Thread(target=runner.wait, name="reindex-reaper", daemon=True).start()
