"""Erasure of the personal fields of a conversation's appeals (after confirmation)."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.appeal_storage import reset_form_slots
from actions.domain import DomainDict
from actions.storage import get_store
from appeals.db import StorageError

logger = logging.getLogger(__name__)


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        try:
            erased = get_store().erase_personal_data(tracker.sender_id)
        except StorageError as error:
            logger.error("Erasure failed: %s", type(error.__cause__ or error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        if erased:
            dispatcher.utter_message(response="utter_data_deleted", erased_count=erased)
        else:
            dispatcher.utter_message(response="utter_nothing_to_delete")
        return reset_form_slots()
