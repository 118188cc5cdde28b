"""Figures, changes, dates and periods in Chinese text, rendered in English exactly.

Each pattern matches a span of the source and renders only what the span says:
2810.29亿元 -> "CNY 281.03 billion", 同比增长5.3% -> "up 5.3% year on year",
74.15万户 -> "741,500", 前三季度 -> "first three quarters", 1—9月 -> "January-September".
Arithmetic is decimal (no float rounding), and the only rounding is money to two
decimals of its scale word (281.029 billion -> 281.03). A number the patterns do not
cover is left alone: english_answer.py keeps its clause in Chinese.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from index.models import RenderedSpan

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_MAGNITUDE = {"": 1, "十": 10, "百": 100, "千": 1000, "万": 10**4, "十万": 10**5, "百万": 10**6,
              "千万": 10**7, "亿": 10**8, "十亿": 10**9, "百亿": 10**10, "千亿": 10**11, "万亿": 10**12}
# Before a figure: how the figure relates to the truth. 达/为 ("reached", "was") add nothing.
_BEFORE = {"超过": "over", "超": "over", "突破": "over", "逾": "over", "近": "nearly", "将近": "nearly",
           "接近": "nearly", "约": "about", "增至": "rising to", "增加": "an increase of", "新增": "an increase of",
           "减少": "a decrease of", "达到": "", "达": "", "为": ""}
# After the number: 多 ("40多") means more than; after the unit: 以上 / 左右.
_AFTER = {"以上": "or more", "左右": "about"}
_COUNT_UNITS = {"户": "", "家": "", "个": "", "项": "", "条": "", "支": "", "座": "",
                "名": "people", "人": "people", "吨": "tonnes", "平方公里": "km²", "亩": "mu"}

NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_Q_BEFORE = "|".join(sorted(map(re.escape, _BEFORE), key=len, reverse=True))
_MAG = "万亿|千亿|百亿|十亿|千万|百万|十万|亿|万|千|百|十"
_UNIT = "|".join(sorted(map(re.escape, _COUNT_UNITS), key=len, reverse=True))


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def plain(value: Decimal, places: int | None = None) -> str:
    """1234567.50 -> "1,234,567.5": thousands separators, no trailing zeros."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: Decimal) -> str:
    """CNY with the scale word an English reader expects: 2.8e11 -> "CNY 281.03 billion"."""
    for scale, word in ((10**12, "trillion"), (10**9, "billion"), (10**6, "million")):
        if value >= scale:
            return f"CNY {plain(value / scale, 2)} {word}"
    return f"CNY {plain(value, 2)}"


def _qualified(before: str | None, more: str | None, after: str | None, figure: str) -> str:
    words = [_BEFORE.get(before or "", "")]
    if more:
        words = ["more than"]
    words += [figure, _AFTER.get(after or "", "")]
    return " ".join(w for w in words if w)


def _amount(m: re.Match[str]) -> Decimal:
    digits = m.group("n")
    return (number(digits) if digits else Decimal(1)) * _MAGNITUDE[m.group("mag") or ""]


def _money(m: re.Match[str]) -> str:
    return _qualified(m.group("q"), m.group("more"), m.group("after"), money(_amount(m)))


def _count(m: re.Match[str]) -> str:
    unit = _COUNT_UNITS[m.group("unit")]
    figure = plain(_amount(m)) + (f" {unit}" if unit else "")
    return _qualified(m.group("q"), m.group("more"), m.group("after"), figure)


def _gigawatts(m: re.Match[str]) -> str:
    return _qualified(m.group("q"), None, None, f"{plain(number(m.group('n')))} {m.group('unit').upper()}")


def _change(m: re.Match[str]) -> str:
    direction = "down" if m.group("verb") in ("下降", "减少", "降低", "回落", "下滑") else "up"
    unit = "%" if m.group("unit") == "%" else " percentage points"
    yoy = " year on year" if m.group("yoy") else ""
    return f"{direction} {plain(number(m.group('n')))}{unit}{yoy}"


# What a "比…高N个百分点" comparison is against; any other base stays out of the span.
_BASES = {"全省同期": "the province in the same period", "全市同期": "the city in the same period",
          "全国同期": "the country in the same period", "全省": "the province", "全市": "the city",
          "全国": "the country", "上年同期": "the same period last year", "去年同期": "the same period last year",
          "上年": "the previous year", "去年": "last year", "同期": "the same period"}


def _points(m: re.Match[str]) -> str:
    word = {"高": "higher", "低": "lower", "快": "faster", "慢": "slower"}[m.group("cmp")]
    base = f" than {_BASES[m.group('base')]}" if m.group("base") else ""
    return f"{plain(number(m.group('n')))} percentage points {word}{base}"


def _share(m: re.Match[str]) -> str:
    # The base of 占…的N% ("全部投资") is kept in Chinese: only the figure is certain.
    base = m.groupdict().get("base")
    return f"{plain(number(m.group('n')))}% of {base}" if base else f"a share of {plain(number(m.group('n')))}%"


def _percent(m: re.Match[str]) -> str:
    return _qualified(m.group("q"), None, None, f"{plain(number(m.group('n')))}%")


def _month(n: str) -> str:
    return MONTHS[int(n) - 1]


