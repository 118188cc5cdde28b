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
    markdown: str  # the article, headings as "#" lines; "" when only `pieces` were found
    pieces: list[Piece]  # the fallback: every visible block


def read_webpage(html: str) -> WebPage:
    import trafilatura  # heavy (lxml, dateparser): imported when a page is read

    # as_dict: a plain dict, whatever trafilatura's Document class becomes. No `deduplicate`:
    # its cache outlives the call, and would drop a paragraph because another page had it.
    found = trafilatura.bare_extraction(
        html, with_metadata=True, include_formatting=True, include_tables=True, include_comments=False,
        include_images=False, include_links=False, as_dict=True,
    )
    extracted: dict[str, Any] = found if isinstance(found, dict) else {}
    title, pieces = extract_html(html)
    markdown = str(extracted.get("text") or "")
    if not markdown.strip():
        return WebPage(title, "", "", "", "", pieces)
    return WebPage(
        title=str(extracted.get("title") or title or "").strip(),
        date=str(extracted.get("date") or "")[:10],
        author=str(extracted.get("author") or _meta_author(html)).strip(),
        site=str(extracted.get("sitename") or "").strip(),
        markdown=markdown,
        pieces=[],
    )


def _meta_author(html: str) -> str:
    """<meta name="author">, read directly: trafilatura's author clean-up drops a Chinese
    name written without spaces (李明), the common case on Chinese news sites."""
    import trafilatura

    tree = trafilatura.load_html(html)
    if tree is None:
        return ""
    values = tree.xpath('//meta[@name="author" or @property="article:author"]/@content')
    return str(values[0]) if values else ""
