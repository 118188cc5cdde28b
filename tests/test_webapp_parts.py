"""The web layer's small pure pieces, without a server."""
from __future__ import annotations

from index import Answer, Block, Citation, Document, Passage
from webapp.document_view import document_view, parse_span
from webapp.i18n import MESSAGES, format_date
from webapp.presenters import answer_parts, make_pager
from webapp.questions import is_question


def _passage(n: int, start: int, end: int, text: str) -> Passage:
    return Passage(f"d-p{n}", "d", text[start:end], start, end, "", "t", "zh", "", "", "", "")


def test_document_view_cuts_blocks_at_passage_edges_and_highlight():
    text = "甲句。乙句。\n\n丙句。"
    doc = Document("d", "t", text, [Block("paragraph", "甲句。乙句。", 0, 6), Block("paragraph", "丙句。", 8, 11)])
    # p1 = 甲乙 (spans the first block), p2 = 乙丙 (overlaps p1 and crosses into block two)
    passages = [_passage(1, 0, 6, text), _passage(2, 3, 11, text)]
    blocks = document_view(doc, passages, highlight=(3, 6))
    first, second = blocks
    assert "".join(s.text for s in first.segments) == "甲句。乙句。"
    assert [(s.text, s.passages, s.anchors, s.marked) for s in first.segments] == [
        ("甲句。", ("d-p1",), ("d-p1",), False),
        ("乙句。", ("d-p1", "d-p2"), ("d-p2",), True),
    ]
    assert [(s.text, s.passages, s.anchors) for s in second.segments] == [("丙句。", ("d-p2",), ())]


def test_parse_span_ignores_anything_odd():
    assert parse_span("3-6", 11) == (3, 6)
    for value in (None, "", "6-3", "3-3", "0-12", "a-b", "-1-3", "3-6x"):
        assert parse_span(value, 11) is None


def test_answer_parts_link_markers_to_citations():
    c1 = Citation(1, "d", "t", "d-p1", "甲句。", 0, 3)
    answer = Answer("q", "zh", True, "甲句。 [1] 乙句。 [2]", [c1], [], 1.0)
    parts = answer_parts(answer)
    assert [(p.text, p.citation) for p in parts] == [("甲句。", None), ("[1]", c1), (" 乙句。 [2]", None)]


def test_question_detection():
    for q in ("新会区GDP是多少", "What is the GDP?", "how big is Xinhui", "江门有哪些产业", "是否增长", "GDP？"):
        assert is_question(q), q
    for q in ("新型储能", "energy storage", "江门 工业", ""):
        assert not is_question(q), q


def test_pager_windows_and_caps():
    pager = make_pager({"q": "x", "page": "3"}, total=95, page=3, page_size=10)
    assert [p.number for p in pager.pages] == [1, 2, 3, 4, 5, 10]
    assert pager.previous == "/?q=x&page=2" and pager.next == "/?q=x&page=4"
    assert make_pager({"q": "x"}, total=10, page=1, page_size=10) is None
    deep = make_pager({"q": "x"}, total=100_000, page=1, page_size=10)
    assert deep.pages[-1].number == 101  # offset 1000 is the API's limit


def test_catalogue_and_dates():
    assert all(len(pair) == 2 for pair in MESSAGES.values())
    assert format_date("2023-11", "zh") == "2023年11月" and format_date("2023-11", "en") == "Nov 2023"
    assert format_date("2024-01-19", "en") == "19 Jan 2024" and format_date("2024", "zh") == "2024年"
    assert format_date("soon", "en") == "soon"