_MONTH = r"(?:1[0-2]|[1-9])"
_DAY = r"(?:3[01]|[12]\d|[1-9])"
_YEAR = r"(?:19|20)\d\d"
_DASH = r"[—–\-－~至到]"
_VERBS = "增长|增加|上升|提高|下降|减少|降低|回落|下滑"
_BASE = "|".join(sorted(_BASES, key=len, reverse=True))
_QUARTERS = {"一": "first", "二": "second", "三": "third", "四": "fourth"}
_FIXED_PERIODS = {
    "今年前三季度": "first three quarters of this year", "前三季度": "first three quarters",
    "今年上半年": "first half of this year", "上半年": "first half of the year",
    "下半年": "second half of the year", "全年": "full year", "今年以来": "so far this year",
    "今年": "this year", "去年": "last year", "明年": "next year", "同期": "same period",
    "目前": "currently", "截至目前": "so far", "年底": "year end",
}

_PATTERNS: tuple[tuple[str, str, Callable[[re.Match[str]], str]], ...] = (
    ("period", rf"截至(?P<y>{_YEAR})年底",
     lambda m: f"as of the end of {m.group('y')}"),
    ("period", rf"截至(?:(?P<y>{_YEAR})年)?(?P<m>{_MONTH})月底",
     lambda m: f"as of the end of {_month(m.group('m'))}" + (f" {m.group('y')}" if m.group("y") else "")),
    ("period", rf"(?P<y>{_YEAR})年(?P<m>{_MONTH})月(?P<d>{_DAY})日",
     lambda m: f"{_month(m.group('m'))} {m.group('d')}, {m.group('y')}"),
    ("period", rf"(?:(?P<y>{_YEAR})年)?(?P<a>{_MONTH}){_DASH}(?P<b>{_MONTH})月",
     lambda m: f"{_month(m.group('a'))}-{_month(m.group('b'))}" + (f" {m.group('y')}" if m.group("y") else "")),
    ("period", rf"(?P<y>{_YEAR})年(?P<m>{_MONTH})月",
     lambda m: f"{_month(m.group('m'))} {m.group('y')}"),
    ("period", rf"(?P<m>{_MONTH})月(?P<d>{_DAY})日", lambda m: f"{_month(m.group('m'))} {m.group('d')}"),
    ("period", rf"今年(?P<m>{_MONTH})月", lambda m: f"{_month(m.group('m'))} this year"),
    ("period", rf"(?P<m>{_MONTH})月底", lambda m: f"end of {_month(m.group('m'))}"),
    ("period", rf"(?P<y>{_YEAR})年(?:度)?以来", lambda m: f"since {m.group('y')}"),
    ("period", rf"(?P<y>{_YEAR})年(?:度)?(?![\d万亿元])", lambda m: m.group("y")),
    ("period", r"上世纪(?P<d>[1-9]0)年代", lambda m: f"the 19{m.group('d')}s"),
    ("period", r"(?:第)?(?P<q>[一二三四])季度", lambda m: f"{_QUARTERS[m.group('q')]} quarter"),
    ("period", "|".join(sorted(_FIXED_PERIODS, key=len, reverse=True)), lambda m: _FIXED_PERIODS[m.group()]),
    ("change", rf"(?P<yoy>同比)?(?P<verb>{_VERBS})了?(?P<n>{NUM})(?P<unit>%|个百分点)", _change),
    ("change", rf"(?:比(?P<base>{_BASE}))?(?P<cmp>[高低快慢])(?P<n>{NUM})个百分点", _points),
    ("figure", rf"占比为?(?P<n>{NUM})%", _share),
    ("figure", rf"占(?P<base>[^，。；：、\d的（）()]{{1,8}}?)的?(?P<n>{NUM})%", _share),
    ("figure", rf"(?P<q>{_Q_BEFORE})?(?P<n>{NUM})?(?P<more>多)?(?P<mag>{_MAG})?元(?P<after>以上|左右)?", _money),
    ("figure", rf"(?P<q>{_Q_BEFORE})?(?P<n>{NUM})(?P<more>多)?(?P<mag>{_MAG})?(?P<unit>{_UNIT})(?P<after>以上|左右)?",
     _count),
    ("figure", rf"(?P<q>{_Q_BEFORE})?(?P<n>{NUM})(?P<unit>GW|MW|GWh|MWh|kW)", _gigawatts),
    ("figure", rf"(?P<q>{_Q_BEFORE})?(?P<n>{NUM})%", _percent),
)
_COMPILED = tuple((kind, re.compile(pattern), render) for kind, pattern, render in _PATTERNS)


def find_figures(text: str) -> list[RenderedSpan]:
    """Every figure, change, date and period in `text`, as non-overlapping spans in text
    order. Where patterns overlap, the longest span wins (同比增长5.3% over 5.3%)."""
    found: list[RenderedSpan] = []
    for kind, pattern, render in _COMPILED:
        for m in pattern.finditer(text):
            if m.group() and not (kind == "figure" and not re.search(r"\d|[十百千万亿]元", m.group())):
                found.append(RenderedSpan(m.start(), m.end(), m.group(), render(m), kind))  # type: ignore[arg-type]
    found.sort(key=lambda s: (s.start, -(s.end - s.start)))
    chosen: list[RenderedSpan] = []
    for span in sorted(found, key=lambda s: -(s.end - s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)
