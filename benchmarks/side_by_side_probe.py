"""The side-by-side scale benchmark's jobs, each in a fresh process so that memory and
timings belong to one thing (side_by_side.py runs them):

    python -m benchmarks.side_by_side_probe bank CORPUS OUT_DIR
    python -m benchmarks.side_by_side_probe build CORPUS DATA_DIR BANK_DIR
    python -m benchmarks.side_by_side_probe query DATA_DIR QUERIES.json

`bank` embeds a sample of real passages with e5 and USE (the vectors the builds replay),
`build` is the product's build_index with every stage timed, `query` puts our keyword and
vector paths next to bm25s, tantivy and an exact numpy scan. Each prints one JSON object
on its last line.
"""
from __future__ import annotations

import functools
import gc
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import workspace  # noqa: F401  (sets HF_HUB_OFFLINE before the model loads)
from benchmarks.scale_probe import ReplayEncoder, folder_mb, peak_rss_mb, rss_mb
from index import KEYWORD_FOLDER, AnnIndex, EmbeddingCache, KeywordIndex, SearchEngine, SearchMode, analyze, query_terms
from index import build_stages as builder

MODES: tuple[SearchMode, ...] = ("keyword", "vector", "hybrid")
K = 10
BANK_FILES = ("bank-e5.npy", "bank-use.npy")


# --- build -------------------------------------------------------------------------------

class StageClock:
    """Exclusive wall time per named stage, by wrapping the functions the builder calls.

    The builder itself times three coarse stages; an earlier 200k run spent ~2,000 s in
    none of them. Wrapping (not editing) the builder's collaborators names every stage
    without touching the product; a nested call's time is taken out of its caller's, so
    the stages add up to the build and what is left over is shown as "untimed"."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._children: list[float] = []

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._children.append(0.0)
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.seconds[name] += elapsed - self._children.pop()
                if self._children:
                    self._children[-1] += elapsed
        return timed

    @contextmanager
    def timing(self, targets: Sequence[tuple[Any, str, str]]) -> Iterator[None]:
        """targets: (module or class, attribute, stage name); restored on exit."""
        saved = []
        for owner, attr, name in targets:
            if attr not in owner.__dict__:  # a stage this version of the builder does not have
                continue
            original = owner.__dict__[attr]
            saved.append((owner, attr, original))
            if isinstance(original, staticmethod):
                setattr(owner, attr, staticmethod(self.wrap(name, original.__func__)))
            else:
                setattr(owner, attr, self.wrap(name, original))
        try:
            yield
        finally:
            for owner, attr, original in saved:
                setattr(owner, attr, original)


BUILD_STAGES = (
    (builder, "build_keyword_index", "keyword index (Whoosh)"),
    (builder, "build_keyword_accelerator", "keyword accelerator (numpy BM25F)"),  # once main has it
    (builder, "_embed_or_blame", "passage vectors (replayed, e5 + USE)"),
    (builder, "save_vectors", "vectors written"),
    (AnnIndex, "build", "HNSW graphs (e5 + USE)"),
    (builder, "_embed_sentences", "answer sentence vectors (replayed)"),
    (EmbeddingCache, "save", "vector caches saved"),
    (builder, "write_jsonl", "passages + documents jsonl"),
    (builder, "build_vocabulary", "suggestion vocabulary (jieba)"),
    (builder, "save_vocabulary", "suggestion vocabulary (jieba)"),
    (builder, "publish_build", "publish"),
)


def artifact_mb(folder: Path) -> dict[str, float]:
    """On-disk size of each part of a build, grouped by component."""
    groups = {
        "keyword (Whoosh)": ["keyword"],
        "e5 vectors": ["vectors.npy"], "e5 HNSW": ["vectors.usearch"],
        "USE vectors": ["vectors-use.npy"], "USE HNSW": ["vectors-use.usearch"],
        "sentence vectors": ["sentence-vectors.npy", "sentence-keys.npy"],
        "passages + documents": ["passages.jsonl", "documents.jsonl"],
    }
    sizes = {name: sum(folder_mb(folder / p) for p in parts if (folder / p).exists()) for name, parts in groups.items()}
    sizes["other"] = folder_mb(folder) - sum(sizes.values())
    return sizes


def build(corpus: Path, data_dir: Path, bank_dir: Path) -> dict:
    """The product's build, passage and sentence vectors replayed (ReplayEncoder), every stage timed."""
    from index import USE_MODEL_NAME

    encoder = ReplayEncoder(data_dir, np.load(bank_dir / BANK_FILES[0]))
    second = ReplayEncoder(data_dir, np.load(bank_dir / BANK_FILES[1]), USE_MODEL_NAME)
    clock = StageClock()
    with clock.timing(BUILD_STAGES):
        summary = builder.build_index(corpus, data_dir, encoder=encoder, second_encoder=second)
    stages = {"parse + split": summary.stage_seconds["parse"], **clock.seconds}
    stages["untimed"] = summary.seconds - sum(stages.values())
    return {
        "documents": summary.documents,
        "passages": summary.passages,
        "seconds": summary.seconds,
        "stage_seconds": stages,
        "peak_rss_mb": peak_rss_mb(),
        "size_mb": artifact_mb(summary.build_dir),
        "cache_mb": folder_mb(data_dir / "cache"),
    }


