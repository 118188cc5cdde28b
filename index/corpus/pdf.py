"""PDF documents through their text layer (pypdf), every block knowing its page.

pypdf over pdfplumber: on a Chinese PDF written by reportlab (STSong-Light) and on one
printed by Chromium with embedded Noto CJK subsets both gave the same text, and pypdf took
about 0.4x to 0.9x the time without pdfminer's font warnings (measured for issue 14).
A PDF whose pages hold no text is a scan: it is refused with a clear reason, never loaded
as an empty document.
"""
from __future__ import annotations

import io
import logging
import re
import unicodedata

import pypdf
from pypdf.errors import PdfReadError

from index.text.language import has_han

# A notice of a few hundred pages is normal; ten thousand pages is not an article.
MAX_PAGES = 2000
# pdf text layers (Chromium's CJK subsets among them) often map glyphs to radicals that
# look like the characters: NFKC turns the Kangxi radicals (U+2F00-2FD5) into the
# ideographs, and these C-simplified radicals from the CJK Radicals Supplement, which NFKC
# leaves alone, follow Unicode's EquivalentUnifiedIdeograph.txt.
_SIMPLIFIED_RADICALS = str.maketrans({
    "\u2eb0": "纟", "\u2ec5": "见", "\u2ec6": "角", "\u2ec8": "讠", "\u2ec9": "贝", "\u2ecb": "车",
    "\u2ed0": "钅", "\u2ed3": "长", "\u2ed4": "门", "\u2ed9": "韦", "\u2eda": "页", "\u2edb": "风",
    "\u2edc": "飞", "\u2ee0": "饣", "\u2ee2": "马", "\u2ee5": "鱼", "\u2ee6": "鸟", "\u2ee7": "卤",
    "\u2ee8": "麦", "\u2ee9": "黄", "\u2eea": "黾", "\u2eec": "齐", "\u2eee": "齿", "\u2ef0": "龙",
    "\u2ef3": "龟",
})
_KANGXI = re.compile("[\u2f00-\u2fd5]")
# A line ending a sentence ends its paragraph: PDFs keep lines, not paragraphs.
# A line shorter than this share of the page's longest line ends its paragraph.
SHORT_LINE = 0.6
_PARAGRAPH_END = re.compile(r"[。！？!?][”’」』）)]*$")



class PdfProblem(ValueError):
    """A PDF we cannot read; the message is shown to the user."""


def read_pdf(raw: bytes) -> tuple[dict[str, str], list[tuple[int, list[str]]]]:
    """(metadata: title, author; [(page number, paragraphs)]) of a PDF's text layer."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a warning per odd object is noise here
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfProblem("encrypted PDF: save an unprotected copy first")
        if len(reader.pages) > MAX_PAGES:
            raise PdfProblem(f"{len(reader.pages)} pages; at most {MAX_PAGES} are read")
        pages = [(n, _paragraphs(page.extract_text() or "")) for n, page in enumerate(reader.pages, start=1)]
        info = reader.metadata
        meta = {"title": str(info.title or "").strip(), "author": str(info.author or "").strip()} if info else {}
    except PdfProblem:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OSError, NotImplementedError, AssertionError) as exc:
        # pypdf raises many kinds on a damaged file; all mean the same to the user.
        raise PdfProblem(f"not a readable PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not any(paragraphs for _, paragraphs in pages):
        raise PdfProblem("no text layer; OCR it first (a scanned PDF holds only images)")
    return meta, pages


def clean_pdf_text(text: str) -> str:
    text = _KANGXI.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return text.translate(_SIMPLIFIED_RADICALS)


def _paragraphs(page_text: str) -> list[str]:
    """Lines joined into paragraphs. A PDF keeps lines, not paragraphs: a blank line, a line
    ending a sentence, or a line well short of the page's full lines (a heading, the last
    line of a paragraph) closes one."""
    lines = [line.strip() for line in clean_pdf_text(page_text).splitlines()]
    full_width = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        glue = "" if not current or has_han(current[-1:]) or has_han(line[:1]) else " "
        current += glue + line
        if _PARAGRAPH_END.search(line) or len(line) < SHORT_LINE * full_width:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs
