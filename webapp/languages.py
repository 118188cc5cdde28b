"""The interface languages and how a language tag maps to one of them.

Three: simplified Chinese ("zh"), English ("en") and traditional Chinese ("zh-Hant", whose
strings i18n.py makes from the simplified ones with OpenCC). A tag such as zh-TW, zh-HK,
zh-MO or zh-Hant-HK (from `?lang=`, the cookie, Accept-Language or DEFAULT_LANG) means
the traditional interface; any other zh tag the simplified one.
"""
from __future__ import annotations

from index import TRADITIONAL_TAG

LANGUAGES = ("zh", "en", TRADITIONAL_TAG)
HTML_LANG = {"zh": "zh-CN", "en": "en", TRADITIONAL_TAG: TRADITIONAL_TAG}
CHINESE = frozenset({"zh", TRADITIONAL_TAG})
# Each language's name in itself, for the links that switch to it.
NAMES = {"zh": "简体中文", "en": "English", TRADITIONAL_TAG: "繁體中文"}
# Regions that write traditional characters (BCP 47 region subtags).
_TRADITIONAL_REGIONS = frozenset({"tw", "hk", "mo"})


def ui_language(tag: str | None) -> str | None:
    """The interface language a BCP 47 tag asks for, or None when we have none for it."""
    parts = (tag or "").strip().lower().replace("_", "-").split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    subtags = set(parts[1:])
    if "hant" in subtags or (subtags & _TRADITIONAL_REGIONS and "hans" not in subtags):
        return TRADITIONAL_TAG
    return "zh"
