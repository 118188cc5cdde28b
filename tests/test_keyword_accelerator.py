"""The keyword accelerator (index/keyword/accelerator.py) against Whoosh itself, on real
indexes: the bundled corpus and a generated one of a few thousand passages
(benchmarks/synthetic_corpus.py). Same top 10, same scores, same counts and facet
counts, with and without filters; builds without it still search; damage is caught."""
from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.synthetic_corpus import generate
from benchmarks.workspace import EVAL_DATA
from index import SearchEngine, load_corpus, query_terms, split_passages
from index.build.artifacts import KEYWORD_ACCELERATOR_FOLDER
from index.keyword.accelerator import MANIFEST, KeywordAccelerator
from index.keyword.whoosh_index import SCORING, KeywordIndex, build_keyword_accelerator, build_keyword_index
from index.models import Passage, RankedList, SearchFilters
from index.storage.layout import MANIFEST as BUILD_MANIFEST
from index.storage.layout import DamagedBuild, DataLayout, verify_build
from index.text.analysis import load_user_dictionary
from tests.conftest import BUNDLED_CORPUS

SYNTHETIC_PASSAGES = 3000
QUERIES = [
    "江门前三季度地区生产总值是多少？", "新会区的产业集群有哪些", "中创新航 储能 电池",
    "What was Jiangmen's GDP in the first three quarters?", "battery factories in Xinhui",
    "江门 GDP 增长", "华沙的人口是多少？", "How old was Peyton Manning when he played in Super Bowl 50?",
    "诺曼人 Normandy 维京", "专精特新 enterprises 2023", "the the the", "",
]
FILTERS = [
    None,
    SearchFilters(source="江门日报"),
    SearchFilters(district="新会区"),
    SearchFilters(date_from="2021", date_to="2022-06"),
    SearchFilters(source="新会报", district="台山市", date_from="2020-03-01"),
    SearchFilters(date_to="2019-12"),
    SearchFilters(source="no such source"),
]


