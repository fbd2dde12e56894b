"""Language of the conversation as seen from the action server, and domain texts.

The same rules as the Rasa side (akyikatchy.language.choose_language), read off the
rasa-sdk tracker, so labels built here match the answer's language.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Dict, Optional, Text

import yaml
from rasa_sdk import Tracker

from akyikatchy.language import choose_language


def language_of(tracker: Tracker) -> Text:
    message = tracker.latest_message or {}
    metadata = message.get("metadata") or {}
    return choose_language(
        text=message.get("text"),
        intent=(message.get("intent") or {}).get("name"),
        entities=message.get("entities") or [],
        current=tracker.get_slot("language"),
        language_was_set=any(
            e.get("event") == "slot" and e.get("name") == "language" for e in tracker.events
        ),
        telegram_code=metadata.get("language_code") if isinstance(metadata, dict) else None,
        requested_slot=tracker.get_slot("requested_slot") if tracker.active_loop else None,
    )


def response_text(domain: Dict[Text, Any], name: Text, language: Text) -> Optional[Text]:
    """The text of a domain response in one language (labels, examples)."""
    variants = (domain.get("responses") or {}).get(name) or []
    fallback = None
    for variant in variants:
        for condition in variant.get("condition") or []:
            if condition.get("name") == "language" and condition.get("value") == language:
                return variant.get("text")
        fallback = fallback or variant.get("text")
    return fallback


@functools.lru_cache(maxsize=1)
def project_domain() -> Dict[Text, Any]:
    """The domain file itself, read once.

    Rasa is configured not to send the domain with every action call (it is large and
    re-serialised each time: see endpoints.yml `enable_selective_domain`), so the
    actions read the same domain.yml the model was trained from.
    """
    path = Path(os.environ.get("AKY_DOMAIN_PATH", Path(__file__).resolve().parent.parent / "domain.yml"))
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def domain_or_project(domain: Optional[Dict[Text, Any]]) -> Dict[Text, Any]:
    return domain if domain and domain.get("responses") else project_domain()
