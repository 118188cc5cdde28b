"""The command line, and a build killed halfway (SIGKILL) leaving the old index serving."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from index import SearchEngine, reindex_pending
from index.storage.layout import DataLayout
from tests.conftest import REPO_ROOT, share_caches
from tests.test_loader import messy_corpus


def run_cli(*args: str, data: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "index", "--data", str(data), *args],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO_ROOT)


def test_build_reports_broken_files_and_exits_2(tmp_path: Path, test_data_dir: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    result = run_cli("build", "--corpus", str(messy_corpus(tmp_path / "messy")), "--quiet", data=data)
    assert result.returncode == 2, result.stderr
    assert "latin1.txt: not UTF-8" in result.stderr
    assert "docs.jsonl:3: malformed JSON" in result.stderr
    assert "baddate.md: bad date '2024-13-45'" in result.stderr
    assert "built 5 documents" in result.stdout and "8 skipped" in result.stdout

    found = json.loads(run_cli("search", "battery factories", "--json", data=data).stdout)
    assert found["results"][0]["doc_id"] == "plain"
    asked = run_cli("ask", "新会区新型储能产业的规模以上工业总产值是多少？", "--json", data=data)
    answer = json.loads(asked.stdout)
    assert asked.returncode == 0 and answer["answered"] and "45.83亿元" in answer["citations"][0]["quote"]


def test_add_embeds_only_the_new_document(tmp_path: Path, test_data_dir: Path, bundled_data_dir: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    corpus = REPO_ROOT / "corpus"
    assert run_cli("build", "--corpus", str(corpus), "--quiet", data=data).returncode == 0
    new_doc = tmp_path / "port.md"
    new_doc.write_text(f"---\nid: port-news\ntitle: 江门港\n---\n江门港今年集装箱吞吐量增长{time.time_ns()}标箱。\n",
                       encoding="utf-8")
    result = run_cli("add", str(new_doc), "--corpus", str(corpus), "--quiet", data=data)
    assert result.returncode == 0, result.stderr
    assert "(1 newly embedded)" in result.stdout
    # Stored as the admin upload stores it, and no reindex left pending for the next start.
    assert (DataLayout(data).added / "port-news.md").is_file()
    assert not reindex_pending(data)
    hits = json.loads(run_cli("search", "江门港 集装箱", "--json", data=data).stdout)["results"]
    assert hits[0]["doc_id"] == "port-news"

    # All or nothing, and the bundled articles cannot be replaced, as over the admin API.
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n正文。\n", encoding="utf-8")
    fake = tmp_path / "fake.md"
    fake.write_text("---\nid: jiangmen-industry-ballast-2023\ntitle: 伪造\n---\n伪造的正文。\n", encoding="utf-8")
    other = tmp_path / "other.md"
    other.write_text("---\nid: other-news\ntitle: 其他\n---\n其他新闻。\n", encoding="utf-8")
    for bad in (broken, fake):
        refused = run_cli("add", str(other), str(bad), "--corpus", str(corpus), "--quiet", data=data)
        assert refused.returncode == 2 and "added nothing" in refused.stdout, refused.stderr
        assert bad.name in refused.stderr or "bundled" in refused.stderr, refused.stderr
    assert sorted(p.name for p in DataLayout(data).added.iterdir()) == ["port-news.md"]


def test_killed_build_leaves_the_previous_index_serving(tmp_path: Path, test_data_dir: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to((test_data_dir / "models").resolve())  # own, empty vector cache
    small = tmp_path / "small"
    small.mkdir()
    (small / "a.md").write_text("---\nid: old-doc\ntitle: 旧文档\n---\n江门旧索引里的唯一文档。\n", encoding="utf-8")
    assert run_cli("build", "--corpus", str(small), "--quiet", data=data).returncode == 0
    layout = DataLayout(data)
    served_before = layout.current_marker()

    big = tmp_path / "big"
    big.mkdir()
    stamp = time.time_ns()
    paragraphs = "\n\n".join(f"第{i}段：江门新会第{i}号项目的计划投资额为{i * 7}.{stamp % 97}亿元，预计年产值{i * 3}亿元。" * 6
                             for i in range(120))
    (big / "b.md").write_text(f"---\nid: new-doc\ntitle: 新文档\n---\n{paragraphs}\n", encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT)}
    build = subprocess.Popen([sys.executable, "-m", "index", "--data", str(data), "build", "--corpus", str(big), "--quiet"],
                             env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Kill it mid-embedding: the keyword index of the new build is already on disk.
        deadline = time.monotonic() + 300
        while not list(layout.builds.glob(".tmp-*/keyword/*.toc")):
            assert build.poll() is None, "build finished before it could be killed"
            assert time.monotonic() < deadline, "build never reached the embedding stage"
            time.sleep(0.05)
        time.sleep(1.0)
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=30)
    finally:
        if build.poll() is None:
            build.kill()

    assert layout.current_marker() == served_before
    assert list(layout.builds.glob(".tmp-*")), "the half-built folder should be left for the next build to sweep"
    engine = SearchEngine(data)
    assert {d.id for d in engine.documents()} == {"old-doc"}
    assert engine.search("江门旧索引", k=1, mode="keyword").hits[0].passage.doc_id == "old-doc"

    # The next build sweeps the debris and switches over.
    assert run_cli("build", "--corpus", str(small), "--quiet", data=data).returncode == 0
    assert not list(layout.builds.glob(".tmp-*"))
    assert layout.current_marker() != served_before
