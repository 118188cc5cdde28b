"""Snippets with matched terms marked: the text is HTML-escaped, only <mark> is markup."""
from __future__ import annotations

from html import escape

from index.text.analysis import analyze
from index.text.language import HAN

SNIPPET_CHARS = 160


def match_spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Merged (start, end) spans of `text` whose analyzed term is in `terms`."""
    # jieba cuts only the runs that can hold a Chinese term: most of a passage's runs hold
    # none, and cutting them was most of a keyword search at 50k passages (uncached text).
    chinese_terms = [term for term in terms if HAN.search(term)]
    analyzed = analyze(text, only_runs_with=chinese_terms)
    spans = sorted((start, end) for term, start, end in analyzed if term in terms)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(text: str, terms: set[str], max_chars: int = SNIPPET_CHARS) -> str:
    """A window of `text` around its densest run of matches, escaped, with <mark>s."""
    spans = match_spans(text, terms) if terms else []
    start, end = _window(text, spans, max_chars)
    parts: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        parts.append(escape(text[cursor:s]))
        parts.append(f"<mark>{escape(text[s:e])}</mark>")
        cursor = e
    parts.append(escape(text[cursor:end]))
    parts.append("…" if end < len(text) else "")
    return "".join(parts)


def _window(text: str, spans: list[tuple[int, int]], max_chars: int) -> tuple[int, int]:
    if len(text) <= max_chars:
        return 0, len(text)
    if not spans:
        return 0, max_chars
    # Start a little before the span that has the most other matches within reach.
    best = max(spans, key=lambda span: sum(1 for s, _ in spans if span[0] <= s < span[0] + max_chars))
    start = max(0, min(best[0] - max_chars // 6, len(text) - max_chars))
    return start, start + max_chars
