"""Read a corpus folder into Documents, reporting (not raising on) files that cannot be read.

Formats (one reader each, chosen by `load_file` from the file's suffix):
- `.md` / `.txt`: optional YAML front matter between `---` lines; `#` headings and
  `> ` photo captions are kept as structure, everything else is paragraphs;
  `<!-- page N -->` lines give the page the following blocks are on.
- `.html` / `.htm`: a saved web page reduced to its article, title, date and author
  (webpage.py, trafilatura); a page with no article found keeps all its visible text.
- `.jsonl`: one document per line with `id`, `title`, `text` and optional metadata.
- `.pdf`: the text layer, page by page (pdf.py, pypdf); a scan without one is refused.
- `.docx`: paragraphs, headings and tables (word.py, python-docx), zip bombs refused.
Text files may be UTF-8, UTF-16/32 with a byte-order mark, GB18030/GBK or Big5 (encoding.py).
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from index.corpus.encoding import NotText, decode_text
from index.corpus.pdf import PdfProblem, read_pdf
from index.corpus.webpage import read_webpage
from index.corpus.word import WordProblem, read_docx
from index.models import Block, BlockKind, Document
from index.text.dates import DATE_HINT, is_partial_date
from index.text.language import guess_language, has_han

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".jsonl", ".pdf", ".docx")
# Files in a corpus folder that are about the corpus, not part of it.
IGNORED_NAMES = {"README.md", "readme.md", "userdict.txt", "LICENSE", "LICENSE.md"}
KNOWN_KEYS = {"id", "title", "text", "date", "source", "district", "lang", "url"}

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_PAGE_MARK = re.compile(r"^<!--\s*page\s+(\d{1,6})\s*-->$")
# Titles PDF and Word tools write on their own: a file name is not an article's title.
_TOOL_DEFAULT = re.compile(r"^(?:Microsoft Word - |untitled$|about:blank$|anonymous$|unknown$)|\.(?:docx?|pdf|wps|txt)$",
                         re.I)

Piece = tuple[BlockKind, str, int]


@dataclass(frozen=True)
class LoadProblem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)


class BadDocument(ValueError):
    """A file or line that cannot become a Document; the message is shown to the user."""


def corpus_files(folders: Iterable[Path]) -> list[Path]:
    """Every loadable file under the folders, in a stable order."""
    found: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if (
                path.is_file()
                and path.suffix.lower() in SUPPORTED_SUFFIXES
                and path.name not in IGNORED_NAMES
                and not any(part.startswith(".") for part in path.relative_to(folder).parts)
            ):
                found.append(path)
    return found


def load_corpus(folders: Iterable[Path]) -> LoadResult:
    """Load every document; a broken file is reported and skipped, the rest still load.

    A duplicate id is a problem too: the first file wins, so a stray copy cannot
    silently replace an article.
    """
    return collect_documents((path, load_file(path)) for path in corpus_files(folders))


def collect_documents(
    loaded: Iterable[tuple[Path, tuple[list[Document], list[LoadProblem]]]],
) -> LoadResult:
    """Merge per-file `load_file` results, in file order, keeping the first of duplicate ids.

    A distributed build loads files elsewhere and merges here, so both builds agree."""
    result = LoadResult()
    seen: dict[str, str] = {}
    for path, (docs, problems) in loaded:
        result.problems.extend(problems)
        for doc in docs:
            if doc.id in seen:
                result.problems.append(
                    LoadProblem(str(path), f"duplicate document id {doc.id!r} (first in {seen[doc.id]})")
                )
                continue
            seen[doc.id] = str(path)
            result.documents.append(doc)
    return result


def load_file(path: Path) -> tuple[list[Document], list[LoadProblem]]:
    """Documents in one file, and what was wrong with it (at most one problem per line)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [LoadProblem(str(path), f"cannot read file: {exc.strerror or exc}")]
    if not raw:
        return [], [LoadProblem(str(path), "empty file (0 bytes): no text")]
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            return [_document_from_pdf(path, raw)], []
        if suffix == ".docx":
            return [_document_from_docx(path, raw)], []
        content, _ = decode_text(raw)
        if "\x00" in content:
            raise BadDocument("binary file (contains NUL bytes)")
        if suffix == ".jsonl":
            return _load_jsonl(path, content)
        if suffix in (".html", ".htm"):
            return [_document_from_html(path, content)], []
        return [_document_from_markdown(path, content)], []
    except (BadDocument, NotText, PdfProblem, WordProblem) as exc:
        return [], [LoadProblem(str(path), str(exc))]


