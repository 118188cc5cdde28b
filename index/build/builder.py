"""Build the whole index from corpus folders: load, split, keyword-index, embed, publish."""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.build.artifacts import (
    DOCUMENTS_FILE,
    KEYWORD_ACCELERATOR_FOLDER,
    KEYWORD_FOLDER,
    PASSAGES_FILE,
    SECOND_SENTENCE_KEYS_FILE,
    SECOND_SENTENCE_VECTORS_FILE,
    SECOND_VECTORS_FILE,
    SENTENCE_KEYS_FILE,
    SENTENCE_VECTORS_FILE,
    SUGGESTIONS_FILE,
    USER_DICTIONARY,
    VECTORS_FILE,
    write_jsonl,
)
from index.build.runner import BuildRunner, LocalRunner
from index.corpus.loader import LoadProblem, corpus_files
from index.corpus.passages import answer_sentences, split_passages
from index.crosslingual.glossary import GLOSSARY_FILE
from index.env import second_encoder_enabled
from index.keyword.suggest import build_vocabulary, save_vocabulary
from index.keyword.whoosh_index import build_keyword_accelerator, build_keyword_index
from index.models import Document, Passage
from index.storage.batches import batch_lock, settle
from index.storage.layout import DataLayout, build_lock, new_build_folder, publish_build, sentence_cache_path
from index.text.analysis import load_user_dictionary
from index.vector.cache import EmbeddingCache
from index.vector.encoder import Encoder
from index.vector.second_encoder import UseEncoder
from index.vector.sentence_store import SentenceVectors
from index.vector.vector_index import save_vectors

# progress(stage, total) -> a callable advancing that stage by n; None means no display.
ProgressFactory = Callable[[str, int], Callable[[int], None]]


class BuildError(RuntimeError):
    """The build cannot produce a usable index (the previous one keeps serving)."""


class DocumentsFailed(BuildError):
    """Some documents broke a stage of the build: `failures` maps their id to (path, why)."""

    def __init__(self, stage: str, failures: dict[str, tuple[str, str]]) -> None:
        super().__init__(f"{stage} failed on " + "; ".join(f"{i}: {why}" for i, (_, why) in failures.items()))
        self.stage = stage
        self.failures = failures


@dataclass
class BuildSummary:
    build_dir: Path
    documents: int
    passages: int
    skipped: list[LoadProblem]
    seconds: float
    embedded: int  # passages run through the model; the rest came from the cache
    stage_seconds: dict[str, float] = field(default_factory=dict)


