"""The Whoosh side on its own: segmentation, stemming, BM25F boosts, and live build switches."""
from __future__ import annotations

from pathlib import Path

from index import SearchEngine, build_index, load_corpus, query_terms, split_passages
from index.keyword.whoosh_index import KeywordIndex, build_keyword_index
from tests.conftest import share_caches


def keyword_index(tmp_path: Path, docs: dict[str, str]) -> KeywordIndex:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in docs.items():
        (corpus / f"{name}.md").write_text(text, encoding="utf-8")
    passages = [p for d in load_corpus([corpus]).documents for p in split_passages(d)]
    build_keyword_index(tmp_path / "kw", passages)
    return KeywordIndex(tmp_path / "kw")


def matched_docs(index: KeywordIndex, query: str) -> list[str]:
    return [pid.rsplit("-p", 1)[0] for pid in index.search(query_terms(query), 10).ids]


def test_search_mode_finds_short_words_inside_long_ones(tmp_path: Path) -> None:
    index = keyword_index(tmp_path, {
        "bank": "---\ntitle: 贷款\n---\n中国农业发展银行向企业发放贷款。\n",
        "other": "---\ntitle: 其他\n---\n江门发展制造业。\n",
    })
    assert matched_docs(index, "农业") == ["bank"]
    assert matched_docs(index, "中国农业发展银行")[0] == "bank"


def test_english_is_stemmed(tmp_path: Path) -> None:
    index = keyword_index(tmp_path, {
        "en": "---\ntitle: Plants\n---\nThe company invested in battery factories.\n",
        "zh": "---\ntitle: 工厂\n---\n电池工厂。\n",
    })
    assert matched_docs(index, "investing in a factory") == ["en"]


def test_title_and_heading_words_weigh_more(tmp_path: Path) -> None:
    index = keyword_index(tmp_path, {
        "titled": "---\ntitle: 储能\n---\n## 概况\n\n产业发展很快。\n",
        "mentioned": "---\ntitle: 概况\n---\n## 其他\n\n储能产业发展很快。\n",
    })
    assert matched_docs(index, "储能") == ["titled", "mentioned"]


def test_running_engine_switches_to_a_new_build(tmp_path: Path, test_data_dir: Path, encoder) -> None:
    data = tmp_path / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, doc_id in ((first, "first-doc"), (second, "second-doc")):
        folder.mkdir()
        (folder / "d.md").write_text(f"---\nid: {doc_id}\n---\n江门{doc_id}的内容。\n", encoding="utf-8")
    build_index(first, data, encoder=encoder)
    engine = SearchEngine(data, encoder=encoder)
    assert engine.refresh() is False
    build_index(second, data, encoder=encoder)
    assert {d.id for d in engine.documents()} == {"first-doc"}  # until it looks
    assert engine.refresh() is True
    assert {d.id for d in engine.documents()} == {"second-doc"}


def test_a_build_that_cannot_be_opened_is_skipped_and_the_loaded_one_serves(tmp_path: Path, test_data_dir: Path,
                                                                            encoder) -> None:
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "d.md").write_text("---\nid: only-doc\n---\n江门的内容。\n", encoding="utf-8")
    build_index(corpus, data, encoder=encoder)
    engine = SearchEngine(data, encoder=encoder)
    served = engine.build.marker
    shutil.copytree(data / "builds" / served, data / "builds" / "broken")
    (data / "builds" / "broken" / "vectors.npy").unlink()
    (data / "CURRENT").write_text("broken\n")
    assert engine.refresh() is False
    assert engine.build.marker == served and engine.search("江门", k=1).hits
    build_index(corpus, data, encoder=encoder)  # a good build after the bad one is taken
    assert engine.refresh() is True
