"""The files a newsroom archive holds (issue 14): PDF, Word, legacy encodings, saved web
pages, made for real in the test run; and the bad ones, refused file by file."""
from __future__ import annotations

from pathlib import Path

import requests

from index import SearchEngine, build_index, hit_json, ingest_files, load_corpus, reindex_pending, split_passages
from index.storage.layout import DataLayout
from tests.archive_files import (
    BIG5_TEXT,
    GB_TEXT,
    archive_folder,
    chinese_pdf,
    scanned_pdf,
    word_document,
    zip_bomb,
)
from tests.conftest import BUNDLED_CORPUS

BUNDLED_IDS = {d.id for d in load_corpus([BUNDLED_CORPUS]).documents}
ADMIN_KEY = "formats-admin-key-51b2"


def test_an_archive_folder_loads_every_format(tmp_path: Path) -> None:
    result = load_corpus([archive_folder(tmp_path / "archive")])
    assert result.problems == []
    docs = {d.id: d for d in result.documents}
    assert set(docs) == {"notice", "report", "legacy-gb", "legacy-big5", "utf16", "saved-page"}

    pdf = docs["notice"]
    assert pdf.title == "江门工业运行通报"  # from the PDF's own metadata
    assert "地区生产总值2810.29亿元" in pdf.text and "恩平市麦克风产业集群" in pdf.text
    assert [b.page for b in pdf.blocks] == [1, 1, 2]
    assert [p.page for p in split_passages(pdf)] == [1, 2]  # a passage stays on its page

    word = docs["report"]
    assert word.title == "新会区产业发展报告" and word.meta["author"] == "新会区工信局"
    headings = [(b.text, b.level) for b in word.blocks if b.kind == "heading"]
    assert headings == [("新会区产业发展报告", 1), ("一、新型储能", 2), ("（一）专精特新", 3)]
    assert "产值 | 45.83亿元" in word.text  # table rows kept as text
    assert split_passages(word)[0].heading.endswith("一、新型储能")

    assert docs["legacy-gb"].text == GB_TEXT
    assert docs["legacy-big5"].text == BIG5_TEXT
    assert "zqxutf" in docs["utf16"].text

    page = docs["saved-page"]
    assert (page.title, page.date, page.source, page.meta.get("author")) == (
        "新会区新型储能产业加快发展", "2024-03-15", "江门日报", "李明")
    assert [b.text for b in page.blocks if b.kind == "heading"][-1] == "产业链延链补链"
    for boilerplate in ("首页", "关于我们", "买房送车位", "天气预报", "版权所有", "网站地图"):
        assert boilerplate not in page.text, boilerplate


def bad_files() -> dict[str, bytes]:
    good_pdf = chinese_pdf()
    return {
        "scan.pdf": scanned_pdf(),
        "torn.pdf": good_pdf[: len(good_pdf) // 3],  # cut off mid-file, as a failed download leaves it
        "noise.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 8,
        "bomb.docx": zip_bomb(),
        "renamed.docx": "这其实是文本文件。".encode(),
        "empty.txt": b"",
        "latin1.txt": "caf\xe9 au lait".encode("latin-1"),
    }


EXPECTED_REASONS = {
    "scan.pdf": "no text layer; OCR it first",
    "torn.pdf": "not a readable PDF",
    "noise.pdf": "not a readable PDF",
    "bomb.docx": "zip bomb",
    "renamed.docx": "not a Word .docx file",
    "empty.txt": "empty file (0 bytes)",
    "latin1.txt": "not UTF-8",
}


def test_bad_files_are_each_named_with_their_reason(tmp_path: Path) -> None:
    folder = archive_folder(tmp_path / "archive")
    for name, content in bad_files().items():
        (folder / name).write_bytes(content)
    result = load_corpus([folder])
    reasons = {Path(p.path).name: p.reason for p in result.problems}
    assert set(reasons) == set(EXPECTED_REASONS)
    for name, expected in EXPECTED_REASONS.items():
        assert expected in reasons[name], (name, reasons[name])
    assert len(result.documents) == 6  # the good files still load


def test_uploaded_pdf_and_word_files_keep_pages_and_headings_through_the_build(data: Path, encoder) -> None:
    """`index add` and the admin upload both go through ingest_files: stored as Markdown,
    PDF pages as `<!-- page N -->` lines, then served with the page on every passage."""
    accepted = ingest_files(data, [("通报.pdf", chinese_pdf()), ("report.docx", word_document())], BUNDLED_IDS)
    pdf_id = accepted[0].id
    stored = (DataLayout(data).added / f"{pdf_id}.md").read_text(encoding="utf-8")
    assert "<!-- page 2 -->" in stored
    build_index(BUNDLED_CORPUS, data, encoder=encoder)
    engine = SearchEngine(data, encoder=encoder)
    hit = engine.search("恩平市麦克风产业集群zqxpdf", k=1, mode="keyword").hits[0]
    assert hit.passage.doc_id == pdf_id and hit_json(hit)["page"] == 2
    word_hit = engine.search("zqxdocx", k=1, mode="keyword").hits[0]
    assert word_hit.passage.page is None and "一、新型储能" in word_hit.passage.heading


def test_a_mixed_upload_is_refused_whole_and_the_served_index_is_untouched(data: Path, encoder) -> None:
    from tests.servers import serve_in_thread
    from webapp import create_app
    from webapp.settings import WebSettings

    layout = DataLayout(data)
    served_before = layout.current_marker()
    engine = SearchEngine(data, encoder=encoder)
    settings = WebSettings.for_data_dir(data, admin_api_key=ADMIN_KEY, rate_limit_search=0, rate_limit_ask=0)
    app = create_app(settings, engine=engine)
    files = [("files", ("notice.pdf", chinese_pdf(), "application/pdf")),
             ("files", ("report.docx", word_document(), "application/octet-stream"))]
    files += [("files", (name, content, "application/octet-stream")) for name, content in bad_files().items()]
    with serve_in_thread(app) as base:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        response = requests.post(base + "/api/admin/documents", headers=headers, files=files, timeout=120)
        assert response.status_code == 400, response.text
        message = response.json()["error"]["message"]
        for name, expected in EXPECTED_REASONS.items():
            assert f"{name}: " in message and expected in message, (name, message)
        assert "notice.pdf" not in message and "report.docx" not in message  # the good ones were fine
        search = requests.get(base + "/api/search", params={"q": "zqxpdf", "mode": "keyword"}, timeout=60).json()
        assert search["results"] == []
    assert not layout.added.exists() or not any(layout.added.iterdir()), "nothing half-added"
    assert layout.current_marker() == served_before
    assert not reindex_pending(data)