def _load_jsonl(path: Path, content: str) -> tuple[list[Document], list[LoadProblem]]:
    docs: list[Document] = []
    problems: list[LoadProblem] = []
    for line_no, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise BadDocument("a line must be a JSON object")
            docs.append(document_from_record(record, path=f"{path}:{line_no}"))
        except json.JSONDecodeError as exc:
            problems.append(LoadProblem(f"{path}:{line_no}", f"malformed JSON ({exc.msg})"))
        except BadDocument as exc:
            problems.append(LoadProblem(f"{path}:{line_no}", str(exc)))
    return docs, problems


def document_from_record(record: dict[str, Any], path: str = "") -> Document:
    """A Document from a JSON object (a `.jsonl` line or an API upload)."""
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadDocument("missing or empty 'text'")
    title = record.get("title")
    if title is not None and not isinstance(title, str):
        raise BadDocument("'title' must be a string")
    meta = {k: v for k, v in record.items() if k not in KNOWN_KEYS}
    return _make_document(
        front={k: record[k] for k in KNOWN_KEYS - {"text"} if k in record},
        blocks=parse_markdown_blocks(text),
        path=path,
        meta=meta,
        fallback_id_seed=path or text,
    )


def _document_from_markdown(path: Path, content: str) -> Document:
    front, body = split_front_matter(content)
    meta = {k: v for k, v in front.items() if k not in KNOWN_KEYS}
    return _make_document(front, parse_markdown_blocks(body), str(path), meta, fallback_id_seed=path.stem)


def _document_from_html(path: Path, content: str) -> Document:
    page = read_webpage(content)
    blocks = parse_markdown_blocks(page.markdown) if page.markdown else _blocks_from_pieces(page.pieces)
    front = {"title": page.title, "date": _iso_day_or_none(page.date), "source": page.site}
    meta = {"author": page.author} if page.author else {}
    return _make_document(front, blocks, str(path), meta, fallback_id_seed=path.stem)


def _document_from_pdf(path: Path, raw: bytes) -> Document:
    info, pages = read_pdf(raw)
    pieces: list[Piece] = []
    page_numbers: list[int | None] = []
    for number, paragraphs in pages:
        pieces.extend(("paragraph", text, 0) for text in paragraphs)
        page_numbers.extend(number for _ in paragraphs)
    blocks = _blocks_from_pieces(pieces, page_numbers)
    return _make_document(_file_front(info), blocks, str(path), _file_meta(info, pages=len(pages)),
                          fallback_id_seed=path.stem)


def _document_from_docx(path: Path, raw: bytes) -> Document:
    info, pieces = read_docx(raw)
    return _make_document(_file_front(info), _blocks_from_pieces(pieces), str(path), _file_meta(info),
                          fallback_id_seed=path.stem)


def _file_front(info: dict[str, str]) -> dict[str, Any]:
    return {"title": _unless_tool_default(info.get("title", ""))}


def _file_meta(info: dict[str, str], **extra: Any) -> dict[str, Any]:
    author = _unless_tool_default(info.get("author", ""))
    return {**({"author": author} if author else {}), **extra}


def _unless_tool_default(value: str) -> str:
    """"" for what a PDF or Word tool fills in by itself (a file name, "anonymous")."""
    return "" if _TOOL_DEFAULT.search(value) else value


