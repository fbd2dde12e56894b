"""Rasa-side glue for the language rules: one function reads a Rasa tracker.

The rules themselves are pure (``core/language.py``).  Used by the NLG (so the answer to a
message is already in that message's language) and by ``LanguagePolicy`` (so the
``language`` slot records it in the same turn; the action server only reads that slot).
"""

from __future__ import annotations

from typing import Any, Optional

from core.language import LANGUAGE_SLOT, choose_language

__all__ = ["LANGUAGE_SLOT", "language_for_tracker", "language_was_set"]


def language_for_tracker(tracker: Any) -> str:
    message = tracker.latest_message
    text = getattr(message, "text", None) if message else None
    intent = (getattr(message, "intent", None) or {}).get("name") if message else None
    entities = getattr(message, "entities", None) or [] if message else []
    metadata = (getattr(message, "metadata", None) or {}) if message else {}
    return choose_language(
        text=text,
        intent=intent,
        entities=entities,
        current=tracker.get_slot(LANGUAGE_SLOT),
        language_was_set=language_was_set(tracker),
        telegram_code=_telegram_code(metadata),
        requested_slot=tracker.get_slot("requested_slot") if tracker.active_loop_name else None,
    )


def language_was_set(tracker: Any) -> bool:
    """Whether the slot was ever set (Telegram's language_code only guesses before that)."""
    return any(getattr(event, "key", None) == LANGUAGE_SLOT for event in tracker.events)


def _telegram_code(metadata: Any) -> Optional[str]:
    if isinstance(metadata, dict):
        code = metadata.get("language_code")
        if isinstance(code, str):
            return code
    return None
