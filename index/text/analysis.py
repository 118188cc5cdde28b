"""Bilingual text analysis: jieba search-mode for Chinese, stemmed words for English.

One function, `analyze`, turns text into (term, start, end) triples. The Whoosh index,
the query builder, the snippet highlighter and the answerer all use it, so a term
matches in exactly the same way everywhere.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Collection, Iterator
from functools import lru_cache
from pathlib import Path

import jieba
from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem

from index.text.language import HAN_RUN
from index.text.script import to_simplified

# jieba prints "Building prefix dict..." to stderr on first use; it is noise for users.
jieba.setLogLevel(logging.WARNING)
logging.getLogger("jieba").setLevel(logging.WARNING)

# Runs of Chinese characters go to jieba; everything else is split by this pattern.
_LATIN_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)

ENGLISH_STOP_WORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "been", "being", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "may", "me", "much", "many", "my", "no", "not", "of", "on", "or", "our", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "us", "was", "we", "were", "what", "when", "where", "which", "who", "whom", "why", "will", "with", "would", "yet", "you", "your", "about", "tell", "please"]
)
# Function words and question words: they match nearly every passage and say nothing
# about which one answers. 多少/几 are handled by the answerer, not the keyword side.
CHINESE_STOP_WORDS = frozenset(
    ["的", "了", "和", "与", "及", "是", "在", "为", "有", "等", "也", "将", "对", "把", "被", "从", "以", "其", "这", "那", "之", "而", "并", "或", "个", "着", "就", "都", "又", "还", "吗", "呢", "吧", "啊", "什么", "哪些", "哪个", "哪里", "哪", "怎么", "怎样", "如何", "为什么", "多少", "是否", "几", "谁", "何时", "什么时候", "请问", "一下", "一些", "我们", "我", "你"]
)

# Question forms (几个, 几年, 哪一年, 哪家, 什么样, 多少钱 …) are not content: a corpus never
# says them, so they must not count as words the corpus lacks.
_QUESTION_WORD = re.compile(r"^(几|哪|什么|多少|怎|为何|何时|是不是|有没有)")
QUESTION_FILLERS = frozenset(["时候", "现在", "请问", "告诉", "一下", "说", "指", "能", "吗", "呢"])

# Porter stemming was ~60 % of analysing English text (snippets analyse every listed
# passage: 100 XQuAD paragraphs, 7.5 ms each, 1.3 of 2.1 s in stem() under cProfile), and
# a corpus repeats its words, so each word is stemmed once (those snippets: 749 -> 334 ms,
# same loaded machine). A pure function: safe to cache.
_stem = lru_cache(maxsize=200_000)(stem)

_tokenizer_lock = threading.Lock()
_jieba: jieba.Tokenizer | None = None
_loaded_dictionaries: set[str] = set()


def _segmenter() -> jieba.Tokenizer:
    """A private jieba instance, so our user dictionary does not leak into other code."""
    global _jieba
    with _tokenizer_lock:
        if _jieba is None:
            _jieba = jieba.Tokenizer()
            _jieba.initialize()
        return _jieba


def load_user_dictionary(path: Path) -> None:
    """Add a jieba user dictionary (`word [freq] [tag]` per line). Loading twice is a no-op."""
    key = str(path.resolve())
    if key in _loaded_dictionaries or not path.is_file():
        return
    segmenter = _segmenter()
    with _tokenizer_lock:
        segmenter.load_userdict(str(path))
        _loaded_dictionaries.add(key)
    _cached_cut.cache_clear()


@lru_cache(maxsize=20_000)
def _cached_cut(run: str) -> tuple[tuple[str, int, int], ...]:
    return tuple(_segmenter().tokenize(run, mode="search"))


def analyze(
    text: str, keep_stop_words: bool = False, only_runs_with: Collection[str] | None = None
) -> Iterator[tuple[str, int, int]]:
    """(term, start, end) for every indexable term, in text order.

    Chinese: jieba's search mode also emits the short words inside long ones, so 农业
    finds 中国农业发展银行. Traditional characters are read as simplified (script.py:
    江門 gives the term 江门), at the same offsets, so spans still point into `text`.
    English: lowercased, Porter-stemmed. Numbers stay whole (2810.29), so a figure can be
    searched for.

    `only_runs_with` skips every run of Chinese characters that contains none of these
    strings: a word jieba cuts from a run is a substring of it, so a caller that looks
    for given terms (the highlighter) finds the same ones without cutting the rest.
    """
    simplified = to_simplified(text)
    position = 0
    for match in HAN_RUN.finditer(text):
        yield from _latin_terms(text, position, match.start(), keep_stop_words)
        base = match.start()
        run = simplified[match.start():match.end()]
        position = match.end()
        if only_runs_with is not None and not any(term in run for term in only_runs_with):
            continue
        for word, start, end in _cached_cut(run):
            if keep_stop_words or not _is_chinese_stop_word(word):
                yield word, base + start, base + end
    yield from _latin_terms(text, position, len(text), keep_stop_words)


def _is_chinese_stop_word(word: str) -> bool:
    return word in CHINESE_STOP_WORDS or word in QUESTION_FILLERS or bool(_QUESTION_WORD.match(word))


def _latin_terms(text: str, start: int, end: int, keep_stop_words: bool) -> Iterator[tuple[str, int, int]]:
    for match in _LATIN_TOKEN.finditer(text, start, end):
        word = match.group().lower()
        if not keep_stop_words and word in ENGLISH_STOP_WORDS:
            continue
        yield (word if word[0].isdigit() else _stem(word)), match.start(), match.end()


def query_terms(text: str) -> list[str]:
    """Distinct terms of a query, in order of first appearance."""
    return list(dict.fromkeys(term for term, _, _ in analyze(text)))


class BilingualTokenizer(Tokenizer):
    """Whoosh tokenizer over `analyze`; terms come out final (lowercased, stemmed)."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for i, (term, start, end) in enumerate(analyze(value)):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = start_pos + i
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def bilingual_analyzer() -> BilingualTokenizer:
    return BilingualTokenizer()
