"""English -> Chinese domain glossary, so an English query also searches Chinese words.

The glossary is part of the corpus (`glossary.tsv`: English phrase, tab, Chinese terms
separated by `|`), because which English words map to which Chinese ones is a fact about
the domain, not about the code. Phrases match whole words, longest first.
"""
from __future__ import annotations

import re
from pathlib import Path

GLOSSARY_FILE = "glossary.tsv"
_HYPHEN = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")


def dehyphenate(text: str) -> str:
    """"year-on-year", "fixed-asset": a hyphen between words joins them no differently
    than a space does, so phrases are matched (and listed in glossary.tsv) with spaces."""
    return _HYPHEN.sub(" ", text)


class Glossary:
    def __init__(self, entries: dict[str, list[str]], display: dict[str, str] | None = None) -> None:
        self.entries = entries
        # Lowercased key -> the phrase as the file writes it ("jiangmen" -> "Jiangmen"),
        # for English shown to readers; matching is case-insensitive.
        self.display_names = display or {}
        phrases = sorted(entries, key=len, reverse=True)
        # \b does not work next to "&" or "-"; explicit non-word lookarounds do.
        self._pattern = (
            re.compile(r"(?<![\w])(" + "|".join(re.escape(p) for p in phrases) + r")(?![\w])", re.I)
            if phrases else None
        )
        self._reverse: dict[str, str] | None = None

    def display(self, key: str) -> str:
        return self.display_names.get(key, key)

    def reverse(self) -> dict[str, str]:
        """Chinese term -> the (lowercased) first English phrase the glossary gives for it,
        so the file's order says which English rendering of a term is preferred."""
        if self._reverse is None:
            reverse: dict[str, str] = {}
            for english, terms in self.entries.items():
                for term in terms:
                    reverse.setdefault(term, english)
            self._reverse = reverse
        return self._reverse

    @classmethod
    def load(cls, path: Path) -> Glossary:
        entries: dict[str, list[str]] = {}
        display: dict[str, str] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip() or line.startswith("#") or "\t" not in line:
                    continue
                english, chinese = line.split("\t", 1)
                terms = [t.strip() for t in chinese.split("|") if t.strip()]
                if english.strip() and terms:
                    entries.setdefault(english.strip().lower(), []).extend(terms)
                    display.setdefault(english.strip().lower(), english.strip())
        return cls(entries, display)

    def translate_terms(self, text: str) -> list[str]:
        """Chinese terms for the glossary phrases in `text`, in order, without repeats."""
        if self._pattern is None:
            return []
        found: dict[str, None] = {}
        for match in self._pattern.finditer(dehyphenate(text)):
            for term in self.entries[match.group(1).lower()]:
                found.setdefault(term, None)
        return list(found)

    def remove_phrases(self, text: str) -> str:
        """`text` with the glossary's phrases blanked out: what is left for the general
        lexicon, so the glossary's rendering of a phrase is the only one."""
        return self._pattern.sub(" | ", dehyphenate(text)) if self._pattern is not None else text
