"""Erasure of the personal fields of a conversation's appeals, only right after "yes".

The action server cannot trust that Rasa's rules ran: a forged call, or a prediction gone
wrong, would otherwise erase without asking.  So the action itself checks the tracker: the
latest user message must be "yes" (intent ``affirm``) and the last thing the assistant did
before it must have been asking the erasure question (``utter_ask_delete_confirm``), with
nothing else run since.  Otherwise nothing is erased and the user is told so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.appeal_storage import reset_form_slots
from actions.domain import DomainDict
from actions.failures import apologise_on_failure
from actions.storage import call_store
from appeals.db import StorageError

logger = logging.getLogger(__name__)

QUESTION = "utter_ask_delete_confirm"
YES = "affirm"
LISTEN = "action_listen"
#: Rasa runs these after every user message, before the predicted action.
AFTER_EVERY_MESSAGE = {LISTEN, "action_extract_slots"}


def _intent(event: dict[str, Any]) -> Optional[str]:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def _previous_action(events: list[dict[str, Any]]) -> Optional[str]:
    """The latest action in ``events`` other than listening."""
    for event in reversed(events):
        if event.get("event") == "action" and event.get("name") != LISTEN:
            return event.get("name")
    return None


def erasure_confirmed(events: Iterable[dict[str, Any]], action_name: str = "action_delete_my_data") -> bool:
    """True only when the user has just said yes to the erasure question."""
    events = list(events or [])
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if not users:
        return False
    last = users[-1]
    if _intent(events[last]) != YES:
        return False
    # Since the "yes": no other action may have run (this action is the reply to it).
    ran_since = [
        e.get("name")
        for e in events[last + 1 :]
        if e.get("event") == "action" and e.get("name") not in AFTER_EVERY_MESSAGE | {action_name}
    ]
    if ran_since:
        return False
    return _previous_action(events[:last]) == QUESTION


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if not erasure_confirmed(tracker.events, self.name()):
            logger.warning("Erasure refused: the user did not just confirm it")
            dispatcher.utter_message(response="utter_delete_cancelled")
            return []
        sender = tracker.sender_id
        try:
            erased = await call_store(
                lambda store: store.erase_personal_data(sender), "erasing personal data"
            )
        except StorageError as error:
            logger.error("Erasure failed: %s", error)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        if erased:
            dispatcher.utter_message(response="utter_data_deleted", erased_count=erased)
        else:
            dispatcher.utter_message(response="utter_nothing_to_delete")
        return reset_form_slots()
