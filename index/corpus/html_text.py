"""Title and visible text of an HTML page, with headings kept as structure."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from index.models import BlockKind

_INVISIBLE = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
_BLOCK_TAGS = {
    "p", "div", "section", "article", "li", "ul", "ol", "br", "tr", "table", "blockquote",
    "figure", "figcaption", "header", "footer", "main", "aside", "pre", "dd", "dt", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6",
}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Void elements never get an end tag, so they must not open an invisible region.
_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}

Piece = tuple[BlockKind, str, int]


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.pieces: list[Piece] = []
        self._buffer: list[str] = []
        self._kind: BlockKind = "paragraph"
        self._level = 0
        self._hidden_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _INVISIBLE and tag not in _VOID:
            self._hidden_depth += 1
        elif tag in _BLOCK_TAGS:
            self._flush()
            if tag in _HEADINGS:
                self._kind, self._level = "heading", _HEADINGS[tag]
            elif tag == "figcaption":
                self._kind = "caption"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _INVISIBLE and tag not in _VOID:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._hidden_depth:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
        if text:
            self.pieces.append((self._kind, text, self._level))
        self._buffer.clear()
        self._kind, self._level = "paragraph", 0

    def close(self) -> None:
        super().close()
        self._flush()


def extract_html(content: str) -> tuple[str, list[Piece]]:
    """(title, [(kind, text, level)]) of the page; the first <h1> stands in for a missing <title>."""
    parser = _VisibleText()
    parser.feed(content)
    parser.close()
    title = re.sub(r"\s+", " ", parser.title).strip()
    if not title:
        title = next((text for kind, text, _ in parser.pieces if kind == "heading"), "")
    return title, parser.pieces
