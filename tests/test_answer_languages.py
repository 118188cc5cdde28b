"""English and traditional-Chinese questions answered over HTTP, through the real model and app.

The README's English example, and questions written for this test from the two bundled
articles: none of them is in benchmarks/qa_set.jsonl (the set the hand-set thresholds were
fitted on) nor in XQuAD (the learned decision's training data). Each expects a figure in
a cited quote, and the quote to be a verbatim span of its passage.
"""
from __future__ import annotations

import pytest
import requests

# Known gaps of the current decision, measured when these questions were written (docs/ANSWERS.md);
# strict, so a fix shows up as an unexpected pass and the mark comes off.
ABSTAINS = pytest.mark.xfail(strict=True, reason="abstains: confidence (or the learned abstention's probability) "
                              "under the threshold")

README_EXAMPLE = "What was Jiangmen's GDP in the first three quarters?"

ENGLISH = [
    pytest.param("How many R&D staff does Dayi Motorcycle employ?", "600多名", marks=ABSTAINS),
    ("How many companies have moved into the headquarters and incubation base of Jiangmen's safety and "
     "emergency industry park?", "38家"),
    ("How large is Jiangmen's large industrial cluster zone in total area?", "1395平方公里"),
    # The hand-set choice cites another sentence; the learned abstention now withholds it.
    pytest.param("How many Xinhui companies were selected for the provincial top 500 manufacturers list?", "17家",
                 marks=ABSTAINS),
    ("How many new technological upgrading projects did Xinhui add in 2023?", "108个"),
    ("How fast did Jiangmen's manufacturing value added grow from January to September?", "4.6%"),
    ("How much output value did Hymson's Jiangmen subsidiary produce in 2022?", "超30亿元"),
]

# Written in traditional characters (as OpenCC s2hk writes them), one per line.
TRADITIONAL = [
    ("江門市場主體總量同比增長了多少？", "7.88%"),
    ("江門安全應急產業園區的產業加速園吸引了多少家企業落户？", "30家"),
    ("江門雙碳實驗室有幾名科研人員入選全球前2%頂尖科學家榜單？", "4名"),
    ("截至10月底江門新登記企業有多少户？", "1.58万户"),
    pytest.param("2022年江門工業投資佔全部投資的比重是多少？", "44.2%", marks=ABSTAINS),
    ("江門有多少個工業中類？", "142个"),
    ("前三季度江門引進投資超1億元項目的計劃投資額是多少？", "1650.2亿元"),
]


def _ask(base_url: str, question: str) -> dict:
    response = requests.get(base_url + "/api/ask", params={"q": question}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def _assert_cites(body: dict, figure: str, live_server: str) -> None:
    assert body["answered"], f"abstained (confidence {body['confidence']}): {body['answer']!r}"
    quotes = [c["quote"] for c in body["citations"]]
    assert any(figure in q for q in quotes), f"{figure} not in the cited quotes {quotes}"
    assert all(f"[{c['n']}]" in body["answer"] for c in body["citations"])
    for c in body["citations"]:  # a citation is the verbatim span at its offsets
        doc = requests.get(f"{live_server}/api/documents/{c['doc_id']}", timeout=60).json()
        assert doc["text"][c["start"]:c["end"]] == c["quote"]


def test_readme_english_example_answers_with_the_gdp_and_its_citation(live_server):
    body = _ask(live_server, README_EXAMPLE)
    _assert_cites(body, "2810.29", live_server)
    assert body["lang"] == "en"


@pytest.mark.parametrize(("question", "figure"), ENGLISH)
def test_english_questions_outside_the_qa_set(live_server, question, figure):
    _assert_cites(_ask(live_server, question), figure, live_server)


@pytest.mark.parametrize(("question", "figure"), TRADITIONAL)
def test_traditional_questions_outside_the_qa_set(live_server, question, figure):
    body = _ask(live_server, question)
    _assert_cites(body, figure, live_server)
