"""The conversation's language as the action server sees it: the ``language`` slot.

The Rasa side decides the language (``akyikatchy/rasa_language.py``) and ``LanguagePolicy``
records it in the slot before any action of the turn runs, so the actions only read it.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from actions import slots
from core.language import DEFAULT_LANGUAGE, LANGUAGES


def language_of(tracker: Tracker) -> str:
    language = tracker.get_slot(slots.LANGUAGE)
    return language if language in LANGUAGES else DEFAULT_LANGUAGE
