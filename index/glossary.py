"""English -> Chinese domain glossary, so an English query also searches Chinese words.

The glossary is part of the corpus (`glossary.tsv`: English phrase, tab, Chinese terms
separated by `|`), because which English words map to which Chinese ones is a fact about
the domain, not about the code. Phrases match whole words, longest first.
"""
from __future__ import annotations

import re
from pathlib import Path

GLOSSARY_FILE = "glossary.tsv"


class Glossary:
    def __init__(self, entries: dict[str, list[str]]) -> None:
        self.entries = entries
        phrases = sorted(entries, key=len, reverse=True)
        # \b does not work next to "&" or "-"; explicit non-word lookarounds do.
        self._pattern = (
            re.compile(r"(?<![\w])(" + "|".join(re.escape(p) for p in phrases) + r")(?![\w])", re.I)
            if phrases else None
        )

    @classmethod
    def load(cls, path: Path) -> Glossary:
        entries: dict[str, list[str]] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip() or line.startswith("#") or "\t" not in line:
                    continue
                english, chinese = line.split("\t", 1)
                terms = [t.strip() for t in chinese.split("|") if t.strip()]
                if english.strip() and terms:
                    entries.setdefault(english.strip().lower(), []).extend(terms)
        return cls(entries)

    def translate_terms(self, text: str) -> list[str]:
        """Chinese terms for the glossary phrases in `text`, in order, without repeats."""
        if self._pattern is None:
            return []
        found: dict[str, None] = {}
        for match in self._pattern.finditer(text):
            for term in self.entries[match.group(1).lower()]:
                found.setdefault(term, None)
        return list(found)