def bank(corpus: Path, out_dir: Path) -> dict:
    """Real e5 and USE vectors of a sample of the corpus: what the builds replay."""
    from benchmarks.scale import embedding_sample
    from index import Encoder, UseEncoder

    sample, _ = embedding_sample(corpus, 96, 0)
    data_dir = workspace.bench_dir("shared")
    started = time.perf_counter()
    e5 = Encoder(data_dir).encode_passages(sample)
    use = UseEncoder(data_dir).encode_passages(sample)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / BANK_FILES[0], e5)
    np.save(out_dir / BANK_FILES[1], use)
    return {"passages": len(sample), "seconds": time.perf_counter() - started}


# --- query -------------------------------------------------------------------------------

def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000, value


def _overlap(ours: Sequence[int], theirs: Sequence[int]) -> float | None:
    """Share of our top-10 that the other side also returns (None when we return nothing)."""
    return len(set(ours) & set(theirs)) / len(ours) if ours else None


def passage_tokens(engine: SearchEngine) -> list[str]:
    """Every passage's analyzer terms (title, heading and text, as our three fields hold),
    space-joined: the very tokens Whoosh indexed, fed to both baselines."""
    return [" ".join(t for t, _, _ in analyze(f"{p.title}\n{p.heading}\n{p.text}")) for p in engine.build.passages]


class Bm25sSide:
    def __init__(self, lines: Sequence[str]) -> None:
        import bm25s
        from bm25s.tokenization import Tokenized

        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in line.split()] for line in lines]
        self.model = bm25s.BM25()  # Lucene BM25, k1=1.5, b=0.75: its defaults
        self.model.index(Tokenized(ids, vocab), show_progress=False)

    def search(self, terms: list[str]) -> list[int]:
        rows, _ = self.model.retrieve([terms], k=K, show_progress=False)
        return [int(r) for r in rows[0]]


class TantivySide:
    def __init__(self, lines: Sequence[str], folder: Path) -> None:
        import tantivy

        builder_ = tantivy.SchemaBuilder()
        # "whitespace" keeps our tokens as they are (already lowercased, stemmed, jieba-cut).
        builder_.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
        builder_.add_unsigned_field("row", stored=True)
        self.schema = builder_.build()
        self.index = tantivy.Index(self.schema, path=str(folder))
        writer = self.index.writer(heap_size=256_000_000, num_threads=1)  # one thread, as ours builds
        for row, line in enumerate(lines):
            writer.add_document(tantivy.Document(body=line, row=row))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        self._tantivy = tantivy

    def search(self, terms: list[str]) -> list[int]:
        t = self._tantivy
        query = t.Query.boolean_query([(t.Occur.Should, t.Query.term_query(self.schema, "body", term)) for term in terms])
        hits = self.searcher.search(query, K).hits
        return [int(self.searcher.doc(address)["row"][0]) for _, address in hits]


def exact_top(vectors: np.ndarray, query: np.ndarray) -> list[int]:
    scores = vectors @ query
    top = np.argpartition(-scores, K - 1)[:K]
    return [int(r) for r in top[np.argsort(-scores[top], kind="stable")]]


def _engine_latency(engine: SearchEngine, queries: dict[str, list[str]]) -> dict:
    """Cold (first sight of the query: embedding, jieba cut) then warm, per mode."""
    latency: dict = {}
    for mode in MODES:
        cold = [_timed(functools.partial(engine.search, q, k=K, mode=mode))[0] for q in queries[mode]]
        warm = [_timed(functools.partial(engine.search, q, k=K, mode=mode))[0] for q in queries[mode]]
        latency[mode] = {"cold": cold, "warm": warm}
    return latency