def _iso_day_or_none(date: str) -> str | None:
    """A page's date only if it is one we accept: a wrong guess must not refuse the page."""
    return date if date and is_partial_date(date) else None


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text: PyYAML builds date objects itself and raises a bare
    ValueError on 2024-13-45; as text, every date gets the same check and message.

    It also refuses aliases (`*name`): front matter never needs them, and nested aliases
    expand exponentially (345 bytes once took 30 s of a worker and stored 9.4 MB)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def split_front_matter(content: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (or {}) and the body after it."""
    match = _FRONT_MATTER.match(content)
    if not match:
        if content.startswith("---\n"):
            raise BadDocument("front matter opened with '---' but never closed")
        return {}, content
    try:
        front = yaml.load(match.group(1), Loader=_FrontMatterLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        raise BadDocument(f"bad YAML front matter{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(front, dict):
        raise BadDocument("front matter must be a YAML mapping of keys to values")
    return front, content[match.end():]


def parse_markdown_blocks(body: str) -> list[Block]:
    """Headings, captions and paragraphs; a paragraph is a run of non-blank lines."""
    pieces: list[Piece] = []
    pages: list[int | None] = []
    page: int | None = None
    paragraph: list[str] = []

    def add(piece: Piece) -> None:
        pieces.append(piece)
        pages.append(page)

    def flush() -> None:
        if paragraph:
            add(("paragraph", _join_lines(paragraph), 0))
            paragraph.clear()

    for line in body.splitlines():
        stripped = line.strip()
        heading = _HEADING.match(stripped)
        page_mark = _PAGE_MARK.match(stripped)
        if not stripped:
            flush()
        elif page_mark:
            flush()
            page = int(page_mark.group(1))
        elif heading:
            flush()
            add(("heading", heading.group(2), len(heading.group(1))))
        elif stripped.startswith(">"):
            flush()
            add(("caption", stripped.lstrip(">").strip(), 0))
        else:
            paragraph.append(stripped)
    flush()
    return _blocks_from_pieces(pieces, pages)


def _join_lines(lines: list[str]) -> str:
    """Chinese lines join with nothing between them, English ones with a space."""
    out = lines[0]
    for line in lines[1:]:
        glue = "" if has_han(out[-1:]) or has_han(line[:1]) else " "
        out += glue + line
    return out


def _blocks_from_pieces(pieces: list[Piece], pages: list[int | None] | None = None) -> list[Block]:
    blocks: list[Block] = []
    offset = 0
    for n, (kind, text, level) in enumerate(pieces):
        text = text.strip()
        if not text:
            continue
        if blocks:
            offset += 2  # the "\n\n" that joins blocks in Document.text
        page = pages[n] if pages else None
        blocks.append(Block(kind=kind, text=text, start=offset, end=offset + len(text), level=level, page=page))
        offset += len(text)
    return blocks


def valid_document_id(doc_id: str) -> bool:
    """Ids are word characters of any script, '-', '_' and '.', at most 120: they name files."""
    return re.fullmatch(r"[\w.\-]{1,120}", doc_id) is not None


def _make_document(
    front: dict[str, Any], blocks: list[Block], path: str, meta: dict[str, Any], fallback_id_seed: str
) -> Document:
    if not any(b.kind != "heading" for b in blocks):
        raise BadDocument("document has no text")
    text = "\n\n".join(b.text for b in blocks)
    title = _as_text(front.get("title")) or _first_heading(blocks) or blocks[0].text[:60]
    doc_id = _as_text(front.get("id")) or _slug(fallback_id_seed)
    if not valid_document_id(doc_id):
        raise BadDocument(f"bad id {doc_id!r}: use letters, digits, '-', '_' or '.' (at most 120)")
    return Document(
        id=doc_id,
        title=title,
        text=text,
        blocks=blocks,
        lang=_as_text(front.get("lang")) or guess_language(text),
        date=_normalise_date(front.get("date")),
        source=_as_text(front.get("source")),
        district=_as_text(front.get("district")),
        url=_as_text(front.get("url")),
        path=path,
        meta=_plain(meta),
    )


def _first_heading(blocks: list[Block]) -> str:
    return next((b.text for b in blocks if b.kind == "heading"), "")


def _as_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _normalise_date(value: Any) -> str:
    """ISO text, cut to the day ("2023-11-05T08:00" is 2023-11-05); JSON dates arrive as text too."""
    text = _as_text(value)
    if text and not is_partial_date(text[:10]):
        raise BadDocument(f"bad date {text!r}: {DATE_HINT}")
    return text[:10]


def _plain(meta: dict[str, Any]) -> dict[str, Any]:
    """Front matter values made JSON-safe (YAML may give dates and other objects)."""
    return json.loads(json.dumps(meta, ensure_ascii=False, default=str))


def _slug(seed: str) -> str:
    ascii_part = re.sub(r"[^a-z0-9]+", "-", seed.lower()).strip("-")[:60]
    if ascii_part and ascii_part == seed.lower():
        return ascii_part
    digest = hashlib.sha1(seed.encode("utf-8")).hexdigest()[:12]
    return f"{ascii_part}-{digest}" if ascii_part else f"doc-{digest}"
