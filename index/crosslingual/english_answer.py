"""An English line for a cited Chinese sentence, built only from what is certain.

No translation model runs here (none that works offline exists for us; MODELS.md). The
line is assembled clause by clause from three kinds of exact rendering:

- figures, changes, dates and periods (english_figures.py): 2810.29亿元 -> CNY 281.03 billion;
- key terms: the domain glossary's own English first, then CC-CEDICT's first gloss for
  nouns and names, each followed by its Chinese so the reader can match it to the quote;
- nothing else. A clause with no figure and no date stays Chinese, and is listed in
  `untranslated`; so is any number the patterns did not cover. The cited Chinese
  sentence is always shown after the line, so nothing is lost, only not rendered.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import jieba.posseg

from index.crosslingual.english_figures import find_figures
from index.crosslingual.glossary import Glossary
from index.crosslingual.lexicon import Lexicon
from index.models import EnglishLine, RenderedSpan
from index.text.analysis import _segmenter
from index.text.language import HAN

# Full-width punctuation ends a clause; "、" too, since it separates two facts
# ("产能达11万吨、…产能8万吨") as often as two items of a list.
_CLAUSE_END = re.compile(r"[，。；：！？、,;:!?]")
_DIGIT = re.compile(r"\d")
# jieba part-of-speech tags worth glossing: nouns, places, organisations, other proper
# nouns, verbal nouns (投资 investment), fixed expressions (规模以上) and abbreviations.
_TERM_TAGS = ("n", "ns", "nt", "nz", "vn", "l", "j")
# Nouns too generic to help an English reader ("all", "whole").
_SKIP_TERMS = frozenset(["全部", "全体", "方面", "情况", "问题", "工作", "方式", "时候", "过程", "其中", "部分", "一批", "一组", "数据"])

# Words that change what a figure claims: a forecast or a target is not a result. The
# label goes before the clause's figures ("output value: target over CNY 5 billion").
_MODALITY = (("预计", "expected"), ("预期", "expected"), ("有望", "expected"), ("力争", "target"),
             ("争取", "target"), ("目标", "target"), ("计划", "planned"), ("拟", "planned"),
             ("远期", "long-term"), ("将", "expected"))
# A negated clause ("未完成", "没有增长") is never rendered: it stays Chinese.
_NEGATION = re.compile(r"不|未|没有|没|并非|尚未|无法")
# Rankings ("稳居全市第一", "排全省前列") are claims about the figures, not figures: the
# clause stays Chinese rather than show its numbers without what is said of them.
_RANKING = re.compile(r"第一|前列|领先|最高|最多|最大|最低|排名|位居|居全|排全|稳居")
# Latin words in Chinese text that are names or acronyms (GDP, R&D, ABB, One-Stop).
_LATIN_TERM = re.compile(r"[A-Za-z]*[A-Z][A-Za-z&\-]*[A-Za-z]|[A-Z]&[A-Z]")
# These scope over the rest of the sentence: "力争A增至8家，B增加50家以上" targets both.
_CARRIED_MODALITY = ("expected", "target", "long-term")
# Left around a figure, these add nothing an English figure does not already say.
_FUNCTION_WORDS = re.compile(r"(?:为|达|达到|是|的|了|和|及|与|等|其中|已|共|实现|完成|同比|增长|“|”|[（）()])*")

_pos_lock = threading.Lock()
_pos_tokenizer: jieba.posseg.POSTokenizer | None = None


@dataclass
class _Clause:
    start: int
    end: int
    text: str
    periods: list[RenderedSpan] = field(default_factory=list)
    figures: list[RenderedSpan] = field(default_factory=list)
    terms: list[RenderedSpan] = field(default_factory=list)


def render_english(quote: str, lexicon: Lexicon | None, glossary: Glossary | None = None, n: int = 0) -> EnglishLine:
    spans = find_figures(quote)
    clauses = _clauses(quote, spans)
    parts: list[tuple[str, bool]] = []  # (English of a clause, whether it continues the previous one)
    rendered: list[RenderedSpan] = []
    untranslated: list[str] = []
    carried: list[RenderedSpan] = []  # a clause that is only a date ("2023年，") dates the next one
    modality = ""
    glossary_terms = set(glossary.reverse()) if glossary is not None else set()
    for clause in clauses:
        if clause.figures or clause.periods or carried:
            clause.terms = _terms(quote, clause, lexicon, glossary)
        if clause.periods and not clause.figures and not clause.terms and _only_spans(clause):
            carried = clause.periods
            continue
        dated_terms = clause.terms and (clause.periods or carried)
        if _negated(clause.text) or _RANKING.search(clause.text) or not (clause.figures or dated_terms):
            if HAN.search(clause.text) or _DIGIT.search(clause.text):
                untranslated.append(clause.text)
            carried = []
            continue
        periods, carried = carried + clause.periods, []
        if not clause.figures:  # a dated clause without figures: only the glossary's terms are sure enough
            clause.terms = [t for t in clause.terms if t.source in glossary_terms or t.english == t.source]
            if not clause.terms:
                untranslated.append(clause.text)
                continue
        label = _modality(clause) or (modality if modality in _CARRIED_MODALITY else "")
        modality = label or modality
        parts.append(_clause_english(periods, clause, label))
        rendered += periods + clause.terms + clause.figures
        untranslated += _leftover_numbers(quote, clause)
    if parts and all(continues for _, continues in parts):
        # Bare figures with nothing saying what or when they are ("20 (先后出台…)") tell
        # an English reader nothing certain: the quote is better left alone.
        return EnglishLine(n, "", [], [c.text for c in clauses])
    return EnglishLine(n, _joined(parts), sorted(rendered, key=lambda s: s.start), untranslated)


def _joined(parts: list[tuple[str, bool]]) -> str:
    """Clauses joined by "; ", a continuing one ("up 5.3% year on year") by ", "."""
    text = ""
    for english, continues in parts:
        text += (", " if continues else "; ") + english if text else english
    return text[:1].upper() + text[1:] + "." if text else ""


def _clauses(quote: str, spans: list[RenderedSpan]) -> list[_Clause]:
    clauses, start = [], 0
    for end in [m.start() for m in _CLAUSE_END.finditer(quote)] + [len(quote)]:
        if quote[start:end].strip():
            inside = [s for s in spans if start <= s.start and s.end <= end]
            clauses.append(_Clause(start, end, quote[start:end].strip(),
                                   [s for s in inside if s.kind == "period"],
                                   [s for s in inside if s.kind != "period"]))
        start = end + 1
    return clauses


def _only_spans(clause: _Clause) -> bool:
    covered = sum(s.end - s.start for s in clause.periods + clause.figures)
    return covered >= len(clause.text) - 1  # one stray character such as "底" or a quote mark


def _clause_english(periods: list[RenderedSpan], clause: _Clause, label: str) -> tuple[str, bool]:
    head = ", ".join(p.english for p in periods)
    terms = ", ".join(t.english if t.english == t.source else f"{t.english} ({t.source})" for t in clause.terms)
    figures = ", ".join(f.english for f in clause.figures)
    if figures and label:
        figures = f"{label} {figures}"
    if not head and not terms:
        # "同比增长5.3%" continues the clause before it. Words left around the figures
        # ("远期达70GW": 远期, long-term) change what they mean: they stay, in Chinese.
        rest = _unrendered(clause)
        return (f"{figures} ({rest})" if rest else figures), True
    subject = ", ".join(x for x in (head, terms) if x)
    return (f"{subject}: {figures}" if figures else subject), False


def _modality(clause: _Clause) -> str:
    text = clause.text
    for span in clause.terms:  # 计划 inside the glossary's 计划投资额 is already "planned investment"
        text = text.replace(span.source, " ")
    return next((label for word, label in _MODALITY if word in text), "")


def _negated(text: str) -> bool:
    # Checked on jieba words, so 无限极 (a company) or 不断 (continually) is no negation.
    return any(_NEGATION.fullmatch(word) for word in _segmenter().lcut(text))


def _unrendered(clause: _Clause) -> str:
    text = clause.text
    offset = len(text) - len(text.lstrip())
    for span in sorted(clause.figures, key=lambda s: -s.start):
        a, b = span.start - clause.start - offset, span.end - clause.start - offset
        text = text[:a] + " " + text[b:]
    rest = " ".join(text.split())
    return "" if _FUNCTION_WORDS.fullmatch(rest.replace(" ", "")) else rest


def _terms(quote: str, clause: _Clause, lexicon: Lexicon | None, glossary: Glossary | None) -> list[RenderedSpan]:
    """Key terms of the clause outside its figures: glossary terms first (matched in the
    text, longest first), then nouns jieba tags and CC-CEDICT knows."""
    taken = [(s.start, s.end) for s in clause.periods + clause.figures]
    found: list[RenderedSpan] = []
    reverse = glossary.reverse() if glossary is not None else {}
    for term in sorted(reverse, key=len, reverse=True):
        if not HAN.search(term):
            continue
        for m in re.finditer(re.escape(term), quote[clause.start:clause.end]):
            start, end = clause.start + m.start(), clause.start + m.end()
            if _free(start, end, taken):
                taken.append((start, end))
                found.append(RenderedSpan(start, end, term, glossary.display(reverse[term]), "term"))  # type: ignore[union-attr]
    if lexicon is not None:
        for start, end, word in _nouns(quote, clause.start, clause.end):
            gloss = lexicon.sure_gloss(word)
            if gloss and word not in _SKIP_TERMS and _free(start, end, taken):
                taken.append((start, end))
                found.append(RenderedSpan(start, end, word, gloss, "term"))
    for m in _LATIN_TERM.finditer(quote, clause.start, clause.end):  # "GDP", "R&D": English already
        if _free(m.start(), m.end(), taken):
            found.append(RenderedSpan(m.start(), m.end(), m.group(), m.group(), "term"))
    unique: dict[str, RenderedSpan] = {}
    for span in sorted(found, key=lambda s: s.start):
        unique.setdefault(span.source, span)
    return list(unique.values())


def _nouns(quote: str, start: int, end: int) -> list[tuple[int, int, str]]:
    global _pos_tokenizer
    with _pos_lock:
        if _pos_tokenizer is None:
            # Over our own jieba instance, so the user dictionary's words and tags count.
            _pos_tokenizer = jieba.posseg.POSTokenizer(_segmenter())
        pairs = list(_pos_tokenizer.cut(quote[start:end]))
    out, position = [], start
    for pair in pairs:
        word_start, position = position, position + len(pair.word)
        if len(pair.word) > 1 and pair.flag in _TERM_TAGS and HAN.match(pair.word):
            out.append((word_start, position, pair.word))
    return out


def _free(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return all(end <= a or start >= b for a, b in taken)


def _leftover_numbers(quote: str, clause: _Clause) -> list[str]:
    """Pieces of a rendered clause holding a number no pattern rendered ("第134届")."""
    covered = [(s.start, s.end) for s in clause.periods + clause.figures]
    out = []
    for m in re.finditer(r"\d[\d.,]*", quote[clause.start:clause.end]):
        start, end = clause.start + m.start(), clause.start + m.end()
        if _free(start, end, covered):
            out.append(quote[max(clause.start, start - 3):min(clause.end, end + 2)])
    return out
