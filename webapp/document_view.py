"""A document cut into what its page renders: blocks of segments that know their passages.

Passages are runs of sentences; they may start mid-paragraph, span paragraphs and
overlap by a sentence. So a block is cut at every passage boundary (and at the edges of a
highlighted span), and each piece records which passages cover it. The page puts an
`id="p-<passage_id>"` anchor where each passage starts, and app.js lights up every piece
of the passage named in the URL fragment; the `?hl=start-end` span is marked on the
server, so a cited quote is highlighted even without JavaScript.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from itertools import pairwise

from index import Block, Document, Passage

_SPAN = re.compile(r"(\d{1,9})-(\d{1,9})")


@dataclass(frozen=True)
class Segment:
    text: str
    passages: tuple[str, ...]  # ids of the passages covering this piece
    anchors: tuple[str, ...]  # ids of the passages starting here
    marked: bool  # inside the highlighted span


@dataclass(frozen=True)
class BlockView:
    kind: str
    level: int
    segments: list[Segment]
    new_page: int | None = None  # set on the first block of each page of a PDF

    @property
    def tag(self) -> str:
        if self.kind == "heading":
            return "h2" if self.level <= 2 else "h3"
        return "p"


def parse_span(value: str | None, text_length: int) -> tuple[int, int] | None:
    """`start-end` offsets into the document text; anything else is ignored (None)."""
    match = _SPAN.fullmatch(value or "")
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return (start, end) if 0 <= start < end <= text_length else None


def document_view(doc: Document, passages: list[Passage], highlight: tuple[int, int] | None) -> list[BlockView]:
    ordered = sorted(passages, key=lambda p: (p.start, p.end))
    starts = [p.start for p in ordered]
    ends = [p.end for p in ordered]
    # Passages come in reading order and are not nested, so their ends ascend too and the
    # passages touching a block are found by two binary searches.
    ascending = all(a <= b for a, b in pairwise(ends))

    def touching(block: Block) -> list[Passage]:
        if not ascending:  # not the library's shape: scan instead
            return [p for p in ordered if p.start < block.end and p.end > block.start]
        return ordered[bisect.bisect_right(ends, block.start):bisect.bisect_left(starts, block.end)]

    views = [_block_view(doc, block, touching(block), highlight) for block in doc.blocks]
    previous_page = None
    for n, block in enumerate(doc.blocks):
        if block.page is not None and block.page != previous_page:
            views[n] = replace(views[n], new_page=block.page)
        previous_page = block.page
    return views


def _block_view(doc: Document, block: Block, touching: list[Passage], highlight: tuple[int, int] | None) -> BlockView:
    cuts = {block.start, block.end}
    for p in touching:
        cuts.update(x for x in (p.start, p.end) if block.start < x < block.end)
    if highlight:
        cuts.update(x for x in highlight if block.start < x < block.end)
    edges = sorted(cuts)
    segments = []
    for start, end in pairwise(edges):
        segments.append(Segment(
            text=doc.text[start:end],
            passages=tuple(p.id for p in touching if p.start <= start and end <= p.end),
            anchors=tuple(p.id for p in touching if p.start == start),
            marked=bool(highlight and highlight[0] <= start and end <= highlight[1]),
        ))
    return BlockView(block.kind, block.level, segments)
