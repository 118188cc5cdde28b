"""Word `.docx` documents (python-docx), headings kept as headings.

A .docx is a zip archive, so it is checked before python-docx opens it: a "zip bomb"
(a small file that inflates to gigabytes) is refused from the sizes its directory
declares. Python's zipfile never inflates a member past its declared size, so the
declared total bounds what python-docx can read.
"""
from __future__ import annotations

import io
import re
import zipfile

from index.models import BlockKind

# A long Word report with pictures inflates to tens of megabytes; the text we read is far less.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 10_000
# Real documents compress XML about 5-20x; 1000x is only reached by crafted repetition.
MAX_COMPRESSION_RATIO = 1000

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)

Piece = tuple[BlockKind, str, int]


class WordProblem(ValueError):
    """A .docx we cannot read; the message is shown to the user."""


def check_archive(raw: bytes) -> None:
    """Refuse what is not a zip, or would inflate past the caps, before anything inflates it."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise WordProblem(f"not a Word .docx file (not a valid zip archive: {exc})") from None
    if len(members) > MAX_MEMBERS:
        raise WordProblem(f"zip archive of {len(members)} files; a .docx holds far fewer")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise WordProblem(f"would inflate to {total:,} bytes (limit {MAX_UNCOMPRESSED_BYTES:,}): "
                          "refused as a possible zip bomb")
    for m in members:
        if m.file_size > 1_000_000 and m.file_size > MAX_COMPRESSION_RATIO * max(m.compress_size, 1):
            raise WordProblem(f"{m.filename} inflates {m.file_size // max(m.compress_size, 1)}x: "
                              "refused as a possible zip bomb")
    if "word/document.xml" not in {m.filename for m in members}:
        raise WordProblem("not a Word .docx file (no word/document.xml in the archive)")


def read_docx(raw: bytes) -> tuple[dict[str, str], list[Piece]]:
    """(metadata: title, author; [(kind, text, level)]) in reading order, tables included."""
    check_archive(raw)
    import docx  # python-docx; imported here so loading a text corpus never pays for lxml
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # python-docx raises lxml, KeyError, ValueError… on damaged parts
        raise WordProblem(f"not a readable Word .docx file ({type(exc).__name__}: {str(exc)[:120]})") from None
    pieces: list[Piece] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells]
                # Merged cells repeat their text in every column they span: keep one.
                unique = [c for i, c in enumerate(cells) if c and c not in cells[:i]]
                if unique:
                    pieces.append(("paragraph", " | ".join(unique), 0))
            continue
        text = block.text.strip()
        if text:
            pieces.append(_piece(block.style.name if block.style is not None else "", text))
    props = document.core_properties
    meta = {"title": (props.title or "").strip(), "author": (props.author or "").strip()}
    return meta, pieces


def _piece(style: str, text: str) -> Piece:
    if style == "Title":
        return ("heading", text, 1)
    heading = _HEADING_STYLE.match(style.strip())
    if heading:
        # Word's "Heading 1" is the first level under the title: "##", like our Markdown.
        return ("heading", text, int(heading.group(1)) + 1)
    if style.lower() == "caption":
        return ("caption", text, 0)
    return ("paragraph", text, 0)
