"""A build's passages and documents, read from its files or, after an incremental update,
carried over from the build it was made from.

Reading passages.jsonl and documents.jsonl is most of what switching to a new build costs
a worker (at 50k passages: ~10 s of JSON on two loaded cores, per worker, per build). An
incremental build's manifest says which build it came from and which documents it put or
deleted (index/build/incremental.py); the worker still holds that build, so it keeps the
passages that stayed, in the rows derive.layout_rows gives them, and parses only the new
lines at the end of each file. Anything that does not add up falls back to reading it all.
"""
from __future__ import annotations

import json
import mmap
from pathlib import Path
from typing import Any

from index.build.artifacts import DOCUMENTS_FILE, MANIFEST_FILE, PASSAGES_FILE, read_documents, read_passages
from index.build.derive import layout_rows
from index.models import Document, Passage


def read_records(folder: Path, previous_folder: Path | None = None, previous_passages: list[Passage] | None = None,
                 previous_documents: dict[str, Document] | None = None) -> tuple[list[Passage], list[Document]]:
    """(passages in row order, documents in file order) of the build in `folder`."""
    if previous_folder is not None and previous_passages is not None and previous_documents is not None:
        try:
            derived = _derive(folder, previous_folder, previous_passages, previous_documents)
        except (OSError, ValueError, KeyError, TypeError):
            derived = None  # read it all; if the files are broken, that read says so
        if derived is not None:
            return derived
    return read_passages(folder), read_documents(folder)


def _derive(folder: Path, previous_folder: Path, previous_passages: list[Passage],
            previous_documents: dict[str, Document]) -> tuple[list[Passage], list[Document]] | None:
    manifest: dict[str, Any] = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    update = manifest.get("update")
    if not isinstance(update, dict) or update.get("from") != previous_folder.name:
        return None
    put = list(update.get("put", []))
    removed = frozenset(put) | frozenset(update.get("deleted", []))
    rows = layout_rows([p.doc_id for p in previous_passages], removed)
    new_passages = [Passage(**json.loads(line))
                    for line in _last_lines(folder / PASSAGES_FILE, int(manifest["passages"]) - len(rows))]
    new_documents = [Document.from_dict(json.loads(line)) for line in _last_lines(folder / DOCUMENTS_FILE, len(put))]
    documents = [d for d in previous_documents.values() if d.id not in removed] + new_documents
    if [d.id for d in new_documents] != put or len(documents) != manifest.get("documents") \
            or any(p.doc_id not in removed for p in new_passages):
        return None
    return [previous_passages[r] for r in rows] + new_passages, documents


def _last_lines(path: Path, n: int) -> list[str]:
    """The last `n` lines of a JSONL file, without reading the lines before them."""
    if n <= 0:
        return []
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = len(data)
        while end and data[end - 1] == ord("\n"):
            end -= 1
        cut = end
        for _ in range(n):
            cut = data.rfind(b"\n", 0, cut)
            if cut < 0:
                break
        return data[cut + 1:end].decode("utf-8").split("\n")
