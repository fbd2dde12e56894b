"""Thoughts of suicide or self-harm told in a message (CONTRACT.md: ``faq/emergency``)."""

from __future__ import annotations

import re

from core.validation.keywords import CRISIS_PHRASES
from core.validation.text import CONTROL_RE, fold, is_str

_NON_WORD_RE = re.compile(r"[^0-9а-я]+")


def _norm(text: str) -> str:
    return " " + " ".join(_NON_WORD_RE.sub(" ", fold(CONTROL_RE.sub(" ", text))).split()) + " "


_PHRASES = tuple(sorted({_norm(p).strip() for p in CRISIS_PHRASES}))


def mentions_self_harm(text: str) -> bool:
    """True when the message tells of thoughts of suicide or self-harm.

    A safety net under the classifier: such a message gets the emergency answer first
    and is never read as a yes, a no or a form field.  Phrases match on the folded
    spelling (ү ө ң, Latin letters, case), at word starts, so "не хочу жить" matches
    "я не хочу жить больше" but not a word that merely contains it.
    """
    if not is_str(text) or not text.strip() or len(text) > 4000:
        return False
    s = _norm(text)
    return any(" " + phrase in s for phrase in _PHRASES)
