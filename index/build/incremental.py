"""Incremental updates: put (add or replace) or delete documents in seconds, not a rebuild.

An update makes a new build folder from the current one, as a full build does, and
publishes it the same way (storage/layout.py: a `.tmp-` folder, renamed, then CURRENT
rewritten), so a process killed at any point leaves the served build intact and workers
switch at their next request. What does not change is hard-linked from the current
build (no copy, and its checksum is carried over instead of hashed again); each artifact
that changes is carried forward by its own function in derive.py.

The documents themselves live where a full build reads them, `DATA_DIR/added/<id>.md`
(corpus/uploads.py), and are written there (or removed) *before* the update, so a full
build always agrees with the updates made before it, and an update killed halfway is
redone by the full build the next start runs (build/reindex.py `reindex_needed`: the
added folder is newer than the build).

Concurrency: updates and full builds share the build lock. An update waits up to
`LOCK_WAIT_SECONDS` for another update; when a full reindex is running, or the lock stays
taken, it raises BuildBusy and the caller queues a full reindex instead (the running one
loops while its pending marker is set, so it picks the change up when it is done).
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from index.build.artifacts import (
    DOCUMENTS_FILE,
    MANIFEST_FILE,
    PASSAGES_FILE,
    SECOND_VECTORS_FILE,
    USER_DICTIONARY,
)
from index.build.builder import BuildError, _named_on_failure
from index.build.derive import ARTIFACT_UPDATES, Change, document_id, layout_rows, passage_ids
from index.build.reindex import reindex_running
from index.corpus.loader import load_file
from index.corpus.passages import split_passages
from index.corpus.uploads import added_path, remove_added, store_documents
from index.env import second_encoder_enabled
from index.models import Document, Passage
from index.storage.batches import batch_lock, settle
from index.storage.layout import BuildBusy, DataLayout, build_lock, new_build_folder, publish_build
from index.text.analysis import load_user_dictionary
from index.vector.encoder import Encoder
from index.vector.second_encoder import UseEncoder

# How long an update waits for another one (seconds each at 50k passages) before giving
# up and queueing a full reindex instead.
LOCK_WAIT_SECONDS = 60.0


@dataclass
class IncrementalUpdate:
    build_dir: Path
    put: list[str]  # ids added or replaced
    deleted: list[str]  # ids removed
    passages_added: int
    passages_removed: int
    embedded: int  # texts run through a model (passages per encoder, and new sentences)
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)


def put_documents(
    data_dir: Path, documents: list[Document], protected_ids: set[str] | None = None,
    encoder: Encoder | None = None, second_encoder: Encoder | None = None,
    lock_wait: float = LOCK_WAIT_SECONDS,
) -> IncrementalUpdate:
    """Store `documents` in the added folder (the upload's checks: ids, protected ids, a
    stored form that loads back the same) and update the index with them, replacing any
    document of the same id. Raises IngestError / UploadNotSaved with nothing changed, and
    BuildBusy when a full build holds the lock (the documents are stored then)."""
    stored = store_documents(data_dir, documents, protected_ids or set(), mark_pending=False)
    return update_index(data_dir, put_ids=[d.id for d in stored], encoder=encoder,
                        second_encoder=second_encoder, lock_wait=lock_wait)


def delete_documents(
    data_dir: Path, doc_ids: Iterable[str], encoder: Encoder | None = None,
    second_encoder: Encoder | None = None, lock_wait: float = LOCK_WAIT_SECONDS,
) -> IncrementalUpdate:
    """Remove added documents (their files, then their passages from the index)."""
    ids = list(dict.fromkeys(doc_ids))
    for doc_id in ids:
        remove_added(data_dir, doc_id)
    return update_index(data_dir, delete_ids=ids, encoder=encoder, second_encoder=second_encoder,
                        lock_wait=lock_wait)


def update_index(
    data_dir: Path, put_ids: Iterable[str] = (), delete_ids: Iterable[str] = (),
    encoder: Encoder | None = None, second_encoder: Encoder | None = None,
    lock_wait: float = LOCK_WAIT_SECONDS,
) -> IncrementalUpdate:
    """Publish a build equal to the current one with `put_ids` read again from the added
    folder and `delete_ids` taken out. The files in the added folder must already say so."""
    started = time.perf_counter()
    layout = DataLayout(data_dir)
    put, deleted = list(dict.fromkeys(put_ids)), list(dict.fromkeys(delete_ids))
    if reindex_running(data_dir):
        raise BuildBusy("a full reindex is running")
    with build_lock(layout, timeout=lock_wait):
        old = layout.current_build()
        if old is None:
            raise BuildError("no build to update: run a full build first (python -m index build)")
        load_user_dictionary(old / USER_DICTIONARY)  # jieba must cut as the build did
        documents = _stored_documents(layout, put)
        passages = [p for d in documents for p in split_passages(d)]
        with _named_on_failure(new_build_folder(layout)) as folder:
            change = _plan(old, folder, set(put) | set(deleted), documents, passages, data_dir,
                           encoder, second_encoder)
            claimed: set[str] = {MANIFEST_FILE}
            for name, carry_forward in ARTIFACT_UPDATES:
                t = time.perf_counter()
                claimed.update(carry_forward(change))
                change.stage_seconds[name] = time.perf_counter() - t
            t = time.perf_counter()
            known = _link_unclaimed(old, folder, claimed)
            published = publish_build(layout, folder, _manifest(old, change, put, deleted), known)
            change.stage_seconds["publish"] = time.perf_counter() - t
    return IncrementalUpdate(
        build_dir=published, put=put, deleted=deleted, passages_added=len(passages),
        passages_removed=change.old_count - len(change.source_rows), embedded=change.embedded,
        seconds=time.perf_counter() - started, stage_seconds=change.stage_seconds,
    )


def _stored_documents(layout: DataLayout, ids: list[str]) -> list[Document]:
    """The documents as a full build reads them: from their files in the added folder."""
    documents = []
    with batch_lock(layout.root):
        settle(layout.root, layout.added)
        for doc_id in ids:
            loaded, problems = load_file(added_path(layout.root, doc_id))
            if problems or [d.id for d in loaded] != [doc_id]:
                why = "; ".join(p.reason for p in problems) or "not stored under its id"
                raise BuildError(f"{doc_id}: cannot read its stored file ({why})")
            documents += loaded
    return documents


def _plan(old: Path, folder: Path, removed: set[str], documents: list[Document], passages: list[Passage],
          data_dir: Path, encoder: Encoder | None, second_encoder: Encoder | None) -> Change:
    t = time.perf_counter()
    with (old / PASSAGES_FILE).open(encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip()]
    doc_ids = [passage_ids(line)[1] for line in lines]
    frozen = frozenset(removed)
    removed_documents = _removed_documents(old, frozen)

    @cache
    def e5() -> Encoder:
        return encoder or Encoder(data_dir)

    @cache
    def use() -> Encoder | None:
        if second_encoder is not None:
            return second_encoder
        return UseEncoder(data_dir) if second_encoder_enabled() and (old / SECOND_VECTORS_FILE).is_file() else None

    change = Change(old=old, new=folder, removed_doc_ids=frozen, source_rows=layout_rows(doc_ids, frozen),
                    passages=passages, documents=documents, removed_documents=removed_documents,
                    passage_lines=lines, encoder=e5, second_encoder=use)
    change.stage_seconds["read"] = time.perf_counter() - t
    return change


def _removed_documents(old: Path, removed: frozenset[str]) -> list[Document]:
    """The current build's records of the documents going out (their words leave the
    suggestions); only their lines are parsed in full."""
    if not removed:
        return []
    with (old / DOCUMENTS_FILE).open(encoding="utf-8") as handle:
        return [Document.from_dict(json.loads(line)) for line in handle
                if line.strip() and document_id(line) in removed]


def _link_unclaimed(old: Path, folder: Path, claimed: set[str]) -> dict[str, str]:
    """Hard-link every file of the old build no artifact function wrote; return the
    checksums (from the old manifest) of every file of the new build that is the same
    inode as the old build's file of that name."""
    for path in old.iterdir():
        if path.is_file() and path.name not in claimed and not (folder / path.name).exists():
            os.link(path, folder / path.name)
    sums: dict[str, str] = json.loads((old / MANIFEST_FILE).read_text(encoding="utf-8")).get("checksums") or {}
    return {name: digest for name, digest in sums.items()
            if (folder / name).is_file() and os.path.samefile(old / name, folder / name)}


def _manifest(old: Path, change: Change, put: list[str], deleted: list[str]) -> dict[str, Any]:
    previous = json.loads((old / MANIFEST_FILE).read_text(encoding="utf-8"))
    documents = sum(1 for line in (change.new / DOCUMENTS_FILE).open(encoding="utf-8") if line.strip())
    kept = {k: v for k, v in previous.items() if k not in ("format", "checksums", "update")}
    return {
        **kept,
        "documents": documents,
        "passages": len(change.source_rows) + len(change.passages),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        # What this build changed, and from which: a full build's manifest has no "update".
        "update": {"from": old.name, "put": put, "deleted": deleted},
    }
