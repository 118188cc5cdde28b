"""English spellings of the corpus's own Chinese names: Xinhui is 新会, Siqian is 司前镇.

An English reader writes a Chinese town, district or company in pinyin (Xinhui, Kedali,
Siqian Town). The hand-kept glossary lists the bundled corpus's names; a corpus dropped in
has names no list knows, and CC-CEDICT lacks most towns and companies (or reads Taishan as
泰山, the mountain). So every build maps the toneless pinyin of its own Chinese words (the
suggestions vocabulary: the corpus's 50,000 commonest words) to the words, and an English
query word is looked up there when it looks like a name: the lexicon cannot translate it,
or it is capitalised inside the query.

On qa_set with the glossary's ten pinyin names taken out (as a corpus without a glossary
would be), English answers fall from 32 right / 3 wrong to 30 / 5; this lookup brings them
back (docs/ANSWERS.md).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from pypinyin import lazy_pinyin

from index.crosslingual.lexicon import Lexicon

# 司前镇 is "Siqian Town" or just "Siqian": the word without its suffix gets a key too.
ADMIN_SUFFIXES = frozenset("镇区市县村乡省")
# Shorter spellings (Hui, Men, Jian) read as too many words, and most are English words too.
MIN_SPELLING = 4
WORDS_PER_SPELLING = 3  # the commonest, when several words share a spelling
_NAME_WORD = re.compile(r"[\u4e00-\u9fff]{2,6}")
_ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019]*")


def spelling(word: str) -> str:
    """A Chinese word's toneless pinyin without spaces, as English text writes a name."""
    return "".join(lazy_pinyin(word))


class PinyinNames:
    def __init__(self, table: dict[str, tuple[str, ...]]) -> None:
        self._table = table

    @classmethod
    def from_words(cls, words: Iterable[str]) -> PinyinNames:
        """`words` commonest first (the suggestions vocabulary's order)."""
        table: dict[str, list[str]] = {}
        for word in words:
            if not _NAME_WORD.fullmatch(word):
                continue
            keys = [spelling(word)]
            if len(word) >= 3 and word[-1] in ADMIN_SUFFIXES:
                keys.append(spelling(word[:-1]))
            for key in keys:
                if len(key) < MIN_SPELLING:
                    continue
                found = table.setdefault(key, [])
                if word not in found and len(found) < WORDS_PER_SPELLING:
                    found.append(word)
        return cls({key: tuple(words) for key, words in table.items()})

    def __len__(self) -> int:
        return len(self._table)

    def chinese(self, word: str) -> list[str]:
        """The corpus's words spelled `word` in pinyin, the bare name only when the corpus
        also writes it with a suffix (新会, not 新会区 too: jieba's search mode cuts 新会 out
        of 新会区, so the keyword side finds both, and one name stays one term)."""
        key = re.sub(r"['\u2019\-]", "", word).lower()
        words = self._table.get(key, ()) if len(key) >= MIN_SPELLING else ()
        return [w for w in words if not any(other != w and other in w for other in words)]

    def translate(self, text: str, lexicon: Lexicon | None) -> list[str]:
        """Chinese names for the English words of `text` that look like names: ones the
        lexicon has no entry for, and capitalised ones (Taishan, which CC-CEDICT reads as
        泰山, is also looked up here)."""
        found: dict[str, None] = {}
        for match in _ENGLISH_WORD.finditer(text):
            word = re.sub(r"['\u2019]s$", "", match.group())
            if word[0].isupper() or lexicon is None or not lexicon.has(word.lower()):
                for name in self.chinese(word):
                    found.setdefault(name, None)
        return list(found)
