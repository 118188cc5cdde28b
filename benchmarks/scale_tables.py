"""Tables for the scale benchmark, from the JSON the probes return."""
from __future__ import annotations

from benchmarks.compare import EmbeddingSpeed
from benchmarks.tables import Table, median, percentile


def _size(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def real_embed_seconds(build: dict, speed: EmbeddingSpeed) -> tuple[float, float, float]:
    """Extrapolated real embedding time: passages with e5, passages with USE, and the
    answer sentences the build also embeds (e5), at every size."""
    return (build["passages"] / speed.st_rate, build["passages"] / speed.use_rate,
            build["sentences_embedded_by_build"] / speed.st_sentence_rate)


def build_table(builds: dict[int, dict], speed: EmbeddingSpeed) -> Table:
    table = Table(
        "Index build by stage (seconds, passages/s); embedding extrapolated from the measured rate",
        ["passages", "docs", "parse s", "parse p/s", "keyword s", "keyword p/s", "e5 embed s (extrap.)",
         "e5 p/s", "USE embed s (extrap.)", "USE p/s", "answer sentences s (extrap.)", "other s", "total s (extrap.)", "embedding share",
         "keyword MB", "vectors MB", "jsonl MB", "cache MB", "build peak RSS MB"],
    )
    shares = []
    for size, b in sorted(builds.items()):
        st = b["stage_seconds"]
        embed, use, sentences = real_embed_seconds(b, speed)
        # Replayed embedding (array work, cache writing) is kept, as "other": it is real work.
        other = b["seconds"] - st["parse"] - st["keyword"]
        total = st["parse"] + st["keyword"] + embed + use + sentences + other
        share = (embed + use + sentences) / total
        shares.append((size, share, (embed + use + sentences) / st["keyword"], b["passages"] / st["keyword"]))
        sz = b["size_mb"]
        table.add(b["passages"], b["documents"], st["parse"], b["passages"] / st["parse"], st["keyword"],
                  b["passages"] / st["keyword"], embed, speed.st_rate, use, speed.use_rate, sentences or None,
                  other, total,
                  f"{share:.0%}", sz["keyword"], sz["vectors"], sz["jsonl"], sz["vector_cache"], b["peak_rss_mb"])
    for size, share, ratio, kw_rate in shares:
        table.notes.append(f"{_size(size)}: embedding (e5 + USE + sentences) is {share:.0%} of the build, "
                           f"{ratio:.0f}x the keyword stage (e5 {speed.st_rate:.1f}, USE {speed.use_rate:.0f} vs "
                           f"keyword {kw_rate:.0f} passages/s).")
    table.notes += [
        f"Embedding rate measured in this run on {speed.passages} generated passages with the product's "
        f"e5 encoder (EMBEDDING_BACKEND, OpenVINO by default): {speed.st_rate:.1f} passages/s; answer sentences "
        f"{speed.st_sentence_rate:.1f}/s (the build embeds every sentence too); USE "
        f"(second encoder, built for cross-lingual search) {speed.use_rate:.1f} passages/s.",
        "The builds themselves replayed real vectors of both encoders (see scale.py); their own embed stage "
        "(array work and cache writing only) is inside 'other' here, not counted as embedding.",
        "cache MB = passage (and sentence) vector cache, content-addressed, reused by the next build.",
    ]
    return table


def memory_table(builds: dict[int, dict], measures: dict[int, dict]) -> Table:
    table = Table(
        "Process memory (RSS, MB) and start-up, one fresh search process per size",
        ["passages", "python + libs", "index open", "model loaded", "after searches + asks", "peak",
         "index open s", "first two queries ms (e5 + USE + lexicon load)"],
    )
    for size, m in sorted(measures.items()):
        r = m["rss_mb"]
        table.add(builds[size]["passages"], r["start"], r["index_open"], r["model_loaded"], r["after_queries"],
                  m["peak_rss_mb"], m["open_s"], m["first_query_ms"])
    table.notes.append("A gunicorn worker holds the same (see the serving table); the e5 model (~450 MB as float32) and USE "
                       "dominate below 50k passages.")
    return table


def latency_table(measures: dict[int, dict]) -> Table:
    table = Table(
        "Search and ask latency (ms), k=10, in process",
        ["passages", "call", "n", "cold p50", "cold p95", "cold p99", "warm p50", "warm p95", "warm p99"],
    )
    for size, m in sorted(measures.items()):
        for call, times in m["latency_ms"].items():
            cold, warm = times["cold"], times["warm"]
            table.add(_size(size), call if call == "ask" else f"search {call}", len(cold),
                      median(cold), percentile(cold, 95), percentile(cold, 99),
                      median(warm), percentile(warm, 95), percentile(warm, 99))
    table.notes += [
        "cold = first time the process sees the query (query embedding for vector/hybrid, jieba cut; sentence "
        "vectors come from the build at every size); "
        "warm = the same query again. Each mode has its own queries. The OS file cache is not dropped.",
        "Queries: XQuAD questions in Chinese and English, plus qa_set questions for ask.",
        "p99 over 30-100 samples is close to the maximum: read it as 'worst seen'.",
    ]
    return table


def compare_table(compares: dict[int, dict], builds: dict[int, dict]) -> Table:
    table = Table(
        "Baselines on the same index and queries, same process",
        ["passages", "side", "ours", "ours p50 ms", "baseline", "baseline p50 ms", "speed ratio",
         "ours build s", "baseline build s", "agreement"],
    )
    for size, c in sorted(compares.items()):
        kw, vec = c["keyword_ms"], c["vector_ms"]
        whoosh, bm25 = median(kw["whoosh_only"]), median(kw["rank_bm25"])
        table.add(_size(size), "keyword", "Whoosh BM25F (KeywordIndex.search)", whoosh, "rank-bm25 BM25Okapi", bm25,
                  f"ours {bm25 / whoosh:.1f}x faster" if bm25 >= whoosh else f"ours {whoosh / bm25:.1f}x slower",
                  builds[size]["stage_seconds"]["keyword"], c["bm25_tokenize_s"] + c["bm25_index_s"],
                  f"top-10 overlap {c['keyword_top10_overlap']:.2f}" if c["keyword_top10_overlap"] is not None else None)
        table.add(_size(size), "keyword", "whole keyword-mode search()", median(kw["engine_keyword_mode"]),
                  "", None, None, None, None, None)
        numpy_ms, faiss_ms = median(vec["numpy"]), median(vec["faiss_flat"])
        table.add(_size(size), "vector", "numpy matrix-vector + argpartition", numpy_ms, "faiss IndexFlatIP",
                  faiss_ms, f"ours {faiss_ms / numpy_ms:.1f}x faster" if faiss_ms >= numpy_ms
                  else f"ours {numpy_ms / faiss_ms:.1f}x slower",
                  None, c["faiss_index_s"], f"identical top-10 {c['vector_top10_identical']:.0%}")
    table.notes += [
        "rank-bm25 scores the passage text's analyzer terms (jieba search mode + Porter), no fields; its build "
        "time includes tokenizing. Our keyword build time is the whole keyword stage (analysis + Whoosh writing).",
        "Vector timings exclude query embedding (same precomputed query vectors for both).",
    ]
    return table


def serving_table(serving: dict[int, dict], errors: list[str]) -> Table:
    table = Table(
        "Requests per second through gunicorn (python -m webapp, 2 sync workers, preloaded), 127.0.0.1, "
        "4 concurrent clients",
        ["passages", "scenario", "rps", "p50 ms", "p95 ms", "requests", "errors"],
    )
    for size, s in sorted(serving.items()):
        for r in s["results"]:
            lat = r["latencies_ms"]
            kinds = ", ".join(f"{n} x {k}" for k, n in r.get("error_kinds", {}).items())
            table.add(_size(size), r["scenario"], r["rps"], median(lat), percentile(lat, 95), r["requests"],
                      f"{r['errors']} ({kinds})" if r["errors"] else 0)
        workers = ", ".join(f"{w['rss']:.0f}/{w['uss']:.0f}" for w in s["workers_mb"])
        table.notes.append(f"{_size(size)}: worker memory RSS/USS MB: {workers} (USS = not shared with the master).")
    table.notes += [
        "The load generator shares the two cores with the workers, so these are lower bounds.",
        "'repeated' cycles 10 queries after a warm-up round (their vectors are cached in both workers); 'unique' "
        "never repeats one, so every request embeds its query (e5, and USE for an English one).",
    ] + [f"not measured: {e}" for e in errors]
    return table
