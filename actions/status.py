"""Status look-up: owner-only, a stranger's reference answers like a missing one."""
from __future__ import annotations

import logging
from typing import Any, Dict, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.language import domain_or_project, language_of, response_text
from actions.storage import get_store
from appeals import rules
from appeals.store import StorageError

logger = logging.getLogger(__name__)


class ValidateStatusForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_status_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        return await super().run(dispatcher, tracker, domain_or_project(domain))

    def validate_appeal_reference(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        reference = rules.normalize_reference(str(value or ""))
        if not reference:
            dispatcher.utter_message(response="utter_invalid_reference")
            return {"appeal_reference": None}
        return {"appeal_reference": reference}


class ActionCheckStatus(Action):
    def name(self) -> Text:
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        reference = rules.normalize_reference(str(tracker.get_slot("appeal_reference") or ""))
        events = [SlotSet("appeal_reference", None)]
        if not reference:
            dispatcher.utter_message(response="utter_invalid_reference")
            return events
        try:
            status = get_store().status_for(tracker.sender_id, reference)
        except StorageError as error:
            logger.error("Status look-up failed: %s", type(error.__cause__ or error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return events
        if status is None:
            dispatcher.utter_message(response="utter_appeal_not_found", reference=reference)
            return events
        label = response_text(
            domain_or_project(domain), f"utter_status_{status}", language_of(tracker)
        ) or status
        dispatcher.utter_message(
            response="utter_appeal_status", reference=reference, status_label=label
        )
        return events
