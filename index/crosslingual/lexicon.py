"""The general English <-> Chinese term lexicon, derived once from CC-CEDICT.

`build_lexicon` reverses CC-CEDICT (see cedict.py for how glosses are cleaned) into a
compact table: English phrase -> Chinese words, best first, and Chinese word -> English
glosses. It is written once per data directory, next to the converted model
(`DATA_DIR/models/lexicon-cedict-<version>.json`, a few MB), and loads in a fraction of
a second, so gunicorn can preload it before forking. Only the pip package's data is
read: nothing from CC-CEDICT is committed here.

Which Chinese word renders an English one best is decided at build time:
    score = log10(jieba frequency of the word + 1)         common words are the usual renderings
            - SENSE_PENALTY * index of the sense            a word's first sense is its main one
            - VAGUE_PENALTY * log2(glosses of the entry)    打 has 30 glosses: it means nothing in particular
            - SINGLE_CHAR_PENALTY for one-character words   they match too much on their own
"""
from __future__ import annotations

import fcntl
import json
import math
import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import jieba

from index.crosslingual.cedict import CedictEntry, dictionary_version, entry_glosses, read_entries
from index.storage.files import write_atomic
from index.text.language import is_han

# Bump when the derivation changes: older files are then rebuilt on the next start.
LEXICON_FORMAT = 4
# Kept per English key; the query side takes fewer (see lexicon_query.py).
STORED_PER_KEY = 4
STORED_PER_WORD = 3
SENSE_PENALTY = 0.4
VAGUE_PENALTY = 0.35
SINGLE_CHAR_PENALTY = 1.5
SURE_MAX_SENSES = 3
# Renderings scoring 2 below the best (about 100x rarer in jieba's counts) are dropped: on
# XQuAD that cost nothing measurable (keyword EN->ZH 0.839/0.698 -> 0.839/0.696) and it
# removes tails such as 攻读 ("to major in") for "major".
RENDERING_WINDOW = 2.0


