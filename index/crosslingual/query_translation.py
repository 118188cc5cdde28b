"""Query words in the other language: English query -> Chinese terms, Chinese -> English.

The hand-kept domain glossary (corpus/glossary.tsv) is consulted first and wins: words it
covers are not looked up again in the general CC-CEDICT lexicon. The rest of the query
is matched against the lexicon phrase by phrase, longest first, with light lemmatizing
(plural and verb forms), skipping stop words and capping how many renderings a word
adds: a word with dozens of Chinese renderings ("open", "hit") adds one or none.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.crosslingual.glossary import Glossary, dehyphenate
from index.crosslingual.lexicon import Lexicon
from index.text.analysis import CHINESE_STOP_WORDS, ENGLISH_STOP_WORDS, QUESTION_FILLERS, _segmenter
from index.text.language import HAN_RUN

# Words that carry no topic, or whose CC-CEDICT renderings are wrong in context
# ("won" -> 韩元, "billion" -> 秭): the glossary covers the figures that matter.
TRANSLATION_STOP_WORDS = ENGLISH_STOP_WORDS | frozenset(
    ["also", "did", "does", "do", "done", "doing", "get", "got", "gets", "one", "ones", "name", "named", "names", "called", "call", "used", "use", "uses", "type", "kind", "kinds", "part", "some", "any", "other", "another", "more", "most", "such", "each", "every", "both", "all", "only", "same", "very", "just", "so", "here", "now", "over", "after", "before", "during", "since", "until", "between", "against", "under", "within", "without", "through", "upon", "among", "up", "down", "out", "off", "he", "she", "his", "her", "him", "hers", "who", "whose", "while", "because", "although", "though", "whether", "either", "neither", "nor", "per", "via", "like", "say", "said", "says", "known", "make", "made", "become", "became", "billion", "million", "thousand", "hundred", "percent", "according", "describe", "described", "many", "much", "first", "word", "term", "mean", "means", "meaning", "give", "given"]
)
_ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_IRREGULAR = {
    "won": "win", "was": "be", "were": "be", "built": "build", "began": "begin", "begun": "begin",
    "made": "make", "held": "hold", "led": "lead", "found": "find", "fought": "fight", "wrote": "write",
    "written": "write", "took": "take", "taken": "take", "gave": "give", "given": "give", "brought": "bring",
    "bought": "buy", "sold": "sell", "told": "tell", "thought": "think", "taught": "teach", "lost": "lose",
    "paid": "pay", "sent": "send", "spent": "spend", "grew": "grow", "grown": "grow", "knew": "know",
    "known": "know", "left": "leave", "ran": "run", "rose": "rise", "risen": "rise", "fell": "fall",
    "fallen": "fall", "chose": "choose", "chosen": "choose", "drew": "draw", "drawn": "draw",
    "children": "child", "men": "man", "women": "woman", "people": "people", "mice": "mouse",
}


@dataclass(frozen=True)
class TranslationLimits:
    """How much translation a query gets. On XQuAD (keyword side alone, EN->ZH Recall@5 /
    MRR@10) 1, 2, 3 renderings per word gave 0.792/0.656, 0.830/0.691, 0.839/0.698, and
    1, 2, 3 glosses per Chinese word (ZH->EN) 0.832/0.726, 0.853/0.743, 0.850/0.751; the
    caps for vague words moved nothing by more than 0.01 there (BM25's IDF already
    discounts common renderings) but keep "open" or "hit" from flooding a short query."""

    per_word: int = 3  # renderings per English word or phrase
    vague_from: int = 12  # a key with this many renderings in CC-CEDICT gets only one
    skip_from: int = 30  # ... and with this many, none
    english_per_word: int = 2  # English glosses per Chinese word


DEFAULT_LIMITS = TranslationLimits()


@dataclass(frozen=True)
class _Word:
    lower: str
    capitalised: bool


def chinese_terms(text: str, lexicon: Lexicon | None, glossary: Glossary | None,
                  limits: TranslationLimits = DEFAULT_LIMITS) -> list[str]:
    """Chinese search terms for an English text, glossary terms first, no repeats."""
    found: dict[str, None] = {}
    text = rest = dehyphenate(text)  # "investment-promotion teams": the phrase is the same
    if glossary is not None:
        for term in glossary.translate_terms(text):
            found.setdefault(term, None)
        rest = glossary.remove_phrases(text)
    if lexicon is not None:
        for term in _lexicon_terms(_english_words(rest), lexicon, limits):
            found.setdefault(term, None)
    return list(found)


def english_terms(text: str, lexicon: Lexicon | None, glossary: Glossary | None,
                  limits: TranslationLimits = DEFAULT_LIMITS) -> list[str]:
    """English search terms for the Chinese words of a text, glossary phrases first."""
    reverse = glossary.reverse() if glossary is not None else {}
    found: dict[str, None] = {}
    for run in HAN_RUN.findall(text):
        for word in _segmenter().lcut(run):
            if len(word) < 2 or word in CHINESE_STOP_WORDS or word in QUESTION_FILLERS:
                continue  # one character (江, 门) is too ambiguous to translate alone
            if word in reverse:
                found.setdefault(reverse[word], None)
                continue
            glosses = (lexicon.english(word) if lexicon else [])[:limits.english_per_word]
            if not glosses and len(word) > 2 and lexicon is not None:
                # A word CC-CEDICT lacks (新型储能) may still be made of words it has.
                glosses = [g for part in _segmenter().lcut(word, HMM=False) if len(part) > 1
                           for g in lexicon.english(part)[:1]]
            for gloss in glosses:
                found.setdefault(gloss, None)
    return list(found)


def _english_words(text: str) -> list[_Word]:
    words = []
    for match in _ENGLISH_WORD.finditer(text):
        word = re.sub(r"['\u2019]s$", "", match.group()).strip("'-")
        if len(word) > 1:  # "s" left of "Jiangmen's" once the glossary took "Jiangmen"
            words.append(_Word(word.lower(), word[0].isupper()))
    return words


def _lexicon_terms(words: list[_Word], lexicon: Lexicon, limits: TranslationLimits) -> list[str]:
    terms: list[str] = []
    i = 0
    while i < len(words):
        span, key = _longest_phrase(words, i, lexicon)
        if key is None:
            i += 1
            continue
        capitalised = any(w.capitalised for w in words[i:i + span]) and i > 0
        ambiguity = lexicon.ambiguity_of(key)
        if ambiguity < limits.skip_from:
            take = 1 if ambiguity >= limits.vague_from else limits.per_word
            terms.extend(lexicon.chinese(key, capitalised)[:take])
        i += span
    return terms


def _longest_phrase(words: list[_Word], start: int, lexicon: Lexicon) -> tuple[int, str | None]:
    """(words consumed, lexicon key) of the longest phrase starting at `start`."""
    for span in range(min(lexicon.max_phrase_words, len(words) - start), 0, -1):
        head = [w.lower for w in words[start:start + span - 1]]
        last = words[start + span - 1].lower
        if span == 1 and last in TRANSLATION_STOP_WORDS:
            return 1, None
        if span > 1 and (head[0] in TRANSLATION_STOP_WORDS or last in TRANSLATION_STOP_WORDS):
            continue
        for form in lemmas(last):
            key = " ".join([*head, form])
            if lexicon.has(key):
                return span, key
    return 1, None


def lemmas(word: str) -> list[str]:
    """The word, then the base forms it may be an inflection of (most likely first)."""
    forms = [word]
    if word in _IRREGULAR:
        forms.insert(0, _IRREGULAR[word])
    if len(word) > 4 and word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if len(word) > 3 and word.endswith("es"):
        forms.append(word[:-2])
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        forms.append(word[:-1])
    if len(word) > 4 and word.endswith("ied"):
        forms.append(word[:-3] + "y")
    if len(word) > 3 and word.endswith("ed"):
        forms += [word[:-2], word[:-1]] + ([word[:-3]] if word[-3] == word[-4] else [])
    if len(word) > 5 and word.endswith("ing"):
        forms += [word[:-3], word[:-3] + "e"] + ([word[:-4]] if word[-4] == word[-5] else [])
    return list(dict.fromkeys(forms))
