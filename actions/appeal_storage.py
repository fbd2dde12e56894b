"""Storing a confirmed appeal, finishing and discarding the form."""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.domain import DomainDict
from actions.language import language_of
from actions.storage import get_store
from appeals.db import StorageError
from core.appeal import FIELDS

logger = logging.getLogger(__name__)


async def submit_appeal(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> Optional[str]:
    """Store the confirmed appeal once; on failure tell the user and keep their answers."""
    fields: dict[str, Any] = {name: tracker.get_slot(name) for name in FIELDS}
    fields[slots.LATE] = bool(tracker.get_slot(slots.LATE))
    fields[slots.ATTACHMENTS] = tracker.get_slot(slots.ATTACHMENTS) or []
    key = tracker.get_slot(slots.SUBMISSION_KEY) or f"{tracker.sender_id}:{len(tracker.events)}"
    try:
        result = get_store().submit(
            conversation_id=tracker.sender_id,
            submission_key=key,
            fields=fields,
            language=language_of(tracker),
        )
    except StorageError as error:
        logger.error("Appeal could not be stored: %s", type(error.__cause__ or error).__name__)
        dispatcher.utter_message(response="utter_storage_failed")
        return None
    logger.info("Appeal stored: %s (new=%s)", result.reference, result.created)
    return result.reference


def reset_form_slots() -> list[dict[str, Any]]:
    return [SlotSet(name, None) for name in slots.FORM_SLOTS]


class ActionFinishAppeal(Action):
    """After the form: the reference, or why nothing could be filed without consent."""

    def name(self) -> str:
        return "action_finish_appeal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if tracker.get_slot(slots.CONSENT) is False:
            dispatcher.utter_message(response="utter_consent_refused")
        elif tracker.get_slot(slots.REFERENCE) and tracker.get_slot(slots.CONFIRM):
            dispatcher.utter_message(response="utter_appeal_submitted")
        return reset_form_slots()


class ActionDiscardAppeal(Action):
    """Cancel confirmed: nothing is kept."""

    def name(self) -> str:
        return "action_discard_appeal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        dispatcher.utter_message(response="utter_appeal_cancelled")
        return reset_form_slots()
