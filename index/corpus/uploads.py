"""Durable uploads: documents added while the app serves.

An upload is checked in full (ids included) before anything is written, then its documents
are written as `DATA_DIR/added/<doc_id>.md` *before* the caller answers, all or none of
them (storage/batches.py: a staging folder, committed by one rename), and the
reindex-pending marker is set; build/reindex.py picks it up.
"""
from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from index.corpus.loader import (
    SUPPORTED_SUFFIXES,
    BadDocument,
    document_from_record,
    load_corpus,
    load_file,
)
from index.models import Document
from index.storage.batches import batch_lock, settle, write_batch
from index.storage.files import fsync_dir
from index.storage.layout import DataLayout, mark_reindex_pending

# A document is stored as `<id>.md`, and a file name holds at most 255 bytes (NAME_MAX) on
# the usual file systems; 81 Chinese characters are already 243 bytes. 200 leaves room for
# the suffix and for temporary names made from it.
MAX_ID_BYTES = 200


class IngestError(ValueError):
    """Uploads refused; nothing was saved. `problems` says why, one line per file."""

    def __init__(self, problems: list[str], conflict: bool = False) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.conflict = conflict  # True when the only trouble is ids that already exist


class UploadNotSaved(RuntimeError):
    """The upload was valid but could not be written (disk full, …); nothing was saved."""


def ingest_files(data_dir: Path, uploads: list[tuple[str, bytes]], protected_ids: set[str],
                 mark_pending: bool = True) -> list[Document]:
    """Check uploaded files (name, content) in any corpus format and save their documents.

    All or nothing: one bad file refuses the whole request, so a client never has to work
    out which half of its upload landed. `mark_pending=False` leaves the reindex to the
    caller (an incremental update, index/build/incremental.py)."""
    documents, problems = read_uploads(uploads)
    return _save(data_dir, documents, problems, protected_ids, mark_pending)


def read_uploads(uploads: list[tuple[str, bytes]]) -> tuple[list[Document], list[str]]:
    """The documents of uploaded files (name, content), and what is wrong with them; nothing saved."""
    documents: list[Document] = []
    problems: list[str] = []
    with _not_saved_on_os_error(), tempfile.TemporaryDirectory(prefix="upload-") as scratch:
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
    return documents, problems


def ingest_records(data_dir: Path, records: list[Any], protected_ids: set[str],
                   mark_pending: bool = True) -> list[Document]:
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
    return _save(data_dir, documents, problems, protected_ids, mark_pending)


@contextmanager
def _not_saved_on_os_error() -> Iterator[None]:
    """A full disk or a file-size limit, while checking (scratch files) or saving."""
    try:
        yield
    except OSError as exc:
        raise UploadNotSaved(f"nothing was saved: {exc.strerror or exc}") from exc


def _encodable(record: dict[str, Any]) -> bool:
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def store_documents(data_dir: Path, documents: list[Document], protected_ids: set[str],
                    mark_pending: bool = True) -> list[Document]:
    """Save documents already read (the admin API's PUT sets their id): the upload's checks, all or nothing."""
    return _save(data_dir, documents, [], protected_ids, mark_pending)


def _save(data_dir: Path, documents: list[Document], problems: list[str], protected_ids: set[str],
          mark_pending: bool) -> list[Document]:
    with _not_saved_on_os_error():
        return _check_and_write(data_dir, documents, problems, protected_ids, mark_pending)


def _check_and_write(data_dir: Path, documents: list[Document], problems: list[str],
                     protected_ids: set[str], mark_pending: bool) -> list[Document]:
    if not documents and not problems:
        problems.append("no documents in the upload")
    seen: set[str] = set()
    conflicts = []
    for doc in documents:
        if doc.id in protected_ids:
            conflicts.append(f"{doc.id}: id belongs to a bundled corpus document and cannot be replaced")
        elif doc.id in seen:
            problems.append(f"{doc.id}: id appears twice in the upload")
        elif len(doc.id.encode("utf-8")) > MAX_ID_BYTES:
            problems.append(f"{doc.id[:40]}…: id is longer than {MAX_ID_BYTES} bytes of UTF-8")
        else:
            problems.extend(f"{doc.id}: {why}" for why in _stored_form_problems(doc))
        seen.add(doc.id)
    if problems or conflicts:
        raise IngestError(problems + conflicts, conflict=not problems)
    files = {f"{doc.id}.md": document_to_markdown(doc).encode("utf-8") for doc in documents}
    write_batch(data_dir, DataLayout(data_dir).added, files)
    if mark_pending:
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
    if [(d.id, d.title, d.text, [b.page for b in d.blocks]) for d in loaded.documents] != [
            (doc.id, doc.title, doc.text, [b.page for b in doc.blocks])]:
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
    page: int | None = None
    for block in doc.blocks:
        if block.page != page and block.page is not None:
            parts.append(f"<!-- page {block.page} -->")  # a PDF's pages survive the round trip
        page = block.page
        if block.kind == "heading":
            parts.append("#" * max(1, block.level or 2) + " " + block.text)
        elif block.kind == "caption":
            parts.append("> " + block.text)
        else:
            parts.append(block.text)
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    return f"---\n{header}---\n\n" + "\n\n".join(parts) + "\n"


def added_path(data_dir: Path, doc_id: str) -> Path:
    """Where an added document is stored (every upload is saved as `<id>.md`)."""
    return DataLayout(data_dir).added / f"{doc_id}.md"


def remove_added(data_dir: Path, doc_id: str) -> bool:
    """Delete an added document's file, so no later build brings it back; False if there was none."""
    with _not_saved_on_os_error(), batch_lock(data_dir):
        settle(data_dir, DataLayout(data_dir).added)  # a batch a killed writer left may hold it
        path = added_path(data_dir, doc_id)
        if not path.is_file():
            return False
        path.unlink()
        fsync_dir(path.parent)
        return True


def corpus_ids(corpus_dir: Path) -> set[str]:
    """Ids of the documents in a corpus folder: uploads may add or replace their own, not these."""
    return {doc.id for doc in load_corpus([corpus_dir]).documents}
