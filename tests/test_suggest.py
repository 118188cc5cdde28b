"""Search-as-you-type completions from the bundled corpus's own words and phrases."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("typed, expected", [
    ("新型储能", "新型储能产业"),  # a phrase of two words seen together, not just one word
    ("中创", "中创新航"),  # user-dictionary words complete whole
    ("链长", "链长制"),
    ("数字化", "数字化转型"),
    ("gd", "GDP"),
])
def test_completions_extend_what_was_typed(engine, typed: str, expected: str) -> None:
    suggestions = engine.suggest(typed)
    assert expected in suggestions
    assert all(s.lower().startswith(typed.lower()) and s != typed for s in suggestions)


def test_a_single_trailing_character_is_not_completed(engine) -> None:
    # 新型储能 + 能力/能否/能级 gave 新型储能力, 新型储能否, 新型储能级.
    for typed in ("新型储能", "储能", "新会区"):
        for suggestion in engine.suggest(typed):
            assert not any(suggestion == typed + word[1:] for word in ("能力", "能否", "能级", "区域")), suggestion


def test_the_head_of_a_query_is_kept(engine) -> None:
    suggestions = engine.suggest("江门 新型储")
    assert "江门 新型储能" in suggestions
    assert all(s.startswith("江门 新型储") for s in suggestions)
