"""`python -m index build --ray` on a local Ray (two workers on this machine's cores) writes
the build a local build writes: the same documents, passages and ids, the same skipped files,
vectors at cosine >= 0.999, the same keyword results; and it embeds only what the vector
cache lacks."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import SearchEngine, build_index, read_passages
from index.build.artifacts import DOCUMENTS_FILE, MANIFEST_FILE, SECOND_VECTORS_FILE, VECTORS_FILE
from index.storage.layout import DataLayout
from tests.conftest import BUNDLED_CORPUS, REPO_ROOT, share_caches
from tests.test_cli_and_crash import run_cli

KEYWORD_QUERIES = ("江门 储能", "新会 产业链", "battery factory", "陈皮", "workers 2,000")


def small_corpus(folder: Path) -> Path:
    """A few short documents in several files and formats, with one broken file and one
    duplicate id, so shards, the merge and its problems are all exercised."""
    folder.mkdir()
    (folder / "a-port.md").write_text(
        "---\nid: port\ntitle: 江门港\ndate: 2024-03\nsource: 江门日报\n---\n"
        "## 集装箱\n\n江门港今年集装箱吞吐量增长百分之十二，新会港区新开两条航线。\n\n"
        "## 储能\n\n新会区新型储能产业的规模以上工业总产值增长明显，电池企业扩产。\n", encoding="utf-8")
    (folder / "b-tea.md").write_text(
        "---\nid: tea\ntitle: 新会陈皮\ndate: 2023-11\n---\n新会陈皮产业链全产业产值超过两百亿元。\n", encoding="utf-8")
    records = [
        {"id": "battery", "title": "A battery plant", "lang": "en",
         "text": "The factory makes lithium batteries for electric cars. It employs 2,000 workers."},
        {"id": "delta", "title": "The Pearl River Delta", "lang": "en",
         "text": "The Pearl River flows into the South China Sea. Its delta holds many factories."},
        {"id": "tea", "title": "重复的编号", "text": "这一行的编号与 b-tea.md 重复，应当被跳过。"},
    ]
    (folder / "c-more.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                                         encoding="utf-8")
    (folder / "d-broken.md").write_text("---\ntitle: [unclosed\n---\n正文。\n", encoding="utf-8")
    (folder / "userdict.txt").write_text((BUNDLED_CORPUS / "userdict.txt").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    return folder


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, test_data_dir: Path, encoder) -> tuple[Path, Path, str]:
    """(local build, Ray build, the Ray build's CLI output)."""
    root = tmp_path_factory.mktemp("distributed")
    corpus = small_corpus(root / "corpus")
    local = root / "local"
    local.mkdir()
    share_caches(test_data_dir, local)
    build_index(corpus, local, encoder=encoder)

    # The Ray side has its own vector cache, holding only the first file's passages, so the
    # workers embed the rest and the cache must spare them the first file.
    on_ray = root / "ray"
    on_ray.mkdir()
    (on_ray / "models").symlink_to((test_data_dir / "models").resolve(), target_is_directory=True)
    first_only = root / "first-only"
    first_only.mkdir()
    (first_only / "a-port.md").write_text((corpus / "a-port.md").read_text(encoding="utf-8"), encoding="utf-8")
    cached = build_index(first_only, on_ray, encoder=encoder).passages
    assert 0 < cached < len(read_passages(DataLayout(local).current_build()))  # type: ignore[arg-type]

    result = run_cli("build", "--corpus", str(corpus), "--quiet", "--ray", "--ray-workers", "2", data=on_ray)
    assert result.returncode == 2, result.stderr  # 2: skipped files, as locally
    local_passages = len(read_passages(DataLayout(local).current_build()))  # type: ignore[arg-type]
    assert f"({local_passages - cached} newly embedded)" in result.stdout, result.stdout
    return DataLayout(local).current_build(), DataLayout(on_ray).current_build(), result.stderr  # type: ignore[return-value]


def test_same_documents_passages_and_skipped_files(builds: tuple[Path, Path, str]) -> None:
    local, on_ray, stderr = builds
    assert read_passages(on_ray) == read_passages(local)
    assert (on_ray / DOCUMENTS_FILE).read_text(encoding="utf-8") == (local / DOCUMENTS_FILE).read_text(encoding="utf-8")
    skipped = json.loads((on_ray / MANIFEST_FILE).read_text(encoding="utf-8"))["skipped"]
    assert skipped == json.loads((local / MANIFEST_FILE).read_text(encoding="utf-8"))["skipped"]
    assert any("d-broken.md" in s for s in skipped) and any("duplicate document id 'tea'" in s for s in skipped)
    assert "d-broken.md" in stderr


@pytest.mark.parametrize("vectors_file", [VECTORS_FILE, SECOND_VECTORS_FILE])
def test_same_vectors(builds: tuple[Path, Path, str], vectors_file: str) -> None:
    local, on_ray, _ = builds
    local_vectors, ray_vectors = np.load(local / vectors_file), np.load(on_ray / vectors_file)
    assert local_vectors.shape == ray_vectors.shape and len(local_vectors) == len(read_passages(local))
    assert cosines(local_vectors, ray_vectors).min() >= 0.999


def test_same_keyword_results(builds: tuple[Path, Path, str], encoder) -> None:
    local, on_ray, _ = builds
    engines = [SearchEngine(build.parent.parent, encoder=encoder) for build in (local, on_ray)]
    for query in KEYWORD_QUERIES:
        local_hits, ray_hits = (engine.search(query, k=10, mode="keyword").hits for engine in engines)
        assert local_hits, query
        assert [(h.passage.id, round(h.score, 6)) for h in ray_hits] == \
               [(h.passage.id, round(h.score, 6)) for h in local_hits], query


def test_ray_is_imported_only_with_ray() -> None:
    check = ("import sys, index, index.cli, index.build.builder, index.build.distributed; "
             "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))")
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_an_unreachable_cluster_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("build", "--corpus", str(BUNDLED_CORPUS), "--quiet", "--ray", "127.0.0.1:1", data=tmp_path,
                     timeout=300)
    assert result.returncode == 1
    assert "error: cannot start or reach the Ray cluster at 127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


def test_loading_after_embedding_does_not_wait_for_cpus(tmp_path: Path, encoder) -> None:
    """Two actors hold both CPUs of the local Ray; loading files after them must still run."""
    import threading

    from index import EmbeddingCache, RayOptions, RayRunner, corpus_files

    corpus = small_corpus(tmp_path / "corpus")
    loaded: list[int] = []
    with RayRunner.connect(RayOptions(workers=2, local_cpus=2)) as runner:
        vectors = runner.embed(encoder, ["江门港", "Jiangmen port"], EmbeddingCache(tmp_path / "cache.npz"))
        assert vectors.shape == (2, 384)
        worker = threading.Thread(target=lambda: loaded.append(len(runner.load(corpus_files([corpus])).documents)),
                                  daemon=True)
        worker.start()
        worker.join(timeout=300)
    assert loaded == [4]
