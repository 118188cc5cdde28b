"""What a build folder holds, and how each file is written and read back.

The builder writes these names and the search engine reads them; both import them from
here, so reading a build does not depend on the code that makes one.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from index.models import Document, Passage

USER_DICTIONARY = "userdict.txt"  # the corpus's jieba words, copied in so the build is self-contained
KEYWORD_FOLDER = "keyword"  # the Whoosh index
# Its numpy copy for fast BM25F (keyword/accelerator.py); a build without it searches Whoosh.
KEYWORD_ACCELERATOR_FOLDER = "keyword-accelerator"
VECTORS_FILE = "vectors.npy"  # e5 passage vectors, one row per line of PASSAGES_FILE
# USE passage vectors; a build without them simply has no second list.
SECOND_VECTORS_FILE = "vectors-use.npy"
# Every sentence's e5 vector, rows sorted by the sentence's hash (vector/sentence_store.py).
SENTENCE_KEYS_FILE = "sentence-keys.npy"
SENTENCE_VECTORS_FILE = "sentence-vectors.npy"
# The same for USE, when the build has the second encoder: the answerer blends its cosine
# into an English question's choice among Chinese sentences (answer/answerer.py).
SECOND_SENTENCE_KEYS_FILE = "sentence-keys-use.npy"
SECOND_SENTENCE_VECTORS_FILE = "sentence-vectors-use.npy"
PASSAGES_FILE = "passages.jsonl"
DOCUMENTS_FILE = "documents.jsonl"
SUGGESTIONS_FILE = "suggestions.json"
MANIFEST_FILE = "manifest.json"


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_passages(build_dir: Path) -> list[Passage]:
    return [Passage(**record) for record in read_jsonl(build_dir / PASSAGES_FILE)]


def read_documents(build_dir: Path) -> list[Document]:
    return [Document.from_dict(record) for record in read_jsonl(build_dir / DOCUMENTS_FILE)]
