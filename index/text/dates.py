"""Partial ISO dates (YYYY, YYYY-MM, YYYY-MM-DD), the one date form documents and filters use."""
from __future__ import annotations

import datetime
import re

# [0-9], not \d: Python's \d also takes other scripts' digits (٢٠٢٣), which no date here has.
_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")

DATE_HINT = "use a real date as YYYY-MM-DD, YYYY-MM or YYYY"


def is_partial_date(text: str) -> bool:
    """True for a real calendar date, month or year: 2023-11-05, 2023-11, 2023; not 2024-13-45."""
    match = _PARTIAL_DATE.fullmatch(text)
    if not match:
        return False
    year, month, day = match.groups()
    try:
        datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return False
    return True