class Lexicon:
    """Lowercased English phrase -> Chinese words (best first), split by whether the
    Chinese entry is a proper noun, so "china" finds 瓷器 and "China" finds 中国; and
    Chinese word -> English glosses in dictionary order.

    Each entry's words are kept as one "|"-joined string: a quarter of a million small
    lists would cost several times the memory, in every worker that did not inherit them.
    """

    max_phrase_words = 4

    def __init__(self, en_common: dict[str, str], en_proper: dict[str, str], zh_en: dict[str, str],
                 ambiguity: dict[str, int], sure: Iterable[str] = (), version: str = "") -> None:
        self.en_common = en_common
        self.en_proper = en_proper
        self.zh_en = zh_en
        self.ambiguity = ambiguity  # English key -> how many Chinese words render it in all
        # Chinese words whose first gloss can be shown to a reader as their meaning: one
        # CC-CEDICT entry (重点 has two readings: "to recount" and "focus"), at most
        # SURE_MAX_SENSES senses, and a noun first (a word glossed "to ..." is a verb).
        wanted = set(sure)
        self.sure = frozenset(word for word in zh_en if word in wanted)  # zh_en's own strings
        self.version = version

    def chinese(self, key: str, capitalised: bool) -> list[str]:
        """Chinese words for a lowercased English phrase; a capitalised query word
        prefers names, a lowercase one common words (names only if nothing else)."""
        common, proper = _split(self.en_common.get(key)), _split(self.en_proper.get(key))
        return proper + common if capitalised else (common or proper)

    def has(self, key: str) -> bool:
        return key in self.en_common or key in self.en_proper

    def ambiguity_of(self, key: str) -> int:
        return self.ambiguity.get(key, 1)

    def english(self, word: str) -> list[str]:
        """English glosses of a Chinese word, main sense first ([] if CC-CEDICT lacks it)."""
        return _split(self.zh_en.get(word))

    def sure_gloss(self, word: str) -> str | None:
        """The gloss to show a reader for `word`, or None when it is not certain enough."""
        return self.english(word)[0] if word in self.sure else None

    def save(self, path: Path) -> None:
        data = {"format": LEXICON_FORMAT, "version": self.version, "en_common": self.en_common,
                "en_proper": self.en_proper, "zh_en": self.zh_en, "ambiguity": self.ambiguity,
                "sure": sorted(self.sure)}
        write_atomic(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != LEXICON_FORMAT:
            raise ValueError(f"{path}: lexicon format {data.get('format')}, expected {LEXICON_FORMAT}")
        return cls(data["en_common"], data["en_proper"], data["zh_en"], data["ambiguity"], data["sure"],
                   data["version"])


def _split(joined: str | None) -> list[str]:
    return joined.split("|") if joined else []


def lexicon_path(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / f"lexicon-cedict-{dictionary_version()}-f{LEXICON_FORMAT}.json"


_loaded: dict[Path, Lexicon] = {}
_load_lock = threading.Lock()


def load_lexicon(data_dir: Path) -> Lexicon:
    """The lexicon of this data directory, derived from the installed CC-CEDICT first if
    missing (one process at a time; about 3 s). Loaded once per process (about 0.5 s):
    engines of the same data directory share it, and forked workers inherit it."""
    path = lexicon_path(data_dir).resolve()
    with _load_lock:
        if path not in _loaded:
            _loaded[path] = _load_or_build(path)
        return _loaded[path]


def _load_or_build(path: Path) -> Lexicon:
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.is_file():
                build_lexicon().save(path)
                for old in path.parent.glob("lexicon-cedict-*"):  # other versions or formats
                    if old.name not in (path.name, path.with_suffix(".lock").name):
                        old.unlink(missing_ok=True)
    return Lexicon.load(path)


def jieba_frequencies() -> dict[str, int]:
    """Word frequencies of jieba's bundled dictionary: how common a Chinese word is."""
    freq: dict[str, int] = {}
    with jieba.get_dict_file() as handle:
        for raw in handle:
            parts = raw.decode("utf-8").split()
            if len(parts) >= 2 and parts[1].isdigit():
                freq[parts[0]] = int(parts[1])
    return freq


def build_lexicon() -> Lexicon:
    freq = jieba_frequencies()
    common: dict[str, dict[str, float]] = defaultdict(dict)
    proper: dict[str, dict[str, float]] = defaultdict(dict)
    zh_en: dict[str, list[str]] = {}
    entries_of: dict[str, int] = defaultdict(int)
    sure: set[str] = set()
    for entry in read_entries():
        glosses = entry_glosses(entry)
        if not glosses or not _is_chinese_word(entry.simplified):
            continue
        entries_of[entry.simplified] += 1
        if _is_sure(entry):
            sure.add(entry.simplified)
        known = zh_en.setdefault(entry.simplified, [])
        for gloss in glosses:
            if len(known) < STORED_PER_WORD and gloss.text not in known:
                known.append(gloss.text)
            if entry.is_proper_noun and not gloss.text[0].isupper():
                continue  # "river in Hunan" cut to "river": not a name, and not 河's meaning
            table = proper if entry.is_proper_noun else common
            score = _score(entry, gloss.sense, gloss.alternatives, freq)
            key = gloss.text.lower()
            table[key][entry.simplified] = max(score, table[key].get(entry.simplified, -math.inf))
    ambiguity = {key: len(common.get(key, {})) + len(proper.get(key, {})) for key in {*common, *proper}}
    sure = {word for word in sure if entries_of[word] == 1}
    return Lexicon(_best(common), _best(proper), {word: "|".join(glosses) for word, glosses in zh_en.items()},
                   ambiguity, sure, dictionary_version())


def _is_sure(entry: CedictEntry) -> bool:
    senses = [s for s in entry.senses if s.strip() and not s.startswith("CL:")]
    return bool(senses) and len(senses) <= SURE_MAX_SENSES and not senses[0].startswith(("to ", "("))


def _score(entry: CedictEntry, sense: int, alternatives: int, freq: dict[str, int]) -> float:
    return (
        math.log10(freq.get(entry.simplified, 0) + 1)
        - SENSE_PENALTY * sense
        - VAGUE_PENALTY * math.log2(max(1, alternatives))
        - (SINGLE_CHAR_PENALTY if len(entry.simplified) == 1 else 0.0)
    )


def _best(table: dict[str, dict[str, float]], window: float | None = None) -> dict[str, str]:
    """The best renderings of each key; with `window`, only those scoring within it of the
    best one (a rendering 30x rarer than the usual one is usually a wrong sense)."""
    window = RENDERING_WINDOW if window is None else window
    out = {}
    for key, scores in table.items():
        ranked = sorted(scores.items(), key=lambda item: -item[1])[:STORED_PER_KEY]
        out[key] = "|".join(word for word, score in ranked if score >= ranked[0][1] - window)
    return out


def _is_chinese_word(text: str) -> bool:
    """Entries such as "3C" or "AT&T" hold no Chinese to search for."""
    return all(is_han(char) or char == "·" for char in text)
