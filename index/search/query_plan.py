"""What each side of the search looks for, decided once per query.

An English question over Chinese articles cannot match a single Chinese keyword as typed,
so the keyword side also searches the question's terms in the other language (the domain
glossary first, then CC-CEDICT: query_translation.py), appended to the same query, so
BM25 still weighs every term by its rarity. The vector side embeds the question plus the
glossary's terms only: on XQuAD the general lexicon's terms lowered hybrid quality there
(docs/BENCHMARKS.md), while the glossary's lifted the qa_set.

A query in traditional characters is read as simplified from here on (text/script.py): its
terms, its glossary and lexicon look-ups, its language and what the encoders embed are
its simplified twin's, so it finds and answers exactly what the twin does. The plan keeps
which script it was written in, for replying in that script.

A query is cross-lingual when its language is not the corpus's main language; fusion then
leans on the vectors and, when built, on the second encoder (fusion.fusion_weights).
"""
from __future__ import annotations

from index.crosslingual.glossary import Glossary
from index.crosslingual.lexicon import Lexicon
from index.crosslingual.pinyin_names import PinyinNames
from index.crosslingual.query_translation import DEFAULT_LIMITS, TranslationLimits, chinese_terms, english_terms
from index.models import QueryPlan
from index.text.analysis import query_terms
from index.text.language import guess_language
from index.text.script import script_of, to_simplified


def plan_query(
    query: str,
    languages: frozenset[str],
    main_language: str,
    glossary: Glossary | None,
    lexicon: Lexicon | None,
    limits: TranslationLimits = DEFAULT_LIMITS,
    names: PinyinNames | None = None,
) -> QueryPlan:
    """`languages`: the languages the corpus has passages in; `lexicon` None turns the
    general lexicon off (the glossary still applies, as before it existed); `names`: the
    corpus's Chinese names by pinyin, which count as glossary terms (pinyin_names.py)."""
    typed = query.strip()
    if not typed:
        return QueryPlan("", "en", "", "", False)
    query = to_simplified(typed)
    lang = guess_language(query)
    glossed = glossary.translate_terms(query) if glossary is not None and lang == "en" else []
    if names is not None and lang == "en" and "zh" in languages:
        rest = glossary.remove_phrases(query) if glossary is not None else query
        glossed += [name for name in names.translate(rest, lexicon) if name not in glossed]
    vector_text = _joined(query, glossed)
    translated: list[str] = list(glossed)
    if lang == "en" and "zh" in languages:
        translated = list(dict.fromkeys([*glossed, *chinese_terms(query, lexicon, glossary, limits)]))
    elif lang == "zh" and "en" in languages:
        translated = english_terms(query, lexicon, glossary, limits)
    keyword_text = _joined(query, translated)
    return QueryPlan(query, lang, keyword_text, vector_text, lang != main_language, tuple(translated),
                     terms=tuple(query_terms(query)), keyword_terms=tuple(query_terms(keyword_text)),
                     script=script_of(typed))


def _joined(query: str, terms: list[str]) -> str:
    return f"{query} {' '.join(terms)}" if terms else query
