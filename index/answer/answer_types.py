"""What kind of answer a question wants, and what kinds of answer a sentence holds.

"When" wants a date or a year, "how many" a number with a counting unit, "how much" an
amount of money, "who" a person, "where" a place, "how large" an area. The question side
reads Chinese and English (a question and its translation want the same kind, so they
lean on the same sentence); the sentence side reads Chinese text, the corpus's language,
and the figures and dates both languages write alike.

Regular expressions, not a tagger: they run on every candidate sentence of every
question, and the answer model (model.py) only needs "wanted and present" as one signal
among several, learned from XQuAD how far to trust it.
"""
from __future__ import annotations

import re

# The kinds, in the order the feature vector lists them.
KINDS = ("date", "number", "count", "money", "percent", "area", "organisation", "person", "place")

_QUESTION: dict[str, re.Pattern[str]] = {
    "date": re.compile(
        r"哪一?年|哪些年|何年|哪个?时期|什么时[候间期]|何时|哪一?天|几月|哪个?月|几号|年份|日期|多少年前|哪个世纪|哪个年代|"
        r"\bwhen\b|\bwhat (year|date|month|day|century|decade|time|period)\b|\bwhich (year|date|month|century|decade)\b|"
        r"\bhow long ago\b|\bin what year\b", re.I),
    "number": re.compile(
        r"多少|几[个家项条次位名人种座台年天岁倍%]|多大|多高|多长|多远|多久|多重|多深|多快|比例|占比|百分之|"
        r"\bhow (many|much|long|far|old|tall|high|large|big|fast|deep|heavy)\b|\bwhat (percentage|share|proportion|"
        r"number|amount|fraction)\b|\bnumber of\b", re.I),
    "count": re.compile(r"多少[个家项条次位名人种座台只件所支场]|几[个家项条次位名人种座台只件所支场]|\bhow many\b", re.I),
    "money": re.compile(
        r"多少钱|金额|资金|投资|产值|价格|价值|成本|费用|收入|营收|利润|生产总值|GDP|预算|"
        r"\bcost|\bprice|\bworth\b|\bvalue\b|\brevenue|\binvest|\bspen[dt]\b|\bbudget|\bmoney\b|\bfund|\bpaid\b|"
        r"\bpay\b|\bGDP\b|\bdollars?\b|\byuan\b|\bprofit|\bincome\b", re.I),
    "percent": re.compile(
        r"百分|比例|占比|比重|增速|增长了?多少|增幅|降幅|率|\bpercent|\bshare\b|\bproportion\b|\brate\b|\bgrowth\b|"
        r"\bgr[eo]w\b|\bincrease[ds]?\b", re.I),
    "area": re.compile(r"面积|多大|多广|占地|\bhow (large|big)\b|\barea\b|\bsquare\b|\bacres?\b|\bhectares?\b", re.I),
    "organisation": re.compile(
        r"哪[一]?[家所个支]?(公司|企业|集团|机构|组织|大学|学校|银行|部门|球队|团队|政党|党)|什么(公司|企业|机构|组织)|"
        r"\b(which|what) (company|companies|firm|firms|organi[sz]ation|organi[sz]ations|institution|university|"
        r"school|team|agency|body|group|bank|party|enterprise|enterprises)\b", re.I),
    "person": re.compile(r"谁|哪[一]?位|什么人|哪个人|\bwho\b|\bwhom\b|\bwhose\b|\bwhich (person|people)\b", re.I),
    "place": re.compile(
        r"哪里|哪儿|在哪|何地|何处|哪个?(地方|城市|国家|省|州|地区|区域|镇|县|市)|"
        r"\bwhere\b|\b(which|what) (place|city|country|state|province|region|town|county|area of)\b", re.I),
}

_NUMERAL = r"(?:\d[\d,]*(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+)"
_SENTENCE: dict[str, re.Pattern[str]] = {
    "date": re.compile(r"\d{2,4}\s*年|[〇零一二三四五六七八九]{2,4}年|\d{1,2}\s*月|\d{1,2}\s*日|世纪|年代|"
                       r"(?<!\d)(1[0-9]|20)\d{2}(?!\d)|[上下本今去明]年|[春夏秋冬]季|季度"),
    "number": re.compile(r"\d|[一二两三四五六七八九十百千万亿]{1,}[个家项条次位名人种座台只件所支场倍万亿]"),
    "count": re.compile(_NUMERAL + r"\s*[多余]?\s*[万亿]?\s*[个家项条次位名人种座台只件所支场户艘辆栋间部]"),
    "money": re.compile(_NUMERAL + r"\s*[多余]?\s*[万亿千百]*\s*(元|美元|英镑|欧元|日元|港元|港币|人民币|美金)|"
                        r"[$￥¥£€]\s*\d"),
    "percent": re.compile(r"\d\s*%|％|百分之|个百分点|[一二两三四五六七八九十]成"),
    "area": re.compile(r"平方(公里|千米|米|英里|英尺)|公顷|[\d一二三四五六七八九十百千万]\s*亩|km²|英亩"),
    "organisation": re.compile(r"(公司|集团|企业|银行|大学|学院|学校|协会|委员会|政府|研究院|研究所|基金会|联盟|"
                               r"俱乐部|[^\d]队|党|组织|机构|中心|医院|局|厅|署|部门)"),
    # Transliterated names carry a middle dot (卡万·肖特); titles mark people too.
    "person": re.compile(r"[\u4e00-\u9fff]{1,5}·[\u4e00-\u9fff]{1,6}|先生|女士|教授|博士|总统|国王|女王|皇帝|主席|"
                         r"书记|市长|区长|省长|总理|首相|部长|董事长|总经理|创始人|作家|科学家|[他她]"),
    "place": re.compile(r"[\u4e00-\u9fff]{1,6}(省|市|县|区|镇|村|州|国|岛|半岛|河|江|山|湖|湾|港|城|洲|海)"),
}


def wanted_kinds(question: str) -> frozenset[str]:
    """The kinds of answer a question asks for; empty for "why", "how", "what is" forms."""
    kinds = {kind for kind, pattern in _QUESTION.items() if pattern.search(question)}
    # "How much did X grow": a percentage, not money; "how much" alone could be either.
    if "percent" in kinds and "money" in kinds and not re.search(r"元|钱|GDP|value|worth|cost|price|invest", question, re.I):
        kinds.discard("money")
    return frozenset(kinds)


def held_kinds(sentence: str) -> frozenset[str]:
    return frozenset(kind for kind, pattern in _SENTENCE.items() if pattern.search(sentence))


def kind_match(wanted: frozenset[str], held: frozenset[str]) -> float:
    """Share of the wanted kinds the sentence holds ("how many ... in which year" wants
    both); 0 when the question wants no particular kind."""
    # "number" is implied by any figure kind: count it once, as the most specific kind held.
    specific = wanted - {"number"} if wanted & {"count", "money", "percent", "area"} else wanted
    if not specific:
        return 0.0
    return len(specific & held) / len(specific)
