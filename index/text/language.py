"""Which characters are Chinese, and which language a text is in: the one home of both facts.

Han ideographs only (not kana, Hangul or CJK punctuation): these are the characters jieba
segments and the CJK analyzer indexes. The blocks, from the Unicode 15 charts: Extension A,
the Unified block, and the compatibility ideographs (some traditional-script sources use them).
Extensions B and later (astral plane) are too rare in news text to be worth the wider class.
"""
from __future__ import annotations

import re

HAN_RANGES: tuple[tuple[str, str], ...] = (
    ("\u3400", "\u4dbf"),  # CJK Unified Ideographs Extension A
    ("\u4e00", "\u9fff"),  # CJK Unified Ideographs
    ("\uf900", "\ufaff"),  # CJK Compatibility Ideographs
)
HAN_CLASS = "".join(f"{low}-{high}" for low, high in HAN_RANGES)  # for building regexes
HAN = re.compile(f"[{HAN_CLASS}]")
HAN_RUN = re.compile(f"[{HAN_CLASS}]+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
LANGUAGE_SAMPLE_CHARS = 2000  # enough to decide; a whole document would only cost time


def is_han(char: str) -> bool:
    """True for one Chinese (Han) character."""
    return any(low <= char <= high for low, high in HAN_RANGES)


def has_han(text: str) -> bool:
    return HAN.search(text) is not None


def all_han(text: str) -> bool:
    return bool(text) and all(is_han(char) for char in text)


def guess_language(text: str) -> str:
    """"zh" when Chinese characters are a real share of the letters, else "en"."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    han = len(HAN.findall(sample))
    latin = len(_LATIN_LETTER.findall(sample))
    return "zh" if han * 3 >= latin else "en"
