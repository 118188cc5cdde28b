"""Adding documents while serving: durable, all-or-nothing uploads and the reindex loop."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from index import (
    IngestError,
    SearchEngine,
    ingest_files,
    ingest_records,
    load_corpus,
    reindex_needed,
    reindex_pending,
    run_pending_builds,
    start_reindex,
)
from index.storage.layout import DataLayout
from tests.conftest import BUNDLED_CORPUS

BUNDLED_IDS = {d.id for d in load_corpus([BUNDLED_CORPUS]).documents}


def test_uploaded_files_are_on_disk_in_the_corpus_format_before_returning(data: Path) -> None:
    md = "---\nid: port-2024\ntitle: 江门港\ndate: 2024-03\n---\n## 港口\n\n江门港吞吐量增长。\n\n> 图为码头。\n".encode()
    jsonl = (json.dumps({"id": "j-1", "title": "一", "text": "第一篇。"}, ensure_ascii=False) + "\n"
             + json.dumps({"id": "j-2", "title": "二", "text": "第二篇。", "topic": "港口"}, ensure_ascii=False)).encode()
    docs = ingest_files(data, [("port.md", md), ("more.jsonl", jsonl)], BUNDLED_IDS)
    assert [d.id for d in docs] == ["port-2024", "j-1", "j-2"]
    added = DataLayout(data).added
    assert sorted(p.name for p in added.iterdir()) == ["j-1.md", "j-2.md", "port-2024.md"]
    assert reindex_pending(data)
    reloaded = {d.id: d for d in load_corpus([added]).documents}
    assert [b.kind for b in reloaded["port-2024"].blocks] == ["heading", "paragraph", "caption"]
    assert reloaded["port-2024"].date == "2024-03" and reloaded["j-2"].meta == {"topic": "港口"}


def test_one_bad_file_refuses_the_whole_upload(data: Path) -> None:
    with pytest.raises(IngestError) as refused:
        ingest_files(data, [("good.md", "好的文档。".encode()), ("bad.txt", b"\xff\xfe\xfa bad")], BUNDLED_IDS)
    assert "bad.txt" in refused.value.problems[0]
    assert not any(DataLayout(data).added.glob("*"))
    with pytest.raises(IngestError, match="unsupported"):
        ingest_files(data, [("virus.exe", b"MZ")], BUNDLED_IDS)
    with pytest.raises(IngestError, match="text"):
        ingest_records(data, [{"id": "x", "title": "no text"}], BUNDLED_IDS)


def test_json_documents_without_an_id_never_replace_each_other(data: Path) -> None:
    shared_start = "江门日报讯 " * 30  # the same first 200 characters
    first = ingest_records(data, [{"title": "一", "text": shared_start + "第一篇。"}], BUNDLED_IDS)
    second = ingest_records(data, [{"title": "二", "text": shared_start + "第二篇。"}], BUNDLED_IDS)
    again = ingest_records(data, [{"title": "一", "text": shared_start + "第一篇。"}], BUNDLED_IDS)
    assert first[0].id != second[0].id and again[0].id == first[0].id  # the same text is the same document
    assert len(list(DataLayout(data).added.glob("*.md"))) == 2


@pytest.mark.parametrize("record, reason", [
    ({"id": "nul", "text": "正文里有\x00空字符。"}, "NUL"),  # the build would skip the file as binary
    ({"id": ".hidden", "text": "隐藏文件。"}, "cannot be stored"),  # the build skips dotfiles
    ({"id": "README", "text": "说明。"}, "cannot be stored"),  # ... and README.md
    ({"id": "surrogate", "text": "半个字符\ud800。"}, "lone surrogate"),  # cannot be written as UTF-8 (was a 500)
    ({"id": "no-such-day", "text": "日期不存在。", "date": "2024-13-45"}, "bad date"),  # was stored as is
])
def test_documents_the_build_would_skip_are_refused_at_upload(data: Path, record: dict, reason: str) -> None:
    with pytest.raises(IngestError, match=reason):
        ingest_records(data, [record], BUNDLED_IDS)
    assert not any(DataLayout(data).added.glob("*"))


def test_bundled_ids_cannot_be_overwritten(data: Path) -> None:
    with pytest.raises(IngestError) as refused:
        ingest_records(data, [{"id": "jiangmen-industry-ballast-2023", "text": "伪造。"}], BUNDLED_IDS)
    assert refused.value.conflict


def test_reindex_serves_the_upload_and_stops_when_nothing_is_pending(data: Path, encoder) -> None:
    engine = SearchEngine(data, encoder=encoder)
    ingest_records(data, [{"id": "port-news", "title": "江门港", "text": "江门港集装箱吞吐量创新高。"}], BUNDLED_IDS)
    assert reindex_needed(data)
    assert run_pending_builds(BUNDLED_CORPUS, data) == 1
    assert not reindex_needed(data)
    assert run_pending_builds(BUNDLED_CORPUS, data) == 0
    engine.refresh()
    assert engine.search("江门港 集装箱", k=1).hits[0].passage.doc_id == "port-news"


def test_start_reindex_runs_detached_and_the_old_build_serves_meanwhile(data: Path, encoder) -> None:
    engine = SearchEngine(data, encoder=encoder)
    before = engine.build.marker
    ingest_records(data, [{"id": "late", "title": "晚到的文档", "text": f"新会晚到文档{time.time_ns()}。"}], BUNDLED_IDS)
    start_reindex(BUNDLED_CORPUS, data)
    assert engine.search("工业投资", k=1).hits  # still answering from the old build
    deadline = time.monotonic() + 300
    while not engine.refresh():
        assert time.monotonic() < deadline, (data / "reindex.log").read_text(errors="replace")
        time.sleep(0.2)
    assert engine.build.marker != before
    assert engine.document("late") is not None
    # The runner, once done, is reaped: no zombie child is left in this (serving) process.
    deadline = time.monotonic() + 60
    while zombie_children():
        assert time.monotonic() < deadline, zombie_children()
        time.sleep(0.2)


def zombie_children() -> list[int]:
    zombies = []
    for pid in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split():
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # reaped meanwhile
        if state == "Z":
            zombies.append(int(pid))
    return zombies