def _keyword_side_by_side(engine: SearchEngine, texts: list[str], data_dir: Path, rss: dict) -> dict:
    build = engine.build
    row = build.position
    out: dict = {}
    term_lists = [query_terms(q)[:48] for q in texts]  # ours caps a query at 48 terms (MAX_QUERY_TERMS)
    ours = [_timed(functools.partial(build.keyword.search, terms, K)) for terms in term_lists]
    ours_rows = [[row[pid] for pid in ranked.ids] for _, ranked in ours]
    if getattr(build.keyword, "accelerator", None) is not None:  # the served path is not Whoosh: time Whoosh too
        whoosh = KeywordIndex(build.folder / KEYWORD_FOLDER)
        out["whoosh_only_ms"] = [_timed(functools.partial(whoosh.search, terms, K))[0] for terms in term_lists]

    tokens_file = data_dir / "baseline-tokens.txt"  # the build's own analysis, cached with the build
    started = time.perf_counter()
    if tokens_file.is_file():
        lines = tokens_file.read_text(encoding="utf-8").split("\n")
        out["tokens_cached"] = True
    else:
        lines = passage_tokens(engine)
        tokens_file.write_text("\n".join(lines), encoding="utf-8")
        out["tokens_cached"] = False
    out["tokenize_s"] = time.perf_counter() - started

    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    bm25s_side = Bm25sSide(lines)
    out["bm25s_index_s"] = time.perf_counter() - started
    gc.collect()
    rss["bm25s index"] = rss_mb() - before

    with tempfile.TemporaryDirectory(dir=data_dir) as folder:
        before = rss_mb()
        started = time.perf_counter()
        tantivy_side = TantivySide(lines, Path(folder))
        out["tantivy_index_s"] = time.perf_counter() - started
        out["tantivy_disk_mb"] = folder_mb(Path(folder))
        del lines
        gc.collect()
        rss["tantivy index (open, tokens freed)"] = rss_mb() - before
        bm25s_runs = [_timed(functools.partial(bm25s_side.search, terms)) for terms in term_lists]
        tantivy_runs = [_timed(functools.partial(tantivy_side.search, terms)) for terms in term_lists]
        del tantivy_side
    out["ms"] = {"ours_raw": [t for t, _ in ours], "bm25s": [t for t, _ in bm25s_runs],
                 "tantivy": [t for t, _ in tantivy_runs]}
    for name, runs in (("bm25s", bm25s_runs), ("tantivy", tantivy_runs)):
        shares = [_overlap(o, r) for o, (_, r) in zip(ours_rows, runs)]
        out[f"overlap_{name}"] = float(np.mean([s for s in shares if s is not None]))
    return out


def _vector_side_by_side(engine: SearchEngine, texts: list[str]) -> dict:
    build = engine.build
    row = build.position
    query_vectors = [engine.encoder.encode_query(q) for q in texts]  # outside the timings
    matrix = build.vectors.vectors
    ours = [_timed(functools.partial(build.vectors.search, v, K)) for v in query_vectors]
    exact = [_timed(functools.partial(exact_top, matrix, v)) for v in query_vectors]
    recall = [_overlap(e, [row[pid] for pid in ranked.ids]) for (_, ranked), (_, e) in zip(ours, exact)]
    return {"ms": {"ours_raw": [t for t, _ in ours], "exact_numpy": [t for t, _ in exact]},
            "recall_at_10": float(np.mean([r for r in recall if r is not None])),
            "uses_hnsw": build.vectors.ann is not None}


def query(data_dir: Path, queries: dict[str, list[str]]) -> dict:
    rss: dict[str, float] = {"python + libraries": rss_mb()}
    started = time.perf_counter()
    engine = SearchEngine(data_dir)
    open_s = time.perf_counter() - started
    rss["index open (passages, documents, facets, Whoosh, mmaps)"] = rss_mb() - rss["python + libraries"]
    before = rss_mb()
    first_ms, _ = _timed(lambda: (engine.search("江门工业", k=K, mode="hybrid"),
                                  engine.search("industry in Jiangmen", k=K, mode="hybrid")))
    rss["models (e5 + USE) and first queries"] = rss_mb() - before
    before = rss_mb()
    latency = _engine_latency(engine, queries)
    rss["after engine queries (caches, touched mmaps)"] = rss_mb() - before
    texts = queries["keyword"] + queries["hybrid"]
    keyword = _keyword_side_by_side(engine, texts, data_dir, rss)
    vector = _vector_side_by_side(engine, queries["vector"] + queries["hybrid"])
    return {"passages": len(engine.build.passages), "open_s": open_s, "first_query_ms": first_ms,
            "latency_ms": latency, "keyword": keyword, "vector": vector, "rss_mb": rss,
            "end_rss_mb": rss_mb(), "peak_rss_mb": peak_rss_mb()}


def main(argv: Sequence[str]) -> None:
    job = argv[0]
    if job == "bank":
        result = bank(Path(argv[1]), Path(argv[2]))
    elif job == "build":
        result = build(Path(argv[1]), Path(argv[2]), Path(argv[3]))
    elif job == "query":
        result = query(Path(argv[1]), json.loads(Path(argv[2]).read_text(encoding="utf-8")))
    else:
        raise SystemExit(f"unknown job {job!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
