"""Status look-up: owner-only, a stranger's reference answers like a missing one."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.domain import DomainDict, domain_or_project, response_text
from actions.failures import apologise_on_failure
from actions.forms import ProjectFormValidationAction
from actions.language import language_of
from actions.storage import call_store
from appeals.db import StorageError
from core.validation import normalize_reference

logger = logging.getLogger(__name__)


class ValidateStatusForm(ProjectFormValidationAction):
    def name(self) -> str:
        return "validate_status_form"

    def validate_appeal_reference(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        reference = normalize_reference(str(value or ""))
        if not reference:
            dispatcher.utter_message(response="utter_invalid_reference")
        return {slots.APPEAL_REFERENCE: reference}


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        reference = normalize_reference(str(tracker.get_slot(slots.APPEAL_REFERENCE) or ""))
        events = [SlotSet(slots.APPEAL_REFERENCE, None)]
        if not reference:
            dispatcher.utter_message(response="utter_invalid_reference")
            return events
        sender = tracker.sender_id
        try:
            status = await call_store(lambda store: store.status_for(sender, reference), "reading a status")
        except StorageError as error:
            logger.error("Status look-up failed: %s", error)
            dispatcher.utter_message(response="utter_service_unavailable")
            return events
        if status is None:
            dispatcher.utter_message(response="utter_appeal_not_found", reference=reference)
            return events
        language = language_of(tracker)
        label = response_text(domain_or_project(domain), f"utter_status_{status}", language) or status
        dispatcher.utter_message(response="utter_appeal_status", reference=reference, status_label=label)
        return events
