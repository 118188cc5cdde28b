"""Incremental updates (issue 13 item 5): PUT and DELETE /api/admin/documents/<id> and
`python -m index put | delete` change the index in place, visible at the next request of
every worker, with the old build intact if the update dies, and the same passages and
rankings as a full rebuild."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from index import KeywordIndex, SearchEngine, answer_sentences, build_index, read_passages, reindex_needed
from index.build.artifacts import KEYWORD_ACCELERATOR_FOLDER, KEYWORD_FOLDER
from index.build.reindex import REINDEX_LOCK, _try_lock
from index.storage.layout import PENDING_FILE, DataLayout, verify_build
from tests.conftest import BUNDLED_CORPUS, NO_RATE_LIMITS, REPO_ROOT, share_caches
from tests.servers import serve_in_thread, serve_with_gunicorn
from tests.test_cli_and_crash import run_cli

KEY = "incremental-admin-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
ZEBRA = {"title": "斑马养殖场", "text": "新会区的斑马养殖场今年出栏了三百匹斑马。\n\n斑马养殖带动了当地的乡村旅游。",
         "date": "2024-05-01", "source": "测试来源"}
GIRAFFE = {"title": "长颈鹿公园", "text": "台山市的长颈鹿公园在五月开放，园里有十二头长颈鹿。"}
QUERIES = ("江门前三季度地区生产总值", "新会 储能", "斑马", "长颈鹿", "industry in Jiangmen")


@pytest.fixture(scope="module")
def updated_data(tmp_path_factory: pytest.TempPathFactory, test_data_dir: Path, encoder) -> Path:
    data = tmp_path_factory.mktemp("incremental") / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    build_index(BUNDLED_CORPUS, data, encoder=encoder)
    return data


@pytest.fixture(scope="module")
def server(updated_data: Path, encoder) -> Iterator[str]:
    from webapp import create_app
    from webapp.settings import WebSettings

    app = create_app(WebSettings.for_data_dir(updated_data, admin_api_key=KEY, **NO_RATE_LIMITS),
                     engine=SearchEngine(updated_data, encoder=encoder))
    with serve_in_thread(app) as base_url:
        yield base_url


def ids_for(base_url: str, query: str, mode: str = "keyword") -> list[str]:
    reply = requests.get(f"{base_url}/api/search", params={"q": query, "mode": mode, "k": 10}, timeout=300)
    assert reply.status_code == 200, reply.text
    return [hit["passage_id"] for hit in reply.json()["results"]]


def test_put_adds_a_document_searchable_at_once(server: str, updated_data: Path) -> None:
    before = DataLayout(updated_data).current_build()
    reply = requests.put(f"{server}/api/admin/documents/zebra-farm", json=ZEBRA, headers=AUTH, timeout=600)
    assert reply.status_code == 201, reply.text
    assert reply.json()["build"] != before.name
    assert any(pid.startswith("zebra-farm") for pid in ids_for(server, "斑马"))
    document = requests.get(f"{server}/api/documents/zebra-farm", timeout=60).json()
    assert document["title"] == "斑马养殖场"
    # The old build's files, some of them now shared with the new one, are as it wrote them.
    assert before is not None
    verify_build(before)
    assert (updated_data / "added" / "zebra-farm.md").is_file()


def test_put_again_replaces_the_old_text(server: str) -> None:
    requests.put(f"{server}/api/admin/documents/zebra-farm", json=ZEBRA, headers=AUTH, timeout=600)
    reply = requests.put(f"{server}/api/admin/documents/zebra-farm", json=GIRAFFE, headers=AUTH, timeout=600)
    assert reply.status_code == 200 and reply.json()["replaced"], reply.text
    assert not any(pid.startswith("zebra-farm") for pid in ids_for(server, "斑马"))
    assert any(pid.startswith("zebra-farm") for pid in ids_for(server, "长颈鹿"))


def test_delete_removes_it_and_then_it_is_unknown(server: str, updated_data: Path) -> None:
    requests.put(f"{server}/api/admin/documents/to-delete", json=ZEBRA, headers=AUTH, timeout=600)
    assert any(pid.startswith("to-delete") for pid in ids_for(server, "斑马"))
    reply = requests.delete(f"{server}/api/admin/documents/to-delete", headers=AUTH, timeout=600)
    assert reply.status_code == 200 and reply.json()["deleted"], reply.text
    assert not any(pid.startswith("to-delete") for pid in ids_for(server, "斑马"))
    assert requests.get(f"{server}/api/documents/to-delete", timeout=60).status_code == 404
    assert not (updated_data / "added" / "to-delete.md").exists()
    again = requests.delete(f"{server}/api/admin/documents/to-delete", headers=AUTH, timeout=60)
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"


def test_admin_key_and_protected_ids(server: str) -> None:
    assert requests.put(f"{server}/api/admin/documents/x", json=ZEBRA, timeout=60).status_code == 401
    assert requests.delete(f"{server}/api/admin/documents/x", headers={"Authorization": "Bearer wrong"},
                           timeout=60).status_code == 401
    bundled = requests.get(f"{server}/api/documents", timeout=60).json()["documents"][0]["doc_id"]
    for reply in (requests.put(f"{server}/api/admin/documents/{bundled}", json=ZEBRA, headers=AUTH, timeout=60),
                  requests.delete(f"{server}/api/admin/documents/{bundled}", headers=AUTH, timeout=60)):
        assert reply.status_code == 409, reply.text
    assert requests.get(f"{server}/api/documents/{bundled}", timeout=60).status_code == 200
    bad = requests.put(f"{server}/api/admin/documents/x", json={"title": "no text"}, headers=AUTH, timeout=60)
    assert bad.status_code == 400


def test_a_running_full_reindex_queues_the_update(server: str, updated_data: Path) -> None:
    with _try_lock(updated_data / REINDEX_LOCK) as got:  # as a running reindex runner holds it
        assert got
        reply = requests.put(f"{server}/api/admin/documents/queued-doc", json=GIRAFFE, headers=AUTH, timeout=60)
        assert reply.status_code == 202 and reply.json()["update"] == "queued", reply.text
        assert (updated_data / "added" / "queued-doc.md").is_file()
        assert (updated_data / PENDING_FILE).exists()
    (updated_data / PENDING_FILE).unlink()
    reply = requests.delete(f"{server}/api/admin/documents/queued-doc", headers=AUTH, timeout=600)
    assert reply.status_code == 200, reply.text


def test_updates_equal_a_full_rebuild(server: str, updated_data: Path, encoder) -> None:
    # Texts of their own: two passages with the same text tie, and ties fall to row order.
    bodies = {"eq-1": {"title": "斑马研究", "text": "江门的研究人员统计了斑马的数量，今年增加了两成。"},
              "eq-2": {"title": "Giraffe park", "text": "The giraffe park in Taishan opened in May with twelve giraffes."},
              "eq-3": {"title": "鹦鹉", "text": "鹤山的鹦鹉学会了说江门话。"}}
    for doc_id, body in bodies.items():
        assert requests.put(f"{server}/api/admin/documents/{doc_id}", json=body, headers=AUTH,
                            timeout=600).status_code in (200, 201)
    assert requests.delete(f"{server}/api/admin/documents/eq-3", headers=AUTH, timeout=600).status_code == 200
    layout = DataLayout(updated_data)
    incremental = layout.current_build()
    assert incremental is not None
    # The update rewrote the keyword accelerator from its Whoosh folder: a stale one would be
    # ignored (the same rankings, from Whoosh), so check that this one is taken.
    assert KeywordIndex(incremental / KEYWORD_FOLDER, incremental / KEYWORD_ACCELERATOR_FOLDER).accelerator is not None
    rankings = {(q, mode): ids_for(server, q, mode) for q in QUERIES for mode in ("keyword", "vector", "hybrid")}

    rebuilt = updated_data.parent / "rebuilt"
    rebuilt.mkdir()
    share_caches(updated_data, rebuilt)
    shutil.copytree(updated_data / "added", rebuilt / "added")
    full = build_index(BUNDLED_CORPUS, rebuilt, encoder=encoder).build_dir
    assert sorted(map(repr, read_passages(incremental))) == sorted(map(repr, read_passages(full)))
    engine = SearchEngine(rebuilt, encoder=encoder)
    for (query, mode), ids in rankings.items():
        assert [h.passage.id for h in engine.search(query, k=10, mode=mode).hits] == ids, (query, mode)
    # Both encoders' sentence vectors hold every sentence of the added documents, as a full build's do.
    added = [s.text for d in ("eq-1", "eq-2") for s in answer_sentences(bodies[d]["text"])]
    updated = SearchEngine(updated_data, encoder=encoder).build
    for store in (updated.sentences, updated.second_sentences, engine.build.second_sentences):
        assert store is not None and (store.rows(added) >= 0).all()


def test_a_killed_cli_update_leaves_the_old_build_serving(updated_data: Path, tmp_path: Path) -> None:
    layout = DataLayout(updated_data)
    serving = layout.current_build()
    assert serving is not None
    source = tmp_path / "killed.md"
    source.write_text("---\ntitle: 被中断的更新\n---\n\n这次更新在写到一半时被杀掉了。\n", encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "index", "--data", str(updated_data), "put", str(source),
                              "--id", "killed-doc"], env=env, cwd=REPO_ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(layout.builds.glob(".tmp-*")) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert layout.current_build() == serving, "the update was published before it was killed: the test needs to kill sooner"
    verify_build(serving)
    assert SearchEngine.has_index(updated_data)
    assert reindex_needed(updated_data), "the stored document is not in the build: the next start rebuilds"
    run_cli("delete", "killed-doc", data=updated_data)


def test_cli_put_and_delete(updated_data: Path, tmp_path: Path, encoder) -> None:
    source = tmp_path / "cli.md"
    source.write_text("---\ntitle: 命令行文档\n---\n\n命令行添加的文档提到了鸵鸟农场。\n", encoding="utf-8")
    put = run_cli("put", str(source), "--id", "cli-doc", data=updated_data)
    assert put.returncode == 0, put.stderr
    engine = SearchEngine(updated_data, encoder=encoder)
    assert any(h.passage.doc_id == "cli-doc" for h in engine.search("鸵鸟", mode="keyword").hits)
    deleted = run_cli("delete", "cli-doc", data=updated_data)
    assert deleted.returncode == 0, deleted.stderr
    engine.refresh()
    assert not any(h.passage.doc_id == "cli-doc" for h in engine.search("鸵鸟", mode="keyword").hits)
    unknown = run_cli("delete", "no-such-doc", data=updated_data)
    assert unknown.returncode == 1 and "no document" in unknown.stderr


def test_whoosh_segments_stay_few_after_many_updates(updated_data: Path, encoder) -> None:
    from index import document_from_record, put_documents

    for n in range(10):
        put_documents(updated_data, [document_from_record({"id": f"many-{n}", "title": f"第{n}篇",
                                                           "text": f"第{n}篇短文讲的是开平碉楼。"})], encoder=encoder)
    folder = DataLayout(updated_data).current_build()
    assert folder is not None
    segments = {p.name.split(".")[0] for p in (folder / KEYWORD_FOLDER).glob("*.seg")}
    assert len(segments) <= 8, segments
    engine = SearchEngine(updated_data, encoder=encoder)
    assert {h.passage.doc_id for h in engine.search("开平碉楼", k=20, mode="keyword").hits} >= {f"many-{n}" for n in range(10)}


def test_every_gunicorn_worker_serves_the_update_at_once(updated_data: Path) -> None:
    with serve_with_gunicorn(updated_data, workers=2, env={"ADMIN_API_KEY": KEY, "WORKER_TIMEOUT": "600"},
                             startup_timeout=400) as base_url:
        for _ in range(4):  # each worker answers at least one search first, so each has a build open
            ids_for(base_url, "新会")
        reply = requests.put(f"{base_url}/api/admin/documents/gunicorn-doc", json=ZEBRA, headers=AUTH, timeout=600)
        assert reply.status_code in (200, 201), reply.text
        for _ in range(12):
            response = requests.get(f"{base_url}/api/search", params={"q": "斑马", "mode": "keyword"}, timeout=300)
            assert any(h["passage_id"].startswith("gunicorn-doc") for h in response.json()["results"]), response.text
        status = requests.get(f"{base_url}/api/admin/status", headers=AUTH, timeout=60).json()
        assert status["build"] == reply.json()["build"], json.dumps(status)


def test_a_worker_switching_to_an_update_carries_over_what_it_holds(updated_data: Path, encoder) -> None:
    """search/reload.py: the passages and documents the engine derives from the build it
    served are exactly those in the new build's files."""
    from index import delete_documents, document_from_record, put_documents
    from index.build.artifacts import read_documents

    engine = SearchEngine(updated_data, encoder=encoder)
    first = engine.build.passages[0]  # a bundled passage: it stays in row 0
    put_documents(updated_data, [document_from_record({"id": "carry-1", "title": "搬运", "text": "第一篇。\n\n第二段。"}),
                                 document_from_record({"id": "carry-2", "title": "Carry", "text": "A second one."})],
                  encoder=encoder)
    for change in (lambda: None, lambda: delete_documents(updated_data, ["carry-1"], encoder=encoder)):
        change()
        assert engine.refresh()
        folder = engine.build.folder
        assert engine.build.passages == read_passages(folder)
        assert list(engine.build.documents.values()) == read_documents(folder)
        assert engine.build.position == {p.id: i for i, p in enumerate(read_passages(folder))}
        assert engine.build.passages[0] is first, "read again instead of carried over"
