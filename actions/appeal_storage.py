"""Storing a confirmed appeal, finishing and discarding the form."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.language import language_of
from actions.storage import get_store
from appeals.store import StorageError

logger = logging.getLogger(__name__)

FIELDS = ["full_name", "phone", "region", "category", "respondent", "incident_date", "description"]
# Everything the appeal form leaves behind; cleared after submit, cancel or refusal.
FORM_SLOTS = FIELDS + [
    "consent", "confirm", "which_field", "awaiting_field_choice", "late", "region_label",
    "category_label", "failed_slot", "failed_count", "expected_example", "submission_key",
    "attachments", "requested_slot",
]


async def submit_appeal(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> Optional[Text]:
    """Store the confirmed appeal once; on failure tell the user and keep their answers."""
    fields: Dict[Text, Any] = {name: tracker.get_slot(name) for name in FIELDS}
    fields["late"] = bool(tracker.get_slot("late"))
    fields["attachments"] = tracker.get_slot("attachments") or []
    key = tracker.get_slot("submission_key") or f"{tracker.sender_id}:{len(tracker.events)}"
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


def reset_form_slots() -> List[Dict[Text, Any]]:
    return [SlotSet(name, None) for name in FORM_SLOTS]


class ActionFinishAppeal(Action):
    """After the form: the reference, or why nothing could be filed without consent."""

    def name(self) -> Text:
        return "action_finish_appeal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if tracker.get_slot("consent") is False:
            dispatcher.utter_message(response="utter_consent_refused")
        elif tracker.get_slot("reference") and tracker.get_slot("confirm"):
            dispatcher.utter_message(response="utter_appeal_submitted")
        return reset_form_slots()


class ActionDiscardAppeal(Action):
    """Cancel confirmed: nothing is kept."""

    def name(self) -> Text:
        return "action_discard_appeal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        dispatcher.utter_message(response="utter_appeal_cancelled")
        return reset_form_slots()
