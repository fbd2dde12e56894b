"""Closed answers: the region, the category, and the field to correct at the read-back."""

from __future__ import annotations

from typing import Optional

from core.appeal import CATEGORIES, FIELDS, REGIONS
from core.validation.fuzzy import Lexicon, code_in, match_one, split_words
from core.validation.keywords import CATEGORY_KEYWORDS, COMMON_WORDS, FIELD_KEYWORDS, REGION_KEYWORDS
from core.validation.text import is_str

_REGION_LEXICON = Lexicon(REGION_KEYWORDS, blocklist=COMMON_WORDS)
_CATEGORY_LEXICON = Lexicon(CATEGORY_KEYWORDS, blocklist=COMMON_WORDS)
_FIELD_LEXICON = Lexicon(FIELD_KEYWORDS, blocklist=COMMON_WORDS)


def match_region(text: str) -> Optional[str]:
    """The region code named in a short answer, or None if none or several are named.

    "Ош" alone is the city (what people mean when they say it); it is the oblast only
    with "облусу"/"область"/"Ошская" or a district of the oblast.  Regional centres and
    districts count for their oblast; foreign countries and cities count as ``abroad``.
    """
    if not is_str(text):
        return None
    code = code_in(text, REGIONS)
    if code:
        return code
    found = split_words(text, 150, 12)
    if not found:
        return None
    parts, compounds = found
    codes = _REGION_LEXICON.find(parts, compounds)
    if "_osh" in codes:
        codes.discard("_osh")
        oblast = any(p.startswith(("облус", "област", "регион", "ошск")) or p == "обл" for p in parts)
        city = any(p.startswith(("шаар", "город")) or p in ("г", "гор") for p in parts)
        if oblast or "osh_region" in codes:
            codes.add("osh_region")
        elif city or not codes:
            codes.add("osh_city")
        else:
            return None
    return codes.pop() if len(codes) == 1 else None


def match_category(text: str) -> Optional[str]:
    """The category code a short answer names, or None if none or several do.

    Keywords in Kyrgyz (with or without ү ө ң, or in Latin letters) and Russian, with
    their endings and small misspellings.  An answer touching two categories ("ребенку
    не дают пособие") is left to the buttons rather than guessed.
    """
    return match_one(text, CATEGORIES, _CATEGORY_LEXICON, 200, 20)


def match_field(text: str) -> Optional[str]:
    """The slot the user wants to correct, or None if none (or several) is named.

    At the read-back the user says what is wrong in their own words ("номер телефона
    неправильный", "атымды оңдойм") or taps a button whose payload is the slot name.
    """
    return match_one(text, FIELDS, _FIELD_LEXICON, 150, 12)
