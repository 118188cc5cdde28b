"""Search-as-you-type completions from the corpus's own words, titles and headings."""
from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from index.models import Document
from index.text.analysis import CHINESE_STOP_WORDS, ENGLISH_STOP_WORDS, _segmenter
from index.text.language import HAN_CLASS
from index.text.script import script_of, to_simplified, to_traditional

_CJK_WORD = re.compile(f"[{HAN_CLASS}]{{2,}}")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]{2,}")
# Titles and headings are what people look for by name; they outrank single words.
PHRASE_WEIGHT = 20
MAX_TERMS = 50_000
# How many trailing characters of a Chinese query we try to complete (longest first), and
# how few: a one-character tail completes to any word starting with it (储能 -> 储能力).
MAX_SUFFIX = 8
MIN_SUFFIX = 2
# Two adjacent words seen this often become a phrase completion (新型储能 -> 新型储能产业).
MIN_PAIR_COUNT = 2


def build_vocabulary(documents: Iterable[Document]) -> list[tuple[str, int]]:
    """(completion, weight) pairs, most useful first, capped to keep the file small."""
    counts: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    segmenter = _segmenter()
    for doc in documents:
        counts[doc.title] += PHRASE_WEIGHT
        for block in doc.blocks:
            if block.kind == "heading":
                counts[block.text] += PHRASE_WEIGHT
            previous = ""
            for word in segmenter.cut(block.text):
                if _CJK_WORD.fullmatch(word) and word not in CHINESE_STOP_WORDS:
                    counts[word] += 1
                    if previous:
                        pairs[previous + word] += 1
                    previous = word
                else:
                    previous = ""
            for word in _LATIN_WORD.findall(block.text):
                if word.lower() not in ENGLISH_STOP_WORDS:
                    counts[word.lower() if not word.isupper() else word] += 1
    for phrase, count in pairs.items():
        if count >= MIN_PAIR_COUNT:
            counts[phrase] += count
    return counts.most_common(MAX_TERMS)


def update_vocabulary(vocabulary: list[tuple[str, int]], added: Iterable[Document],
                      removed: Iterable[Document]) -> list[tuple[str, int]]:
    """`vocabulary` with the counts of `added` documents' words put in and `removed` ones'
    taken out, for an incremental update. Close to, not the same as, a full count: word
    pairs are counted within each side only, and terms past MAX_TERMS were already cut."""
    counts: Counter[str] = Counter(dict(vocabulary))
    counts.update(dict(build_vocabulary(added)))
    counts.subtract(dict(build_vocabulary(removed)))
    return [(term, weight) for term, weight in counts.most_common(MAX_TERMS) if weight > 0]


def save_vocabulary(path: Path, vocabulary: list[tuple[str, int]]) -> None:
    path.write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")


class Suggester:
    def __init__(self, vocabulary: list[tuple[str, int]]) -> None:
        # Sorted by lowercase simplified form for prefix lookups with bisect: 江門 completes
        # like 江门, whichever script the corpus or the reader writes.
        self._entries = sorted(((_lookup_key(term), term, weight) for term, weight in vocabulary), key=lambda e: e[0])
        self._keys = [entry[0] for entry in self._entries]

    @classmethod
    def load(cls, path: Path) -> Suggester:
        return cls(cls.read_vocabulary(path))

    @staticmethod
    def read_vocabulary(path: Path) -> list[tuple[str, int]]:
        """The saved (completion, weight) pairs; none when the file is missing or damaged."""
        try:
            return [(str(t), int(w)) for t, w in json.loads(path.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError):
            return []

    def suggest(self, query: str, limit: int = 8) -> list[str]:
        """Whole-query completions: the last word (English) or the longest completable
        tail (Chinese) is extended with corpus terms, the rest of the query kept."""
        query = query.lstrip()
        if not query.strip():
            return []
        seen: dict[str, None] = {}
        # A reader typing traditional characters gets completions in them (only the query
        # box's text: what the corpus says is never shown converted).
        traditional = script_of(query) == "Hant"
        for head, tail in _split_points(query):
            for term in self._complete(tail, limit):
                seen.setdefault(head + (to_traditional(term) if traditional else term), None)
            if len(seen) >= limit:
                break
        return list(seen)[:limit]

    def _complete(self, prefix: str, limit: int) -> list[str]:
        key = _lookup_key(prefix)
        if not key.strip():
            return []
        lo = bisect.bisect_left(self._keys, key)
        hi = bisect.bisect_left(self._keys, key + "\U0010ffff")
        candidates = [e for e in self._entries[lo:hi] if e[0] != key]
        candidates.sort(key=lambda e: -e[2])
        return [term for _, term, _ in candidates[:limit]]


def _lookup_key(text: str) -> str:
    return to_simplified(text.lower())


def _split_points(query: str) -> list[tuple[str, str]]:
    """(kept head, tail to complete) pairs, most specific first."""
    if query.endswith(" "):
        return []
    last_space = query.rfind(" ")
    head, word = query[: last_space + 1], query[last_space + 1:]
    points = [(head, word)] if head else [("", query)]
    if _CJK_WORD.search(word):
        for k in range(min(len(word) - 1, MAX_SUFFIX), MIN_SUFFIX - 1, -1):
            points.append((head + word[:-k], word[-k:]))
    return points
