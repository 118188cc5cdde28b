"""Simplified and traditional Chinese: one script for matching, the writer's script for reading.

Every text the pipeline matches (documents when they are indexed, queries when they are
planned, sentences when the answerer compares them) is read through `to_simplified`, so
門 and 门 are one character to jieba, the lexicon, the glossary and the encoders. What is
shown (passages, snippets, quotes) is never converted: the conversion keeps every character
at its offset, so a term found in the simplified reading is highlighted, and a sentence is
quoted, from the original text at the same offsets.

The converter is OpenCC (the `opencc` package, its own dictionaries), config t2s: on the
bundled corpus it is the identity, and it turns OpenCC s2hk, s2t and s2tw text back into
the original (s2tw also writes 着 as 著, which t2s keeps, since 著 is simplified too, as in
显著). tw2s would undo that but turns 显著 into 显着 in simplified text, so it is not used.
Taiwan vocabulary (s2twp: 專案 for 项目) is a different word, not a different script, and
is not normalised here.
"""
from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Literal

import opencc

from index.text.language import HAN, HAN_RUN

Script = Literal["Hans", "Hant", ""]
TRADITIONAL_TAG = "zh-Hant"  # BCP 47 tag of Chinese in traditional characters

# OpenCC maps some rare traditional characters to simplified ones outside the Basic
# Multilingual Plane (its "tofu risk" dictionary, and a few hundred entries of the main
# one). Those would fall out of the Han runs jieba segments, so such a character stays as
# written (language.py's Han table stops at the BMP for the same reason).
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Queries and answer-candidate sentences come back again and again: whole texts up to a
# sentence or two are cached (one look-up instead of a split and a conversion per Han run),
# and so are Han runs; 20,000 of each is a few MB.
_CONVERT_CACHE = 20_000
_CACHED_TEXT_CHARS = 400



@cache
def _converter(config: str) -> opencc.OpenCC:
    # Built once per config: loading the dictionaries costs milliseconds, converting microseconds.
    return opencc.OpenCC(config, include_tofu_risk_dictionaries=False)


def to_simplified(text: str) -> str:
    """`text` in simplified characters, with exactly one character for each of `text`'s.

    OpenCC's t2s dictionaries are one character for one (checked in tests/test_script.py);
    if a conversion ever changes the length, or lands outside the BMP, the text is
    converted one character at a time instead, keeping those characters as written.
    """
    if HAN.search(text) is None:
        return text
    if len(text) <= _CACHED_TEXT_CHARS:
        return _simplified_text(text)
    return _convert_text(text)


@lru_cache(maxsize=_CONVERT_CACHE)
def _simplified_text(text: str) -> str:
    return _convert_text(text)


def _convert_text(text: str) -> str:
    return "".join(_simplified_run(run) if i % 2 else run for i, run in enumerate(_han_split(text)))


def _simplified_run(run: str) -> str:
    # Only short runs are cached: a 20 MB upload of unbroken Han text must not stay in memory.
    return _cached_run(run) if len(run) <= _CACHED_TEXT_CHARS else _convert_run(run)


def _han_split(text: str) -> list[str]:
    """[non-Han, Han, non-Han, Han, …]: only the Han runs go to OpenCC (and its cache)."""
    pieces: list[str] = []
    position = 0
    for match in HAN_RUN.finditer(text):
        pieces += [text[position:match.start()], match.group()]
        position = match.end()
    pieces.append(text[position:])
    return pieces


@lru_cache(maxsize=_CONVERT_CACHE)
def _cached_run(run: str) -> str:
    return _convert_run(run)


def _convert_run(run: str) -> str:
    converted: str = _converter("t2s").convert(run)
    if len(converted) == len(run) and _ASTRAL.search(converted) is None:
        return converted
    return "".join(_simplified_char(char) for char in run)


def _simplified_char(char: str) -> str:
    converted: str = _converter("t2s").convert(char)
    return converted if len(converted) == 1 and _ASTRAL.search(converted) is None else char


def script_of(text: str) -> Script:
    """"Hant" when more of `text`'s characters are traditional-only than simplified-only,
    "Hans" for other Chinese text, "" without Chinese characters.

    A character is traditional-only when t2s changes it (門), simplified-only when s2t
    does (门); most (江, 三) are both and say nothing.
    """
    han = "".join(HAN_RUN.findall(text))
    if not han:
        return ""
    traditional = _changed(han, to_simplified(han))
    simplified = _changed(han, _converter("s2t").convert(han))
    return "Hant" if traditional > simplified else "Hans"


def _changed(before: str, after: str) -> int:
    if len(before) != len(after):  # s2t may join or split a phrase; count what differs at all
        return abs(len(before) - len(after)) + 1
    return sum(1 for a, b in zip(before, after) if a != b)


def to_traditional(text: str, config: str = "s2hk") -> str:
    """`text` in traditional characters, for interface strings and test questions (never
    for corpus text): OpenCC s2hk by default, the Hong Kong standard forms, since most
    traditional-script readers of a Jiangmen corpus are in Hong Kong, Macau and the
    Cantonese diaspora; s2tw and s2twp are OpenCC's Taiwan forms."""
    return str(_converter(config).convert(text))