def both_indexes(folder: Path, passages: list[Passage]) -> tuple[KeywordIndex, KeywordIndex]:
    build_keyword_index(folder / "kw", passages)
    build_keyword_accelerator(folder / "kw", folder / "acc")
    whoosh, fast = KeywordIndex(folder / "kw"), KeywordIndex(folder / "kw", folder / "acc")
    assert whoosh.accelerator is None and fast.accelerator is not None
    return whoosh, fast


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> tuple[KeywordIndex, KeywordIndex, list[Passage]]:
    load_user_dictionary(BUNDLED_CORPUS / "userdict.txt")
    passages = [p for d in load_corpus([BUNDLED_CORPUS]).documents for p in split_passages(d)]
    return (*both_indexes(tmp_path_factory.mktemp("bundled"), passages), passages)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[KeywordIndex, KeywordIndex, list[Passage]]:
    """A few thousand passages of real XQuAD and bundled sentences, with sources, places
    and dates spread like the real corpus (and many exactly tied scores: sentences repeat)."""
    if not (EVAL_DATA / "xquad.zh.json").is_file():
        pytest.skip(f"no XQuAD in {EVAL_DATA} to generate the corpus from")
    load_user_dictionary(BUNDLED_CORPUS / "userdict.txt")
    folder = tmp_path_factory.mktemp("synthetic")
    records, _ = generate(SYNTHETIC_PASSAGES, seed=3)
    (folder / "corpus").mkdir()
    (folder / "corpus" / "synthetic.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    passages = [p for d in load_corpus([folder / "corpus"]).documents for p in split_passages(d)]
    return (*both_indexes(folder, passages), passages)


def xquad_questions(n: int) -> list[str]:
    out = []
    for lang in ("zh", "en"):
        data = json.loads((EVAL_DATA / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        out += [qa["question"] for a in data["data"] for p in a["paragraphs"][:1] for qa in p["qas"][:1]][:n]
    return out


def assert_same_ranking(whoosh: RankedList, fast: RankedList) -> None:
    assert len(fast.ids) == len(whoosh.ids)
    assert fast.scores == pytest.approx(whoosh.scores, abs=1e-5)
    # Equal scores (to float32 rounding) may only be listed in another order when Whoosh's
    # doubles differ past that rounding; everything else is the same id at the same place.
    for i, (a, b) in enumerate(zip(whoosh.ids, fast.ids)):
        if a != b:
            tied = {pid for pid, s in zip(whoosh.ids, whoosh.scores) if abs(s - whoosh.scores[i]) < 1e-5}
            assert b in tied, (i, whoosh.ids, fast.ids)


def compare(whoosh: KeywordIndex, fast: KeywordIndex, passages: list[Passage], queries: list[str]) -> int:
    """Compare every query under every filter; return how many had matches."""
    by_id = {p.id: p for p in passages}
    with_matches = 0
    for query in queries:
        terms = query_terms(query)
        for filters in FILTERS:
            expected, got = whoosh.search(terms, 10, filters), fast.search(terms, 10, filters)
            assert_same_ranking(expected, got)
            # Whoosh's own count under a filter (len(results)) counts the unfiltered
            # matches when it skipped counting; the full filtered listing is the truth.
            matching = whoosh.matching_ids(terms, filters)
            assert got.matched == len(matching), (query, filters)
            counts = fast.match_counts(terms, filters)
            assert counts is not None
            matched = [by_id[pid] for pid in matching]
            assert counts.counted == len(matched)
            assert counts.source == Counter(p.source for p in matched if p.source)
            assert counts.district == Counter(p.district for p in matched if p.district)
            assert counts.year == Counter(p.date[:4] for p in matched if p.date[:4].isdigit())
            with_matches += bool(matching)
    return with_matches


def test_same_results_as_whoosh_on_the_bundled_corpus(bundled) -> None:  # type: ignore[no-untyped-def]
    whoosh, fast, passages = bundled
    assert compare(whoosh, fast, passages, QUERIES) >= 8


def test_same_results_as_whoosh_on_a_generated_corpus(synthetic) -> None:  # type: ignore[no-untyped-def]
    whoosh, fast, passages = synthetic
    assert len(passages) >= SYNTHETIC_PASSAGES
    assert compare(whoosh, fast, passages, QUERIES + xquad_questions(12)) >= 60


def test_deep_lists_and_ties_match_whoosh(synthetic) -> None:  # type: ignore[no-untyped-def]
    """100 candidates (what fusion asks for) over a common word: many exact ties."""
    whoosh, fast, _ = synthetic
    for query in ("中国 城市 发展 人口 政府", "the city government and its population", "2020年"):
        terms = query_terms(query)
        expected, got = whoosh.search(terms, 100), fast.search(terms, 100)
        assert len(expected.ids) >= 50
        assert_same_ranking(expected, got)


def test_document_frequencies_count_the_passages_holding_each_term(synthetic) -> None:  # type: ignore[no-untyped-def]
    """The answerer's term weights: from the accelerator, the number of passages whose
    title, heading or text holds the term (what Whoosh matches for it); from Whoosh
    alone, its best field's count, never more and zero exactly when it is."""
    whoosh, fast, _ = synthetic
    terms = list(dict.fromkeys(query_terms("中国 城市 人口 the city government 诺曼 维京 2020年"))) + ["不存在的词语"]
    from_store, from_whoosh = fast.document_frequencies(terms), whoosh.document_frequencies(terms)
    assert list(from_store) == terms
    for term in terms:
        holding = len(whoosh.matching_ids([term]))
        assert from_store[term] == holding, term
        assert from_whoosh[term] <= holding and (from_whoosh[term] == 0) == (holding == 0), term
    assert sum(1 for t in terms if from_store[t] > 0) >= len(terms) - 1
    assert any(from_store[t] > from_whoosh[t] for t in terms)  # titles and texts hold different passages
    assert fast.unknown_terms(terms) == whoosh.unknown_terms(terms) == {"不存在的词语"}
    assert fast.doc_count() == whoosh.doc_count() > 0


def test_a_store_of_another_whoosh_index_is_not_used(bundled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    whoosh, fast, passages = bundled
    assert fast.accelerator is not None
    build_keyword_index(tmp_path / "kw", passages[:5])
    build_keyword_accelerator(tmp_path / "kw", tmp_path / "acc")
    manifest = json.loads((tmp_path / "acc" / MANIFEST).read_text(encoding="utf-8"))
    assert KeywordAccelerator.open(tmp_path / "acc", SCORING, manifest["whoosh_generation"], len(passages)) is None
    assert KeywordAccelerator.open(tmp_path / "acc", SCORING, manifest["whoosh_generation"] + 1, 5) is None
    assert KeywordAccelerator.open(tmp_path / "missing", SCORING, 1, 5) is None


def test_a_build_carries_it_and_a_build_without_it_still_searches(data: Path) -> None:
    folder = DataLayout(data).current_build()
    assert folder is not None and (folder / KEYWORD_ACCELERATOR_FOLDER / MANIFEST).is_file()
    engine = SearchEngine(data)
    assert engine.build.keyword.accelerator is not None
    query = "江门前三季度地区生产总值"
    fast = engine.search(query, k=5, mode="keyword")
    assert fast.hits and fast.facets is not None and fast.facets.counted == fast.total

    # A build from before the accelerator: no folder, no checksums for it.
    shutil.rmtree(folder / KEYWORD_ACCELERATOR_FOLDER)
    manifest = json.loads((folder / BUILD_MANIFEST).read_text(encoding="utf-8"))
    manifest["checksums"] = {k: v for k, v in manifest["checksums"].items()
                             if not k.startswith(KEYWORD_ACCELERATOR_FOLDER + "/")}
    (folder / BUILD_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    verify_build(folder)
    old = SearchEngine(data)
    assert old.build.keyword.accelerator is None
    slow = old.search(query, k=5, mode="keyword")
    assert [h.passage.id for h in slow.hits] == [h.passage.id for h in fast.hits]
    assert slow.total == fast.total and slow.facets == fast.facets


def test_a_damaged_accelerator_file_is_caught(data: Path) -> None:
    folder = DataLayout(data).current_build()
    assert folder is not None
    manifest = json.loads((folder / BUILD_MANIFEST).read_text(encoding="utf-8"))
    assert f"{KEYWORD_ACCELERATOR_FOLDER}/postings.impact.npy" in manifest["checksums"]
    damaged = folder / KEYWORD_ACCELERATOR_FOLDER / "postings.impact.npy"
    raw = bytearray(damaged.read_bytes())
    raw[-1] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    with pytest.raises(DamagedBuild) as caught:
        verify_build(folder)
    assert caught.value.path == damaged

