"""Saved web pages reduced to the article: trafilatura drops the navigation, sidebars and
footer and finds the title, date and author; it works on the saved text alone (nothing is
fetched, checked with the network switched off).

A page trafilatura finds no article in (a short page, a bare fragment) falls back to all
of its visible text (html_text.py), so nothing a user saved is silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from index.corpus.html_text import Piece, extract_html


@dataclass(frozen=True)
class WebPage:
    title: str
    date: str  # ISO day, "" when the page does not say
    author: str
    site: str
    markdown: str  # the article, one block a paragraph, headings as "#" lines; "" when only `pieces` were found
    pieces: list[Piece]  # the fallback: every visible block


def read_webpage(html: str) -> WebPage:
    import trafilatura  # heavy (lxml, dateparser): imported when a page is read

    # No `deduplicate`: its cache outlives the call, and would drop a paragraph because an
    # earlier page had it.
    found = trafilatura.bare_extraction(
        html, with_metadata=True, include_formatting=True, include_tables=True, include_comments=False,
        include_images=False, include_links=False,
    )
    extracted: dict[str, Any] = found.as_dict() if found is not None and not isinstance(found, dict) else {}
    title, pieces = extract_html(html)
    text = str(extracted.get("text") or "")
    if not text.strip():
        return WebPage(title, "", "", "", "", pieces)
    title = str(extracted.get("title") or title or "").strip()
    return WebPage(
        title=title,
        date=str(extracted.get("date") or "")[:10],
        author=str(extracted.get("author") or _meta_author(html)).strip(),
        site=str(extracted.get("sitename") or "").strip(),
        markdown=_one_block_a_line(text, title),
        pieces=[],
    )


def _one_block_a_line(text: str, title: str) -> str:
    """trafilatura writes one line per paragraph (blank lines only between formatted
    blocks); our Markdown joins adjacent lines, so each line becomes its own block. A first
    line that is the headline becomes a heading, as `# ` would have made it."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0] == title:
        lines[0] = f"# {title}"
    return "\n\n".join(lines)


def _meta_author(html: str) -> str:
    """<meta name="author">, read directly: trafilatura's author clean-up drops a Chinese
    name written without spaces (李明), the common case on Chinese news sites."""
    import trafilatura

    tree = trafilatura.load_html(html)
    if tree is None:
        return ""
    values = tree.xpath('//meta[@name="author" or @property="article:author"]/@content')
    return str(values[0]) if values else ""
