"""Texts the channel sends on its own (``utter_already_done``, the command menu), from the domain.

Every user-visible text lives in ``domain/`` in Kyrgyz and Russian; the channel picks the
variant whose ``condition`` names the language.  Inside the Rasa server the responses come from
the loaded model's domain (:func:`responses_of_agent`); the webhook CLI and tests read the
``domain/`` files (:func:`domain_responses`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Optional

from core.language import DEFAULT_LANGUAGE, LANGUAGE_SLOT, LANGUAGES

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "domain"

Responses = dict[str, list[dict[str, Any]]]


@functools.lru_cache(maxsize=1)
def domain_responses(directory: Path = DOMAIN_DIR) -> Responses:
    """Every response of the ``domain/`` files, as Rasa merges them."""
    import yaml  # local import: only when the texts are needed

    responses: Responses = {}
    for path in sorted(directory.glob("*.yml")):
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        responses.update(data.get("responses") or {})
    return responses


def responses_of_agent(agent: Any) -> Optional[Responses]:
    domain = getattr(agent, "domain", None)
    responses = getattr(domain, "responses", None)
    return responses if isinstance(responses, dict) and responses else None


def text_for(responses: Responses, name: str, language: Optional[str]) -> Optional[str]:
    """The text of response ``name`` in ``language`` (Kyrgyz when not ky/ru); None if absent."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    fallback = None
    for variant in responses.get(name) or []:
        text = variant.get("text") if isinstance(variant, dict) else None
        if not isinstance(text, str):
            continue
        conditions = variant.get("condition") or []
        values = {
            c.get("value")
            for c in conditions
            if isinstance(c, dict) and c.get("name") == LANGUAGE_SLOT and c.get("type", "slot") == "slot"
        }
        if language in values:
            return text
        if not values and fallback is None:
            fallback = text
    return fallback
