"""Split documents into sentences and passages that never cut a sentence.

A passage stays inside one section (headings are its context, not its text), prefers to
end at a paragraph, and holds about 150-300 "size units": one per Chinese character (or
kana), 2.5 per word of a spaced script (English, Russian, Korean, …), so ~120 English words
fill a passage like ~300 characters do. Whatever the script, a unit never stands for more
than CHARS_PER_UNIT characters, so no passage is longer than MAX_PASSAGE_CHARS: text in a
script the counts miss (Thai, symbols) or one endless word cannot make an unbounded passage
(a 20 MB run of "a" once became one passage that the encoders could not hold).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.models import Block, Document, Passage
from index.text.language import HAN_CLASS

MIN_SIZE = 150
MAX_SIZE = 300
# A "sentence" longer than this (lists without full stops, scraped pages) is split at
# commas so no passage is unusably long; the one place we cut inside a sentence.
HARD_MAX_SIZE = 600
# Overlap: the last sentence of a passage cut mid-paragraph opens the next passage too,
# when it is short enough not to dominate it.
MAX_OVERLAP_SIZE = 90

# Characters of scripts written without spaces count one unit each, like Chinese.
_DENSE = re.compile(f"[{HAN_CLASS}\u3040-\u30ff\u31f0-\u31ff]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:[.'’-][A-Za-z0-9]+)*")
# A word of another spaced script (Cyrillic, Hangul, Greek, Arabic, …): a run of non-ASCII
# letters. Accented letters inside a Latin word ("Kraków") are not a word of their own,
# which keeps the sizes, and so the passages, of Latin text what they were.
_OTHER_WORD = re.compile(r"(?<![A-Za-z0-9])[^\W\d_A-Za-z]+(?![A-Za-z0-9])")
# The floor under the size of any text: one unit per this many characters. English averages
# about 6 characters a word (2.5 units), so real text of every script counted above is never
# affected; only text the counts miss is.
CHARS_PER_UNIT = 4
MAX_PASSAGE_CHARS = HARD_MAX_SIZE * CHARS_PER_UNIT
# Every passage carries its document's title and its heading path (both keyword-indexed,
# title boosted): an endless title or heading would be copied into every passage.
MAX_LABEL_CHARS = 300
# A sentence ends at 。！？； (plus any closing quotes/brackets), or at . ? ! followed by
# whitespace (so 2810.29 and "U.S." inside a sentence survive).
_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)\]】\"']*|\.+[”’\"')\]]*(?=\s)|…+[”’」』]*")
_SOFT_BREAK = re.compile(r"[，、,：:]\s*")
_CLAUSE_END = re.compile(r"[；;][”’」』）)\]】\"']*$")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offsets into Document.text
    end: int


def text_size(text: str) -> float:
    if text.isascii():  # most calls; skips two of the three scans
        return max(2.5 * len(_WORD.findall(text)), len(text) / CHARS_PER_UNIT)
    dense = len(_DENSE.findall(text))
    spaced = _DENSE.sub(" ", text) if dense else text
    words = len(_WORD.findall(spaced)) + len(_OTHER_WORD.findall(spaced))
    return max(dense + 2.5 * words, len(text) / CHARS_PER_UNIT)


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Sentences of `text` with offsets (plus `offset`), surrounding whitespace trimmed."""
    sentences: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        _append_trimmed(sentences, text, start, match.end(), offset)
        start = match.end()
    _append_trimmed(sentences, text, start, len(text), offset)
    return [piece for s in sentences for piece in _split_overlong(s)]


def answer_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """The sentences an answer may quote: split_sentences, with a clause that ends in ；
    quoted together with the clauses after it up to the full stop (while under MAX_SIZE).

    A policy report lists its figures as clauses of one sentence (截至10月底，市场主体…；
    企业总量…，新登记企业1.58万户…。): the time and place at its head belong to every
    clause, and a clause alone can be the wrong quote (the one with the context, not the
    figure) or an unfounded one (the figure without its period)."""
    out: list[Sentence] = []
    for sentence in split_sentences(text, offset):
        previous = out[-1] if out else None
        if previous is not None and _CLAUSE_END.search(previous.text):
            joined = text[previous.start - offset:sentence.end - offset]
            if text_size(joined) <= MAX_SIZE:
                out[-1] = Sentence(joined, previous.start, sentence.end)
                continue
        out.append(sentence)
    return out