def build_index(
    corpus_dir: Path,
    data_dir: Path,
    encoder: Encoder | None = None,
    progress: ProgressFactory | None = None,
    second_encoder: Encoder | None = None,
    runner: BuildRunner | None = None,
) -> BuildSummary:
    """Build from `corpus_dir` plus the documents added to `data_dir`, then switch to it.

    `second_encoder` defaults to USE (second_encoder.py) unless SECOND_ENCODER=off.
    `runner` loads files and embeds: in this process by default, or on a Ray cluster
    (index/build/distributed.py); the build written is the same."""
    layout = DataLayout(data_dir)
    runner = runner or LocalRunner()
    started = time.perf_counter()
    stages: dict[str, float] = {}
    with build_lock(layout), _named_on_failure(new_build_folder(layout)) as folder:
        t = time.perf_counter()
        with batch_lock(layout.root):  # never read an upload that is half moved into place
            settle(layout.root, layout.added)
            files = corpus_files([corpus_dir, layout.added])
            loaded = runner.load(files, _stage(progress, "parse", len(files)))
        if not loaded.documents:
            raise BuildError(f"no readable documents in {corpus_dir} ({len(loaded.problems)} skipped)")
        user_dictionary = corpus_dir / USER_DICTIONARY
        load_user_dictionary(user_dictionary)
        passages = _split_every_document(loaded.documents)
        stages["parse"] = time.perf_counter() - t

        for name in (USER_DICTIONARY, GLOSSARY_FILE):
            if (corpus_dir / name).is_file():
                shutil.copyfile(corpus_dir / name, folder / name)

        t = time.perf_counter()
        build_keyword_index(folder / KEYWORD_FOLDER, passages, _stage(progress, "keyword index", len(passages)))
        stages["keyword"] = time.perf_counter() - t
        t = time.perf_counter()
        build_keyword_accelerator(folder / KEYWORD_FOLDER, folder / KEYWORD_ACCELERATOR_FOLDER)
        stages["keyword_accelerator"] = time.perf_counter() - t

        t = time.perf_counter()
        encoder = encoder or Encoder(data_dir)
        cache = EmbeddingCache(layout.cache / f"passages-{encoder.name}.npz")
        cached_before = len(cache)
        paths = {d.id: d.path for d in loaded.documents}
        vectors = _embed_or_blame(runner, encoder, passages, cache,
                                  _stage(progress, "embeddings", len(passages)), paths)
        cache.save()
        save_vectors(folder / VECTORS_FILE, vectors)
        second = _embed_second(data_dir, layout, folder, passages, second_encoder, progress, paths, runner)
        sentences = sorted({s.text for p in passages for s in answer_sentences(p.text)})
        _embed_sentences(layout, folder, sentences, encoder, _stage(progress, "answer sentences", len(sentences)),
                         runner, (SENTENCE_KEYS_FILE, SENTENCE_VECTORS_FILE))
        if second is not None:
            _embed_sentences(layout, folder, sentences, second,
                             _stage(progress, "answer sentences, second encoder", len(sentences)),
                             runner, (SECOND_SENTENCE_KEYS_FILE, SECOND_SENTENCE_VECTORS_FILE))
        stages["embed"] = time.perf_counter() - t

        write_jsonl(folder / DOCUMENTS_FILE, (d.to_dict() for d in loaded.documents))
        write_jsonl(folder / PASSAGES_FILE, (p.to_dict() for p in passages))
        save_vocabulary(folder / SUGGESTIONS_FILE, build_vocabulary(loaded.documents))
        publish_build(
            layout,
            folder,
            {
                "documents": len(loaded.documents),
                "passages": len(passages),
                "model": encoder.name,
                "skipped": [str(p) for p in loaded.problems],
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        )
    return BuildSummary(
        build_dir=layout.current_build() or folder,
        documents=len(loaded.documents),
        passages=len(passages),
        skipped=loaded.problems,
        seconds=time.perf_counter() - started,
        embedded=len(cache) - cached_before,
        stage_seconds=stages,
    )


def _embed_sentences(
    layout: DataLayout, folder: Path, sentences: list[str], encoder: Encoder, on_progress: Callable[[int], None] | None,
    runner: BuildRunner, files: tuple[str, str],
) -> None:
    """Every sentence's vector, at any corpus size, so answering a question embeds the
    question alone (sentence_store.py); cached by content hash like the passages."""
    cache = EmbeddingCache(sentence_cache_path(layout, encoder.name))
    vectors = runner.embed(encoder, sentences, cache, on_progress)
    cache.save()
    SentenceVectors.write(folder / files[0], folder / files[1], sentences, vectors)


def _embed_second(
    data_dir: Path, layout: DataLayout, folder: Path, passages: list[Passage],
    encoder: Encoder | None, progress: ProgressFactory | None, paths: dict[str, str], runner: BuildRunner,
) -> Encoder | None:
    """The second encoder's passage vectors (vectors-use.npy), cached like e5's; the
    encoder, or None when the build has no second encoder."""
    if encoder is None:
        if not second_encoder_enabled():
            return None
        encoder = UseEncoder(data_dir)
    cache = EmbeddingCache(layout.cache / f"passages-{encoder.name}.npz")
    vectors = _embed_or_blame(runner, encoder, passages, cache,
                              _stage(progress, "second encoder", len(passages)), paths)
    cache.save()
    save_vectors(folder / SECOND_VECTORS_FILE, vectors)
    return encoder


@contextmanager
def _named_on_failure(folder: Path) -> Iterator[Path]:
    """Give any error the build's name (`exc.build`, for the status record) and remove its folder."""
    try:
        yield folder
    except Exception as exc:
        exc.build = folder.name.removeprefix(".tmp-")  # type: ignore[attr-defined]
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _split_every_document(documents: list[Document]) -> list[Passage]:
    passages: list[Passage] = []
    failures: dict[str, tuple[str, str]] = {}
    for doc in documents:
        try:
            passages.extend(split_passages(doc))
        except Exception as exc:  # noqa: BLE001 - any error is this document's; the build goes on without it
            failures[doc.id] = (doc.path, f"{type(exc).__name__}: {exc}")
    if failures:
        raise DocumentsFailed("splitting", failures)
    return passages


def _embed_or_blame(runner: BuildRunner, encoder: Encoder, passages: list[Passage], cache: EmbeddingCache,
                    progress: Callable[[int], None] | None, paths: dict[str, str]) -> np.ndarray:
    """The passages' vectors; if the model fails, find the documents it fails on.

    Vectors already made are in `cache`, so the search document by document (in this
    process, whatever the runner) only runs the model again on what is left.
    """
    try:
        return runner.embed(encoder, [p.text for p in passages], cache, progress)
    except Exception as whole:
        failures: dict[str, tuple[str, str]] = {}
        by_document: dict[str, list[Passage]] = {}
        for p in passages:
            by_document.setdefault(p.doc_id, []).append(p)
        for doc_id, own in by_document.items():
            try:
                encoder.encode_passages([p.text for p in own], cache)
            except Exception as exc:  # noqa: BLE001
                failures[doc_id] = (paths.get(doc_id, ""), f"{type(exc).__name__}: {exc}")
        if failures:
            raise DocumentsFailed(f"embedding ({encoder.name})", failures) from whole
        raise


def _stage(progress: ProgressFactory | None, name: str, total: int) -> Callable[[int], None] | None:
    return progress(name, total) if progress else None
