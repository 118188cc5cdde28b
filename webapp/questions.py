"""Is a query a question? Decides whether the search page leads with the answer card.

A question always gets the card (with "the articles do not say" when there is no
answer); other queries get it only when the library found a confident answer.
"""
from __future__ import annotations

import re

from index import to_simplified

_ENGLISH_QUESTION_START = re.compile(
    r"^(what|how|who|whom|whose|when|where|which|why|is|are|was|were|does|do|did|can|could|will|has|have)\b",
    re.IGNORECASE,
)
_CHINESE_QUESTION_WORD = re.compile(r"多少|什么|哪|几|如何|怎么|怎样|是否|谁|吗|为何|为什么|么$")


def is_question(query: str) -> bool:
    text = to_simplified(query.strip())  # 幾、嗎、怎麼 are question words too
    if not text:
        return False
    if text.endswith(("?", "？")):
        return True
    return bool(_ENGLISH_QUESTION_START.match(text) or _CHINESE_QUESTION_WORD.search(text))