def _append_trimmed(out: list[Sentence], text: str, start: int, end: int, offset: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        s = start + lead + offset
        out.append(Sentence(stripped, s, s + len(stripped)))


def _split_overlong(sentence: Sentence) -> list[Sentence]:
    if text_size(sentence.text) <= HARD_MAX_SIZE:
        return [sentence]
    pieces: list[Sentence] = []
    start = segment_start = 0
    size = 0.0
    # Sizes are added segment by segment: measuring the growing piece again at every comma
    # took quadratic time on a long list of short items.
    for match in _SOFT_BREAK.finditer(sentence.text):
        size += text_size(sentence.text[segment_start:match.end()])
        segment_start = match.end()
        if size >= MAX_SIZE:
            _append_trimmed(pieces, sentence.text, start, match.end(), sentence.start)
            start, size = match.end(), 0.0
    _append_trimmed(pieces, sentence.text, start, len(sentence.text), sentence.start)
    # No commas either (one huge token run): cut by size so nothing is unbounded.
    out: list[Sentence] = []
    for piece in pieces:
        step = HARD_MAX_SIZE
        for i in range(0, len(piece.text), step):
            part = piece.text[i:i + step]
            out.append(Sentence(part, piece.start + i, piece.start + i + len(part)))
    return out


def split_passages(doc: Document) -> list[Passage]:
    """Passages of a document in reading order, with ids `<doc_id>-p<n>`."""
    spans: list[tuple[list[Sentence], str, int | None]] = []
    headings: dict[int, str] = {}
    section: list[tuple[Block, list[Sentence]]] = []
    page: int | None = None

    def close_section() -> None:
        spans.extend((group, _heading_path(headings), page) for group in _group_section(section))
        section.clear()

    for block in doc.blocks:
        # A passage stays on one page of a paged source (PDF), so "p. N" on a result or a
        # citation is true of every sentence in it.
        if block.page != page:
            close_section()
            page = block.page
        if block.kind == "heading":
            close_section()
            headings = {lvl: h for lvl, h in headings.items() if lvl < block.level}
            headings[block.level] = block.text
        else:
            section.append((block, split_sentences(block.text, block.start)))
    close_section()

    title = doc.title[:MAX_LABEL_CHARS]
    return [
        Passage(
            id=f"{doc.id}-p{n}",
            doc_id=doc.id,
            text=doc.text[group[0].start:group[-1].end],
            start=group[0].start,
            end=group[-1].end,
            heading=heading,
            title=title,
            lang=doc.lang,
            date=doc.date,
            source=doc.source,
            district=doc.district,
            url=doc.url,
            page=page,
        )
        for n, (group, heading, page) in enumerate(spans, start=1)
    ]


def _heading_path(headings: dict[int, str]) -> str:
    return " · ".join(headings[level] for level in sorted(headings))[:MAX_LABEL_CHARS]


def _group_section(section: list[tuple[Block, list[Sentence]]]) -> list[list[Sentence]]:
    """Sentence groups for one section. Captions stand alone: they describe a photo."""
    groups: list[tuple[list[Sentence], bool]] = []  # (sentences, is_caption)
    current: list[Sentence] = []
    size = 0.0

    def emit() -> None:
        nonlocal current, size
        if current:
            groups.append((current, False))
        current, size = [], 0.0

    for block, sentences in section:
        if block.kind == "caption":
            emit()
            groups.extend((part, True) for part in _bounded_groups(sentences))
            continue
        for sentence in sentences:
            s_size = text_size(sentence.text)
            if current and (size + s_size > MAX_SIZE or _span(current[0], sentence) > MAX_PASSAGE_CHARS):
                last = current[-1]
                emit()
                last_size = text_size(last.text)
                if (last_size <= MAX_OVERLAP_SIZE and last_size + s_size <= MAX_SIZE
                        and _span(last, sentence) <= MAX_PASSAGE_CHARS):
                    current, size = [last], last_size
            current.append(sentence)
            size += s_size
        # Paragraph end: a good place to stop once the passage is big enough.
        if size >= MIN_SIZE:
            emit()
    emit()
    return _merge_small_tail(groups)


def _span(first: Sentence, last: Sentence) -> int:
    """Characters a passage from `first` to `last` holds, the whitespace between included."""
    return last.end - first.start


def _bounded_groups(sentences: list[Sentence]) -> list[list[Sentence]]:
    """A caption's sentences, in as few passages as the size and character bounds allow."""
    groups: list[list[Sentence]] = []
    size = 0.0
    for sentence in sentences:
        s_size = text_size(sentence.text)
        if groups and groups[-1] and size + s_size <= MAX_SIZE and _span(groups[-1][0], sentence) <= MAX_PASSAGE_CHARS:
            groups[-1].append(sentence)
            size += s_size
        else:
            groups.append([sentence])
            size = s_size
    return groups


def _merge_small_tail(groups: list[tuple[list[Sentence], bool]]) -> list[list[Sentence]]:
    """A section ending in a short paragraph joins the previous passage if it fits."""
    if len(groups) >= 2:
        (tail, tail_caption), (prev, prev_caption) = groups[-1], groups[-2]
        tail_size = sum(text_size(s.text) for s in tail)
        prev_size = sum(text_size(s.text) for s in prev)
        overlaps = tail[0].start <= prev[-1].start
        if (
            not (tail_caption or prev_caption or overlaps)
            and tail_size < MIN_SIZE / 3
            and prev_size + tail_size <= MAX_SIZE
            and _span(prev[0], tail[-1]) <= MAX_PASSAGE_CHARS
        ):
            groups = groups[:-2] + [(prev + tail, False)]
    return [sentences for sentences, _ in groups]
