"""The corpus loader: every format, and broken files reported, not fatal."""
from __future__ import annotations

import json
from pathlib import Path

from index import load_corpus
from index.corpus.passages import MAX_SIZE, split_passages, split_sentences, text_size
from tests.conftest import BUNDLED_CORPUS


def test_bundled_corpus_has_both_articles_with_metadata() -> None:
    result = load_corpus([BUNDLED_CORPUS])
    assert result.problems == []
    docs = {d.id: d for d in result.documents}
    assert set(docs) == {"jiangmen-industry-ballast-2023", "xinhui-manufacturing-backbone-2024"}
    city, xinhui = docs["jiangmen-industry-ballast-2023"], docs["xinhui-manufacturing-backbone-2024"]
    assert (city.source, city.district, city.lang, city.date) == ("江门日报", "江门", "zh", "2023-11")
    assert (xinhui.district, xinhui.date) == ("新会", "2024-01")
    for doc in (city, xinhui):
        kinds = {b.kind for b in doc.blocks}
        assert kinds == {"heading", "paragraph", "caption"}
        for block in doc.blocks:
            assert doc.text[block.start:block.end] == block.text
    assert "2810.29亿元" in city.text
    assert city.meta["credits"].startswith("策划/统筹")


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def messy_corpus(folder: Path) -> Path:
    """Good documents in every format next to every kind of broken file."""
    folder.mkdir(parents=True, exist_ok=True)
    write(folder, "good.md", "---\nid: good-md\ntitle: 新型储能产业\ndate: 2024-01-20\nsource: 测试\n---\n"
          "## 产业\n\n新会区新型储能产业实现规模以上工业总产值45.83亿元。\n\n> 图为生产车间。\n")
    write(folder, "plain.txt", "A plain text document about battery factories in Jiangmen. It has two sentences.")
    write(folder, "page.html", "<html><head><title>Port news</title><style>p{color:red}</style>"
          "<script>alert('x')</script></head><body><h1>Harbour</h1><p>The port handled more ships.</p></body></html>")
    records = [
        {"id": "j1", "title": "First", "text": "江门制造业持续增长。", "date": "2023-05-01", "lang": "zh", "topic": "industry"},
        {"id": "j2", "title": "Second", "text": "Xinhui builds ships."},
    ]
    write(folder, "docs.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
          + '\n{"id": "broken", "title": \n{"id": "no-text", "title": "x"}\n')
    write(folder, "latin1.txt", "caf\xe9 au lait, bad encoding".encode("latin-1"))
    write(folder, "badyaml.md", "---\ntitle: [unclosed\n---\n正文内容。\n")
    write(folder, "unclosed.md", "---\ntitle: never closed\n正文内容。\n")
    write(folder, "empty.md", "")
    write(folder, "binary.txt", b"\x00\x01\x02 binary")
    write(folder, "README.md", "This readme describes the folder and is not a document.")
    write(folder, "baddate.md", "---\ntitle: 日期不对\ndate: 2024-13-45\n---\n正文内容。\n")
    return folder


def test_messy_folder_loads_the_good_and_reports_the_bad(tmp_path: Path) -> None:
    result = load_corpus([messy_corpus(tmp_path / "messy")])
    ids = {d.id for d in result.documents}
    assert ids == {"good-md", "plain", "page", "j1", "j2"}
    reasons = {Path(p.path.split(":")[0]).name + (":" + p.path.split(":")[1] if ":" in p.path else ""): p.reason
               for p in result.problems}
    assert "UTF-8" in reasons["latin1.txt"]
    assert "YAML" in reasons["badyaml.md"]
    assert "never closed" in reasons["unclosed.md"]
    assert "no text" in reasons["empty.md"]
    assert "binary" in reasons["binary.txt"]
    assert "malformed JSON" in reasons["docs.jsonl:3"]
    assert "text" in reasons["docs.jsonl:4"]
    assert "2024-13-45" in reasons["baddate.md"]
    assert len(result.problems) == 8


def test_formats_keep_structure_and_metadata(tmp_path: Path) -> None:
    docs = {d.id: d for d in load_corpus([messy_corpus(tmp_path / "messy")]).documents}
    good = docs["good-md"]
    assert [b.kind for b in good.blocks] == ["heading", "paragraph", "caption"]
    assert good.date == "2024-01-20" and good.source == "测试"
    page = docs["page"]
    # A saved page's title is its article's headline (trafilatura), not the <title> bar,
    # which on news sites carries the site's name too.
    assert page.title == "Harbour"
    assert "alert" not in page.text and "color" not in page.text
    assert [b.kind for b in page.blocks] == ["heading", "paragraph"]
    assert docs["j1"].meta == {"topic": "industry"} and docs["j1"].lang == "zh"
    assert docs["j2"].lang == "en"


def test_duplicate_ids_keep_the_first_file(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\nid: same\ntitle: A\n---\nFirst text.\n")
    write(tmp_path, "b.md", "---\nid: same\ntitle: B\n---\nSecond text.\n")
    result = load_corpus([tmp_path])
    assert [d.title for d in result.documents] == ["A"]
    assert "duplicate" in result.problems[0].reason


def test_passages_respect_sentences_sizes_and_offsets() -> None:
    for doc in load_corpus([BUNDLED_CORPUS]).documents:
        passages = split_passages(doc)
        assert len({p.id for p in passages}) == len(passages)
        first_heading = next(b.start for b in doc.blocks if b.kind == "heading")
        for p in passages:
            assert doc.text[p.start:p.end] == p.text
            assert bool(p.heading) == (p.start > first_heading)
            assert text_size(p.text) <= MAX_SIZE or len(split_sentences(p.text)) == 1
            # Never cut a sentence: a passage ends where a sentence or block ends.
            assert p.text[-1] in "。！？；”」）" or doc.text[p.end:p.end + 2] in ("\n\n", "")


def test_english_passages_hold_about_120_words(tmp_path: Path) -> None:
    sentence = "Jiangmen invested in new energy storage and battery plants this year. "
    write(tmp_path, "en.md", "---\nid: en\n---\n" + sentence * 60)
    doc = load_corpus([tmp_path]).documents[0]
    passages = split_passages(doc)
    words = [len(p.text.split()) for p in passages]
    assert all(60 <= w <= 125 for w in words[:-1]), words
    # Consecutive passages share a sentence (the overlap) but never cut one.
    assert passages[1].start < passages[0].end
    assert all(p.text.endswith(".") for p in passages)


def test_answer_sentences_keep_clauses_with_the_sentence_they_belong_to() -> None:
    """A clause ending in ； is quoted with the rest of its sentence (the period at its head
    belongs to every clause), spans stay verbatim, and the joining stops at MAX_SIZE."""
    from index.corpus.passages import answer_sentences

    text = ("前言。截至10月底，江门市场主体总量达74.15万户，同比增长7.88%；"
            "企业总量12.20万户，新登记企业1.58万户，同比增长14.94%。下一句；")
    offset = 100
    sentences = answer_sentences(text, offset)
    assert [s.text for s in sentences] == [
        "前言。",
        "截至10月底，江门市场主体总量达74.15万户，同比增长7.88%；企业总量12.20万户，新登记企业1.58万户，同比增长14.94%。",
        "下一句；",
    ]
    assert all(text[s.start - offset:s.end - offset] == s.text for s in sentences)
    assert len(split_sentences(text)) == 4  # passages still split at every clause
    long_clause = "很长的分句" * 70 + "；"
    assert len(answer_sentences(long_clause + "后面的分句。")) == 2  # too long together: kept apart
